"""A buyer reaches the seller from the Mini App, in Russian and in English, through the
sandbox chat: the listing's "Write to the seller" starts the bot's relayed conversation
and the app closes to the chat; the buyer's message reaches the seller; the seller sees
the listing's figures and marks it sold, and the buyer's listing page says "Sold" with
no way to write any more.
"""

from __future__ import annotations

import re
from itertools import count

import pytest
from playwright.async_api import expect

from tests.browser.layout import Market, sign_in
from tests.browser.pages import SLOW_TIMEOUT_MS, ChatFactory, ChatPage, Screenshots
from tests.support.stack import ADMIN_ID, Stack

pytestmark = pytest.mark.browser

_next_user = count(850_001)

# What each language's people read, and write.
TEXTS = {
    "ru": {
        "names": ("Ада", "Светлана", "Борис"),
        "title": "Комод дубовый",
        "price": "12\u00a0500\u00a0₽",
        "write": "Написать продавцу",
        "prompt": "Напишите здесь сообщение продавцу",
        "message": "Здравствуйте! Комод ещё продаётся?",
        "buyer": "Покупатель",
        "stats": re.compile(r"Просмотров: [1-9]\d* · написали: 1"),
        "sold": "Продано",
    },
    "en": {
        "names": ("Ada", "Sarah", "Bob"),
        "title": "Oak chest of drawers",
        "price": "₽12,500",
        "write": "Write to the seller",
        "prompt": "Write your message for the seller",
        "message": "Hello! Is the chest still for sale?",
        "buyer": "Buyer",
        "stats": re.compile(r"Viewed by [1-9]\d* · contacted by 1"),
        "sold": "Sold",
    },
}


async def open_listing(person: ChatPage, listing_id: int, title: str) -> None:
    """The listing's card in the chat (``/start listing_<id>``), then its Mini App page."""
    card = await person.ask(f"/start listing_{listing_id}")
    await expect(card).to_contain_text(title)
    await person.open_app_from(card)
    await expect(person.app.locator("h1.listing-title")).to_have_text(title)


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_a_buyer_writes_to_the_seller_from_the_mini_app_and_the_seller_marks_it_sold(
    language: str, chat: ChatFactory, shots: Screenshots, browser_stack: Stack
) -> None:
    said = TEXTS[language]
    admin_name, seller_name, buyer_name = said["names"]
    title = str(said["title"])
    sandbox, api = browser_stack.url("sandbox"), browser_stack.url("api")
    seller_id, buyer_id = next(_next_user), next(_next_user)
    admin = await sign_in(sandbox, api, ADMIN_ID, str(admin_name), language)
    seller_account = await sign_in(sandbox, api, seller_id, str(seller_name), language)
    listing_id = await Market(api).published(seller_account, admin, title, "12500")

    seller = await chat(seller_id, seller_name, language)
    await seller.ask("/start")
    buyer = await chat(buyer_id, buyer_name, language)
    await buyer.ask("/start")

    # The buyer: the listing, its price as the language writes it, "write to the seller".
    await open_listing(buyer, listing_id, title)
    app = buyer.app
    await expect(app.locator(".listing-price")).to_have_text(str(said["price"]))
    await shots(buyer.page, "buyer-listing")
    await buyer.press_main_button(str(said["write"]))
    # The app closes to the chat, where the bot says what happens next.
    await expect(buyer.page.locator("#webapp")).to_be_hidden()
    prompt = await buyer.bot_message(str(said["prompt"]), SLOW_TIMEOUT_MS)
    await expect(prompt).to_contain_text(title)
    await shots(buyer.page, "conversation-started")
    await buyer.send(str(said["message"]))

    # The seller reads it in their chat, without the buyer's account.
    inquiry = await seller.bot_message(str(said["message"]), SLOW_TIMEOUT_MS)
    await expect(inquiry).to_contain_text(str(said["buyer"]))
    await expect(inquiry).not_to_contain_text(str(buyer_name))
    await shots(seller.page, "seller-notified")

    # The seller's listing page: how many looked and wrote; marked sold.
    await open_listing(seller, listing_id, title)
    owner_app = seller.app
    await expect(owner_app.locator(".listing-stats")).to_have_text(said["stats"])
    await owner_app.locator('button[data-availability="sold"]').click()
    await expect(owner_app.locator(".availability-sold")).to_have_text(str(said["sold"]))
    await shots(seller.page, "seller-marked-sold")

    # The buyer sees it sold, with no "write" any more.
    await open_listing(buyer, listing_id, title)
    await expect(app.locator(".availability-sold")).to_have_text(str(said["sold"]))
    await expect(buyer.main_button).to_be_hidden()
    await shots(buyer.page, "buyer-sees-sold")
    for person in (buyer, seller):
        assert person.dialogs == [], person.problems()
        assert person.errors == [], person.problems()
