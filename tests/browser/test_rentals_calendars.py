"""The Mini App's Calendars page in a real browser: a landlord opens it from the bot's
/calendar message, sees the apartments side by side, closes a range of days through the
preview ("closes 3 dates, opens 0") and Confirm (the sandbox's Avito calendar changes only
then), and a range over a paid booking is refused naming the booking."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
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

_next_person = count(846_001)


def _next_month_day(day: int) -> date:
    """A day of next month (Moscow's today is at most a day off UTC's: always ahead)."""
    first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=day)


async def _emulator_closed(sandbox: httpx.AsyncClient, item: int, start: date) -> list[str]:
    response = await sandbox.get(
        f"/sandbox/avito/items/{item}/calendar",
        params={"date_start": start.isoformat(),
                "date_end": (start + timedelta(days=28)).isoformat()},
    )  # fmt: skip
    return sorted(day for day, state in response.json().items() if state == "closed")


async def test_close_days_with_the_preview_then_confirm_and_a_paid_booking_is_named(
    chat: ChatFactory, shots: Screenshots, browser_stack: Stack
) -> None:
    person_id = next(_next_person)
    person = await start_chat(chat, person_id, "Lena")
    avito_user = 6_000_000 + uuid.uuid4().int % 1_000_000
    keys = {"client_id": f"b-{uuid.uuid4().hex[:8]}", "client_secret": uuid.uuid4().hex}
    async with httpx.AsyncClient(base_url=browser_stack.url("sandbox"), timeout=10) as sandbox:
        account = {"user_id": avito_user, "name": "Lena", **keys}
        (await sandbox.post("/sandbox/avito/accounts", json=account)).raise_for_status()
        loft = (
            await sandbox.post(
                "/sandbox/avito/items", json={"user_id": avito_user, "title": "Лофт"}
            )
        ).json()["id"]
        studio = (
            await sandbox.post(
                "/sandbox/avito/items", json={"user_id": avito_user, "title": "Studio <b>"}
            )
        ).json()["id"]
        paid = {"item_id": loft, "name": "Гость", "paid": True,
                "check_in": _next_month_day(20).isoformat(),
                "check_out": _next_month_day(23).isoformat()}  # fmt: skip
        booking = (await sandbox.post("/sandbox/avito/bookings", json=paid)).json()["id"]

        acting = {ACTING_USER_HEADER: str(person_id)}
        async with ServiceClient(browser_stack.url("api"), SERVICE_TOKEN, timeout=30) as api:
            connected = await api.request(
                "POST", "/api/v1/rentals/accounts", json=keys, headers=acting
            )
            account_id = connected.json()["id"]
            await api.request("POST", f"/api/v1/rentals/accounts/{account_id}/sync", headers=acting)
            items = await api.request(
                "GET", f"/api/v1/rentals/accounts/{account_id}/items", headers=acting
            )
            ids = {item["title"]: item["id"] for item in items.json()}
            # the first poll takes the booking as the baseline (the landlord is not told)
            await api.request("POST", "/api/v1/internal/rentals/bookings/poll")

        # the bot's /calendar message links to the page
        await person.send("/calendar")
        menu = await person.bot_message("Which apartment?")
        await person.open_app_from(menu, "All calendars")
        app = person.app
        await expect(app.locator(".tab[aria-current='page']")).to_have_text("Calendars")
        await app.locator(".cal-next").click()
        heads = app.locator(".cal-grid thead .cal-item")
        await expect(heads).to_have_text(["Лофт", "Studio <b>"])

        def cell(title: str, day: date) -> str:
            return f'td[data-item="{ids[title]}"][data-date="{day.isoformat()}"]'

        grid = app.locator(".cal-grid")
        booked = grid.locator(cell("Лофт", _next_month_day(21)))
        await expect(booked).to_have_attribute("data-state", "booked")
        await expect(grid.locator(cell("Studio <b>", _next_month_day(21)))).to_have_attribute(
            "data-state", "free"
        )

        first, last = _next_month_day(3), _next_month_day(5)
        await grid.locator(cell("Лофт", first)).locator("button").click()
        await grid.locator(cell("Лофт", last)).locator("button").click()
        await app.locator(".cal-close").click()
        await expect(app.locator(".cal-diff")).to_have_text("Лофт: this closes 3 dates, opens 0.")
        assert await _emulator_closed(sandbox, loft, first.replace(day=1)) == []  # not yet
        await shots(person.page, "calendars-preview")
        await app.locator(".cal-confirm").click()
        await expect(app.locator(".toast")).to_have_text("Done: 3 closed, 0 opened.")
        await expect(grid.locator(cell("Лофт", first))).to_have_attribute("data-state", "closed")
        assert await _emulator_closed(sandbox, loft, first.replace(day=1)) == [
            (first + timedelta(days=n)).isoformat() for n in range(3)
        ]
        assert await _emulator_closed(sandbox, studio, first.replace(day=1)) == []

        # over the paid booking: refused, named, nothing changed
        await grid.locator(cell("Лофт", _next_month_day(19))).locator("button").click()
        await grid.locator(cell("Лофт", _next_month_day(21))).locator("button").click()
        await app.locator(".cal-close").click()
        await expect(app.locator(".cal-error")).to_have_text(
            f"The dates overlap the booking {booking}: nothing changed."
        )
        await expect(app.locator(".cal-confirm")).to_have_count(0)
        assert len(await _emulator_closed(sandbox, loft, first.replace(day=1))) == 3
        await shots(person.page, "calendars-refused")
    assert person.errors == [], person.problems()
