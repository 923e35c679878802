"""The Mini App's Assistant page in a real browser, opened from the bot's /guest_mode
message: a landlord picks an apartment, sets
the guest assistant's mode, house rules, quiet hours and time zone (an unknown zone and a
lone quiet hour are refused and said), adds and deletes FAQ entries; the api holds what
the page showed. Russian too."""

from __future__ import annotations

import uuid
from itertools import count

import httpx
import pytest
from playwright.async_api import expect

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from tests.browser.pages import ChatFactory, Screenshots
from tests.browser.test_market_flow import start_chat
from tests.support.stack import SERVICE_TOKEN, Stack

pytestmark = pytest.mark.browser

_next_person = count(847_001)


async def test_the_assistant_page_sets_rules_mode_quiet_hours_zone_and_faq(
    chat: ChatFactory, shots: Screenshots, browser_stack: Stack
) -> None:
    person_id = next(_next_person)
    person = await start_chat(chat, person_id, "Olga")
    avito_user = 7_000_000 + uuid.uuid4().int % 1_000_000
    keys = {"client_id": f"g-{uuid.uuid4().hex[:8]}", "client_secret": uuid.uuid4().hex}
    acting = {ACTING_USER_HEADER: str(person_id)}
    async with httpx.AsyncClient(base_url=browser_stack.url("sandbox"), timeout=10) as sandbox:
        account = {"user_id": avito_user, "name": "Olga", **keys}
        (await sandbox.post("/sandbox/avito/accounts", json=account)).raise_for_status()
        for title in ("Лофт", "Studio <b>"):
            item = {"user_id": avito_user, "title": title}
            (await sandbox.post("/sandbox/avito/items", json=item)).raise_for_status()
    async with ServiceClient(browser_stack.url("api"), SERVICE_TOKEN, timeout=30) as api:
        connected = await api.request("POST", "/api/v1/rentals/accounts", json=keys, headers=acting)
        account_id = connected.json()["id"]
        await api.request("POST", f"/api/v1/rentals/accounts/{account_id}/sync", headers=acting)
        items = await api.request(
            "GET", f"/api/v1/rentals/accounts/{account_id}/items", headers=acting
        )
        ids = {item["title"]: item["id"] for item in items.json()}

        await person.send("/guest_mode")  # its item picker links to the page
        menu = await person.bot_message("Which apartment?")
        await person.open_app_from(menu, "All assistant settings")
        app = person.app
        await expect(app.locator(".tab[aria-current='page']")).to_have_text("Assistant")
        await app.locator(".guest-item").select_option(str(ids["Studio <b>"]))
        await expect(app.locator(".guest-zone")).to_have_value("Europe/Moscow")

        await app.locator(".guest-mode").select_option("draft")
        await app.locator(".guest-rules").fill("Парковка во дворе.\nНе курить.")
        await app.locator(".guest-quiet-start").fill("23")
        await app.locator(".guest-save").click()  # one hour alone: refused here
        await expect(app.locator(".guest-error")).to_have_text(
            "Quiet hours need both hours from 0 to 23, or neither."
        )
        await app.locator(".guest-quiet-end").fill("7")
        await app.locator(".guest-zone").fill("Mars/Olympus")
        await app.locator(".guest-save").click()  # the api refuses the zone: said, kept
        await expect(app.locator(".guest-error")).to_be_visible()
        unchanged = await api.request("GET", f"/api/v1/rentals/items/{ids['Studio <b>']}/guest",
                                      headers=acting)  # fmt: skip
        assert unchanged.json()["mode"] == "off"
        await app.locator(".guest-zone").fill("Asia/Yekaterinburg")
        await app.locator(".guest-save").click()
        await expect(app.locator(".toast")).to_have_text("Saved")
        saved = (
            await api.request(
                "GET", f"/api/v1/rentals/items/{ids['Studio <b>']}/guest", headers=acting
            )
        ).json()
        assert (saved["mode"], saved["quiet_start"], saved["quiet_end"], saved["time_zone"]) == (
            "draft", 23, 7, "Asia/Yekaterinburg")  # fmt: skip
        assert saved["house_rules"] == "Парковка во дворе.\nНе курить."
        other = await api.request(
            "GET", f"/api/v1/rentals/items/{ids['Лофт']}/guest", headers=acting
        )
        assert other.json()["mode"] == "off"  # the other apartment is untouched

        await app.locator(".guest-faq-save").click()  # empty: refused here
        await expect(app.locator(".guest-faq-error")).to_have_text(
            "Write both the question and the answer."
        )
        await app.locator(".guest-faq-question").fill("Пароль от wifi?")
        await app.locator(".guest-faq-answer").fill("sea2024 <script>")
        await app.locator(".guest-faq-save").click()
        entries = app.locator(".guest-faq-entry")
        await expect(entries).to_have_count(1)
        await expect(entries).to_contain_text("sea2024 <script>")
        await shots(person.page, "guest-assistant")
        faq = await api.request("GET", f"/api/v1/rentals/items/{ids['Studio <b>']}/faq",
                                headers=acting)  # fmt: skip
        assert [(f["question"], f["answer"]) for f in faq.json()] == [
            ("Пароль от wifi?", "sea2024 <script>")
        ]
        await entries.locator(".guest-faq-delete").click()
        await expect(app.locator(".guest-faq-entry")).to_have_count(0)
        faq = await api.request("GET", f"/api/v1/rentals/items/{ids['Studio <b>']}/faq",
                                headers=acting)  # fmt: skip
        assert faq.json() == []

        await app.locator(".lang-switch").click()  # Russian
        await expect(app.locator(".tab[aria-current='page']")).to_have_text("Ассистент")
        await expect(app.locator("h1")).to_have_text("Ассистент для гостей")
    assert person.errors == [], person.problems()
