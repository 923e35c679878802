"""The Mini App's Slots page in a real browser: a person's watch, the slot its target
showed at the last poll (in the office's time), and the official booking link."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from tests.browser.pages import ChatFactory, Screenshots
from tests.browser.test_market_flow import start_chat
from tests.support.stack import ADMIN_ID, SERVICE_TOKEN, Stack

pytestmark = pytest.mark.browser

_next_person = count(836_001)
SCRIPT = "<script>alert(1)</script>"


async def test_the_slots_page_lists_watches_with_the_last_slots_seen(
    chat: ChatFactory, shots: Screenshots, browser_stack: Stack
) -> None:
    person_id = next(_next_person)
    person = await start_chat(chat, person_id, "Wanda")
    slug = f"b{uuid.uuid4().hex[:8]}"
    admin, acting = {ACTING_USER_HEADER: str(ADMIN_ID)}, {ACTING_USER_HEADER: str(person_id)}
    async with ServiceClient(browser_stack.url("api"), SERVICE_TOKEN, timeout=10) as api:
        await api.request(
            "POST", "/api/v1/users", json={"telegram_id": ADMIN_ID, "first_name": "A"}
        )
        provider = {
            "slug": slug,
            "kind": "json",
            "name": "Stadt",
            "base_url": "https://appointments.example.invalid/",
            "booking_url": "https://appointments.example.invalid/book/{office}/{service}",
            "floor_interval_s": 86_400,  # the worker's one poll fails; this test reports
        }
        await api.request("POST", "/api/v1/admin/watch/providers", json=provider, headers=admin)
        catalog = {
            "offices": [{"id": "7", "name": f"Bürgerbüro {SCRIPT}", "service_ids": ["9"]}],
            "services": [{"id": "9", "name": "Reisepass"}],
        }
        await api.request("PUT", f"/api/v1/watch/service/providers/{slug}/catalog", json=catalog)
        today = date.today()
        watch = {"provider": slug, "office": "7", "service": "9",
                 "date_from": today.isoformat(),
                 "date_to": (today + timedelta(days=30)).isoformat()}  # fmt: skip
        created = await api.request("POST", "/api/v1/watches", json=watch, headers=acting)
        target = next(
            t["id"]
            for t in (await api.request("GET", "/api/v1/admin/watch/targets", headers=admin)).json()
            if t["provider"] == slug
        )
        slot = datetime.combine(today + timedelta(days=4), time(9, 30), ZoneInfo("Europe/Berlin"))
        report = {"outcome": "ok", "slots": [slot.isoformat()]}
        await api.request("POST", f"/api/v1/watch/service/targets/{target}/polls", json=report)
    assert created.json()["open_slots"] == []

    await person.open_app_from(person.bot_rows.first, re.compile("My listings|Мои объявления"))
    app = person.app
    await app.locator('nav.tabs a[data-tab="watches"]').click()
    card = app.locator(".watch-card")
    await expect(card).to_have_count(1)
    await expect(card.locator(".card-title")).to_have_text(f"Bürgerbüro {SCRIPT}")
    await expect(card.locator(".watch-slots li")).to_have_count(1)
    await expect(card.locator(".watch-slots li")).to_contain_text("09:30")
    link = card.locator("a.watch-book")
    await expect(link).to_have_attribute("href", "https://appointments.example.invalid/book/7/9")
    await shots(person.page, "slots-page")
    assert person.errors == [], person.problems()
