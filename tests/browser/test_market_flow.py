"""The market desk in a real browser, step by step through the UI.

A user opens the sandbox's Telegram chat page, asks the bot to /sell, fills in the
Mini App's form, uploads a photo and submits the listing; an admin gets the "to
moderate" message in their own chat, opens the moderation page from it and approves
(or rejects with a reason); the owner reads the verdict in the chat, and the bot's
search finds the published listing with a button that opens it in the Mini App.

A title with a <script> tag runs through all of it: everywhere it is shown as text,
and no dialog ever fires.
"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from itertools import count

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import FilePayload, FrameLocator, Locator, expect

from tests.browser.pages import SLOW_TIMEOUT_MS, ChatFactory, ChatPage, Screenshots
from tests.support.stack import ADMIN_ID

pytestmark = pytest.mark.browser

_next_owner = count(830_001)

SCRIPT = "<script>alert(1)</script>"
SUBMIT = re.compile(r"Submit for moderation|Отправить на модерацию")
CREATE = re.compile(r"Save and add photos|Сохранить и добавить фото")


def photo_png(color: str = "#d9822b") -> bytes:
    """A small real PNG (the worker re-encodes it): a lamp-ish drawing on a colour."""
    image = Image.new("RGB", (320, 240), color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 40, 210, 140), fill="#fff6c0", outline="#333333", width=4)
    draw.rectangle((150, 140, 170, 200), fill="#333333")
    draw.rectangle((110, 200, 210, 215), fill="#333333")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def start_chat(chat: ChatFactory, user_id: int, name: str) -> ChatPage:
    person = await chat(user_id, name)
    await person.ask("/start")
    return person


async def create_listing(
    owner: ChatPage,
    shots: Screenshots,
    *,
    title: str,
    description: str,
    price: str,
    city: str,
) -> int:
    """Through /sell and the Mini App: the form, one photo, submitted. Returns its id."""
    page = owner.page
    sell = await owner.ask("/sell")
    await owner.open_app_from(sell)
    app = owner.app
    form = app.locator("form.listing-form")
    await expect(form).to_be_visible()
    await shots(page, "new-listing-form")

    await form.locator('input[name="title"]').fill(title)
    await form.locator('textarea[name="description"]').fill(description)
    await form.locator('select[name="category"]').select_option("home")
    await form.locator('input[name="price"]').fill(price)
    await form.locator('select[name="currency"]').select_option("EUR")
    await form.locator('input[name="city"]').fill(city)
    await shots(page, "form-filled")
    await owner.press_main_button(CREATE)

    # The draft is saved: its edit page, where photos are added.
    photo_input = app.locator("#photo-input")
    await expect(photo_input).to_be_attached()
    photo: FilePayload = {"name": "lamp.png", "mimeType": "image/png", "buffer": photo_png()}
    await photo_input.set_input_files(files=[photo])
    # The upload runs (ticket, multipart POST with progress, complete) and ends either
    # as a photo in the grid or as a failed row.
    done = app.locator(".photo-grid .photo-item, .upload-row.failed")
    await expect(done).to_have_count(1, timeout=SLOW_TIMEOUT_MS)
    failed = app.locator(".upload-row.failed")
    assert await failed.count() == 0, await failed.inner_text()
    await expect(app.locator(".upload-row")).to_have_count(0)
    await shots(page, "photo-uploaded")
    # The worker re-encodes it; the page polls until the thumbnail is there.
    await expect(app.locator(".photo-grid .photo-item img.photo")).to_be_visible(
        timeout=SLOW_TIMEOUT_MS
    )
    await shots(page, "photo-processed")

    await owner.press_main_button(SUBMIT)
    await expect(app.locator(".listing-status .badge-pending")).to_be_visible()
    await expect(app.locator("h1.listing-title")).to_have_text(title)
    await shots(page, "submitted")
    listing_id = await current_listing_id(owner)
    await owner.close_app()
    return listing_id


async def current_listing_id(person: ChatPage) -> int:
    frame = next(f for f in person.page.frames if "/app/" in f.url)
    found = re.search(r"#/listings/(\d+)", frame.url)
    assert found, f"the Mini App is not on a listing: {frame.url}"
    return int(found.group(1))


async def open_moderation(admin: ChatPage, title: str) -> Locator:
    """The admin's "to moderate" message opens the queue; returns the listing's card."""
    notice = await admin.bot_message(title, timeout_ms=SLOW_TIMEOUT_MS)
    await admin.open_app_from(notice)
    card = admin.app.locator("article.moderation-card").filter(
        has=admin.app.locator("h2.card-title", has_text=title)
    )
    await expect(card).to_be_visible()
    await expect(card.locator("h2.card-title")).to_have_text(title)
    return card


async def assert_text_only(app: FrameLocator, owner: ChatPage, admin: ChatPage) -> None:
    """The Mini App made no element out of the title, and nobody saw a dialog."""
    assert await app.locator("body script").count() == 0
    assert owner.dialogs == [], owner.problems()
    assert admin.dialogs == [], admin.problems()


async def test_listing_goes_from_the_mini_app_through_moderation_to_bot_search(
    chat: ChatFactory,
    shots: Screenshots,
    wait_until_indexed: Callable[[int], Awaitable[None]],
) -> None:
    title = f"Zephyr brass lamp {SCRIPT}"
    owner_id = next(_next_owner)
    admin = await start_chat(chat, ADMIN_ID, "Ada")
    owner = await start_chat(chat, owner_id, "Olga")
    await shots(owner.page, "chat-started")

    listing_id = await create_listing(
        owner,
        shots,
        title=title,
        description=f"Warm light, works. {SCRIPT}",
        price="45",
        city="Berlin",
    )

    # The admin: the message in the chat, the moderation page, Approve.
    card = await open_moderation(admin, title)
    await expect(card.locator("img.photo").first).to_be_visible()
    await assert_text_only(admin.app, owner, admin)
    await shots(admin.page, "moderation-queue")
    await card.locator(".actions button:not(.destructive)").click()
    await expect(card).to_have_count(0)
    await shots(admin.page, "approved")

    # The owner reads it in the chat: the title as typed, text and no markup.
    approved = await owner.bot_message(title, timeout_ms=SLOW_TIMEOUT_MS)
    await expect(approved).to_contain_text(re.compile(r"published|опубликовано"))
    await expect(approved.locator("script")).to_have_count(0)
    await shots(owner.page, "owner-notified")

    # The bot's search finds it (once the worker has indexed it), with a button that
    # opens it in the Mini App.
    await wait_until_indexed(listing_id)
    replies = await owner.send("Zephyr brass lamp")
    results = owner.with_web_app_button(replies.filter(has_text=title))
    await expect(results).to_have_count(1, timeout=SLOW_TIMEOUT_MS)
    await expect(results.locator("script")).to_have_count(0)
    await shots(owner.page, "search-results")
    # Results are numbered; "Open listing N" opens result N.
    number = re.search(rf"(\d+)\. {re.escape(title)}", await results.inner_text())
    assert number, await results.inner_text()
    await owner.open_app_from(results, re.compile(rf"(?<!\d){number.group(1)}(?!\d)"))
    app = owner.app
    await expect(app.locator("h1.listing-title")).to_have_text(title)
    await expect(app.locator(".gallery img.photo")).to_be_visible()
    assert await current_listing_id(owner) == listing_id
    await assert_text_only(app, owner, admin)
    await shots(owner.page, "listing-from-search")
    assert owner.errors == [], owner.problems()


async def test_rejected_listing_shows_the_reason_on_my_listings(
    chat: ChatFactory, shots: Screenshots
) -> None:
    title = "Rusty tandem bicycle"
    reason = "The photo shows a lamp, not a bicycle"
    owner_id = next(_next_owner)
    admin = await start_chat(chat, ADMIN_ID, "Ada")
    owner = await start_chat(chat, owner_id, "Boris")

    await create_listing(
        owner, shots, title=title, description="Two seats.", price="120", city="Riga"
    )

    card = await open_moderation(admin, title)
    await card.locator(".actions button.destructive").click()
    await card.locator('textarea[name="reason"]').fill(reason)
    await shots(admin.page, "rejecting")
    await card.locator(".reject-form button.destructive").click()
    await expect(card).to_have_count(0)

    # The chat says so, with the reason and a button back into the Mini App.
    rejected = await owner.bot_message(reason, timeout_ms=SLOW_TIMEOUT_MS)
    await expect(rejected).to_contain_text(title)
    await shots(owner.page, "owner-notified")

    # "My listings" from the bot's menu (its /start message): status and reason.
    await owner.open_app_from(owner.bot_rows.first, re.compile("My listings|Мои объявления"))
    app = owner.app
    await expect(app.locator('nav.tabs a[data-tab="mine"]')).to_have_class(re.compile("active"))
    mine = app.locator("a.listing-card").filter(has_text=title)
    await expect(mine).to_be_visible()
    await expect(mine.locator(".badge-rejected")).to_be_visible()
    await expect(mine.locator("p.rejection")).to_contain_text(reason)
    await shots(owner.page, "my-listings")

    # Archive it. The Mini App asks through the chat page's own popup and shows the
    # page's BackButton (Telegram's protocol over postMessage, both ways).
    await mine.click()
    await expect(owner.back_button).to_be_visible()
    await expect(owner.main_button).to_have_text(re.compile("Edit|Изменить"))
    archive = app.locator(".actions button.destructive")
    await archive.click()
    await expect(owner.popup).to_be_visible()
    await expect(owner.popup).to_contain_text(re.compile("Archive this listing|в архив"))
    await shots(owner.page, "archive-popup")
    await owner.popup.get_by_role("button", name="Cancel", exact=True).click()
    await expect(owner.popup).to_be_hidden()
    await expect(app.locator(".listing-status .badge-rejected")).to_be_visible()
    await archive.click()
    await owner.popup.get_by_role("button", name="OK", exact=True).click()
    await expect(app.locator(".listing-status .badge-archived")).to_be_visible()
    await expect(owner.main_button).to_be_hidden()
    await owner.back_button.click()
    await expect(app.locator('nav.tabs a[data-tab="mine"]')).to_have_class(re.compile("active"))
    await expect(owner.back_button).to_be_hidden()
    assert owner.dialogs == [], owner.problems()
    assert owner.errors == [], owner.problems()
