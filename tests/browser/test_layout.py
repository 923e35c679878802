"""The Mini App fits a phone: at 320, 375 and 430 px, in Telegram's light and dark
themes, no control is clipped, cut or covered, on every page a buyer, a seller and the
admin see (Russian, whose words are the longest). Screenshots of every screen checked
are kept in test-artifacts/browser/layout/<width>-<theme>-<screen>.png.

Also here, at a phone's width: the form's "fix the highlighted fields" does not cover a
field's error; a refused photo is told in Russian with the formats the api takes, and
its error goes once the next photo is uploaded; and the chat's menu button pressed
while the app is open starts the app over instead of "Page not found".
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from itertools import count

import pytest
from PIL import Image
from playwright.async_api import Browser, expect

from tests.browser.layout import WIDTHS, Market, Person, Phone, check_layout, sign_in
from tests.browser.pages import SLOW_TIMEOUT_MS, ChatFactory, Screenshots
from tests.support.stack import ADMIN_ID, Stack

pytestmark = pytest.mark.browser

_next_user = count(840_001)
SCREENS = [(width, theme) for width in WIDTHS for theme in ("light", "dark")]


def png(color: str = "#3a7bd5") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def people(browser_stack: Stack) -> tuple[Person, Person, Person]:
    """The admin, a seller and a buyer, all Russian-speaking."""
    sandbox, api = browser_stack.url("sandbox"), browser_stack.url("api")
    admin = await sign_in(sandbox, api, ADMIN_ID, "Ада", "ru")
    seller = await sign_in(sandbox, api, next(_next_user), "Светлана", "ru")
    buyer = await sign_in(sandbox, api, next(_next_user), "Борис", "ru")
    return admin, seller, buyer


@pytest.fixture
async def phones(browser: Browser, browser_stack: Stack) -> AsyncIterator[list[Phone]]:
    opened: list[Phone] = []
    yield opened
    for phone in opened:
        await phone.close()


@pytest.mark.parametrize(("width", "theme"), SCREENS, ids=[f"{w}-{t}" for w, t in SCREENS])
async def test_every_screen_fits_the_phone(
    width: int,
    theme: str,
    browser: Browser,
    browser_stack: Stack,
    people: tuple[Person, Person, Person],
    phones: list[Phone],
) -> None:
    admin, seller, buyer = people
    market = Market(browser_stack.url("api"))
    published = await market.published(seller, admin, "Диван раскладной угловой", "12500")
    await market.call(
        seller, "POST", f"/listings/{published}/availability", {"availability": "reserved"}
    )
    await market.call(
        buyer,
        "POST",
        f"/listings/{published}/reports",
        {"reason": "misleading", "comment": "На фото другой диван, и цена без доставки"},
    )
    pending = await market.listing(seller, "Кресло-качалка", "4990")
    await market.call(seller, "POST", f"/listings/{pending}/submit")
    phone = Phone(browser, browser_stack.url("api"), width, theme)
    phones.append(phone)
    failures: list[str] = []
    shot = f"{width}-{theme}"

    # The admin: eight tabs (moderation among them) and the language switch in the
    # header, the queue.
    page = await phone.open(admin, "/moderation")
    await expect(page.locator(".tab")).to_have_count(8)
    await expect(page.locator("article.moderation-card").first).to_be_visible()
    await expect(page.locator(".reported-card").first).to_be_visible()
    await check_layout(page, f"{shot}-admin-moderation", failures)
    await page.locator(".reported-card").first.scroll_into_view_if_needed()
    await check_layout(page, f"{shot}-admin-reported", failures)
    await page.locator('a.tab[data-tab="search"]').click()
    await expect(page.locator("form.filters")).to_be_visible()
    await check_layout(page, f"{shot}-admin-search", failures)

    # The seller: their listings with the status chips and badges, a listing of theirs.
    page = await phone.open(seller, "/mine")
    await expect(page.locator("a.listing-card")).to_have_count(2)
    await check_layout(page, f"{shot}-seller-mine", failures)
    await page.goto(page.url.split("#")[0] + f"#/listings/{published}")
    await expect(page.locator(".listing-stats")).to_be_visible()
    await check_layout(page, f"{shot}-seller-listing", failures)

    # The seller's slot watches (none yet: how to start).
    page = await phone.open(seller, "/watches")
    await expect(page.locator("p.empty")).to_be_visible()
    await check_layout(page, f"{shot}-seller-watches", failures)

    # The seller's rentals calendars (no Avito account: how to start).
    page = await phone.open(seller, "/calendars")
    await expect(page.locator("p.empty")).to_contain_text("/avito_connect")
    await check_layout(page, f"{shot}-seller-calendars", failures)

    # The seller's guest assistant page (no Avito account either).
    page = await phone.open(seller, "/guest")
    await expect(page.locator("p.empty")).to_contain_text("/avito_connect")
    await check_layout(page, f"{shot}-seller-guest", failures)

    # The buyer: the listing with "reserved", the seller's link and the report form.
    page = await phone.open(buyer, f"/listings/{published}")
    await expect(page.locator(".availability-reserved")).to_be_visible()
    await page.locator(".report-open").click()
    await expect(page.locator("form.report-form")).to_be_visible()
    await check_layout(page, f"{shot}-buyer-listing", failures)

    # A new listing with every field right but the city: its error is not covered.
    page = await phone.open(seller, "/new")
    form = page.locator("form.listing-form")
    await form.locator('input[name="title"]').fill("Велосипед горный")
    await form.locator('select[name="category"]').select_option("hobby")
    await form.locator('input[name="price"]').fill("12 500")
    await page.locator(".tgx-main-button").click()
    city_error = form.locator(".field.invalid .field-error")
    await expect(city_error).to_have_count(1)
    await expect(form.locator(".form-summary")).to_have_text("Исправьте отмеченные поля.")
    await check_layout(page, f"{shot}-new-listing-errors", failures)

    assert not failures, "\n".join(failures)


async def test_a_refused_photo_is_told_in_russian_and_goes_after_a_good_one(
    browser: Browser,
    browser_stack: Stack,
    people: tuple[Person, Person, Person],
    phones: list[Phone],
) -> None:
    _, seller, _ = people
    market = Market(browser_stack.url("api"))
    draft = await market.listing(seller, "Лампа настольная", "1500")
    phone = Phone(browser, browser_stack.url("api"), 320, "light")
    phones.append(phone)
    page = await phone.open(seller, f"/listings/{draft}/edit")
    failures: list[str] = []

    # The hint names what the api takes: GIF too.
    hint = page.locator(".photos .field-hint")
    await expect(hint).to_contain_text("JPEG, PNG, WebP или GIF")
    not_an_image = {"name": "notimage.jpg", "mimeType": "image/jpeg", "buffer": b"plain text"}
    await page.locator("#photo-input").set_input_files(files=[not_an_image])
    failed = page.locator(".upload-row.failed")
    await expect(failed).to_have_count(1, timeout=SLOW_TIMEOUT_MS)
    await expect(failed).to_contain_text(
        "notimage.jpg: Файл не изображение: загрузите фото (JPEG, PNG, WebP или GIF)."
    )
    await check_layout(page, "320-light-photo-refused", failures)

    good = {"name": "lamp.png", "mimeType": "image/png", "buffer": png()}
    await page.locator("#photo-input").set_input_files(files=[good])
    await expect(page.locator(".photo-grid .photo-item")).to_have_count(1, timeout=SLOW_TIMEOUT_MS)
    await expect(failed).to_have_count(0)
    await check_layout(page, "320-light-photo-accepted", failures)
    assert not failures, "\n".join(failures)


async def test_the_chat_menu_button_while_the_app_is_open_starts_it_over(
    chat: ChatFactory, shots: Screenshots
) -> None:
    person = await chat(next(_next_user), "Вера", "ru")
    await person.ask("/start")
    menu = person.page.locator("#menu-button")
    await expect(menu).to_be_visible()
    await menu.click()
    await person.wait_for_app()
    app = person.app
    await app.locator('a.tab[data-tab="mine"]').click()
    await expect(app.locator("h1")).to_have_text("Мои объявления")
    await shots(person.page, "app-open")

    # The sandbox opens the menu button's URL again: only the fragment differs from the
    # page the app is on, so the browser does not reload it.
    await menu.click()
    await expect(app.locator("nav.tabs")).to_be_visible()
    await expect(app.locator('a.tab[data-tab="search"]')).to_have_class(re.compile("active"))
    await expect(app.locator("h1")).to_have_text("Поиск объявлений")
    await expect(app.get_by_text("Страница не найдена")).to_have_count(0)
    await shots(person.page, "menu-pressed-again")
    assert person.errors == [], person.problems()
