"""The calendar through the api, the gateway and the emulator: preview then confirm, the
full open set written, bad ranges refused, bookings polled and told once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.rentals.calendar.service import CalendarDesk
from concierge.common import clock
from concierge.domain.notify.models import Outbox
from tests.services.api.market.conftest import WebClient
from tests.services.avito.conftest import AVITO_USER, LANDLORD, OTHER_LANDLORD, AvitoStack
from tests.services.avito.test_gateway import connect


def span(start: int, end: int) -> dict[str, str]:
    today = CalendarDesk.today()
    return {
        "date_start": (today + timedelta(days=start)).isoformat(),
        "date_end": (today + timedelta(days=end)).isoformat(),
    }


async def ready_item(
    avito: AvitoStack, web_client: WebClient
) -> tuple[httpx.AsyncClient, int, int]:
    """A connected landlord with one imported item: (client, api item id, Avito item id)."""
    await avito.landlord_account()
    avito_item = await avito.item(AVITO_USER, "Студия у моря")
    account_id = await connect(avito, web_client)
    landlord = await web_client(LANDLORD)
    assert (await landlord.post(f"/api/v1/rentals/accounts/{account_id}/sync")).status_code == 200
    items = (await landlord.get(f"/api/v1/rentals/accounts/{account_id}/items")).json()
    return landlord, items[0]["id"], avito_item


async def emulator_days(avito: AvitoStack, avito_item: int) -> dict[str, str]:
    today = CalendarDesk.today()
    response = await avito.sandbox.get(
        f"/sandbox/avito/items/{avito_item}/calendar",
        params={
            "date_start": today.isoformat(),
            "date_end": (today + timedelta(days=60)).isoformat(),
        },
    )
    days: dict[str, str] = response.json()
    return days


class TestCloseAndOpen:
    async def test_preview_then_confirm_writes_the_full_open_set(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        landlord, item, avito_item = await ready_item(avito, web_client)
        change: dict[str, Any] = {"action": "close", "ranges": [span(5, 12), span(20, 27)]}
        preview = await landlord.post(f"/api/v1/rentals/items/{item}/calendar/preview", json=change)
        assert preview.status_code == 200, preview.text
        assert (len(preview.json()["closes"]), len(preview.json()["opens"])) == (14, 0)
        assert set((await emulator_days(avito, avito_item)).values()) == {"free"}  # not yet

        done = await landlord.post(
            f"/api/v1/rentals/items/{item}/calendar/confirm",
            json={**change, "token": preview.json()["token"]},
        )
        assert done.status_code == 200, done.text
        assert done.json() == {"closed": 14, "opened": 0}
        days = await emulator_days(avito, avito_item)
        closed = sorted(day for day, state in days.items() if state == "closed")
        today = CalendarDesk.today()
        expected = [
            (today + timedelta(days=n)).isoformat() for n in [*range(5, 12), *range(20, 27)]
        ]
        assert closed == expected

        reopen: dict[str, Any] = {"action": "open", "ranges": [span(9, 12)]}
        preview = await landlord.post(f"/api/v1/rentals/items/{item}/calendar/preview", json=reopen)
        assert (len(preview.json()["closes"]), len(preview.json()["opens"])) == (0, 3)
        stale = preview.json()["token"]
        other = {"action": "close", "ranges": [span(40, 41)]}
        token = (
            await landlord.post(f"/api/v1/rentals/items/{item}/calendar/preview", json=other)
        ).json()["token"]
        await landlord.post(
            f"/api/v1/rentals/items/{item}/calendar/confirm", json={**other, "token": token}
        )
        # the calendar changed since the first preview: its token no longer confirms
        refused = await landlord.post(
            f"/api/v1/rentals/items/{item}/calendar/confirm", json={**reopen, "token": stale}
        )
        assert refused.status_code == 409

        fifth = today + timedelta(days=5)
        month = (await landlord.get(
            f"/api/v1/rentals/items/{item}/calendar", params={"month": fifth.strftime("%Y-%m")}
        )).json()  # fmt: skip
        states = {d["date"]: d["state"] for d in month["days"]}
        assert states[fifth.isoformat()] == "closed"
        assert states[fifth.replace(day=1).isoformat()] in ("free", "closed")

    @pytest.mark.parametrize(
        "ranges",
        [
            [span(-2, 3)],  # starts in the past
            [span(5, 5)],  # empty
            [span(8, 4)],  # ends before it starts
            [span(10, 400)],  # beyond a year
            [span(3, 10), span(8, 12)],  # overlapping
            [],
            [{"date_start": "2026-13-01", "date_end": "2027-01-01"}],
            [{"date_start": "x\x00", "date_end": "y"}],
        ],
    )
    async def test_bad_ranges_are_422_and_write_nothing(
        self, avito: AvitoStack, web_client: WebClient, ranges: list[dict[str, str]]
    ) -> None:
        landlord, item, avito_item = await ready_item(avito, web_client)
        change = {"action": "close", "ranges": ranges}
        response = await landlord.post(
            f"/api/v1/rentals/items/{item}/calendar/preview", json=change
        )
        assert response.status_code == 422, response.text
        response = await landlord.post(
            f"/api/v1/rentals/items/{item}/calendar/confirm", json={**change, "token": "x"}
        )
        assert response.status_code == 422
        assert set((await emulator_days(avito, avito_item)).values()) == {"free"}

    async def test_another_landlords_item_is_404(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        _, item, _ = await ready_item(avito, web_client)
        stranger = await web_client(OTHER_LANDLORD)
        change = {"action": "close", "ranges": [span(5, 6)]}
        for path, body in [
            (f"/api/v1/rentals/items/{item}/calendar/preview", change),
            (f"/api/v1/rentals/items/{item}/calendar/confirm", {**change, "token": "x"}),
        ]:
            assert (await stranger.post(path, json=body)).status_code == 404
        response = await stranger.get(
            f"/api/v1/rentals/items/{item}/calendar", params={"month": "2027-01"}
        )
        assert response.status_code == 404


class TestBookings:
    async def test_a_new_booking_is_told_once_and_closing_it_names_it(
        self,
        avito: AvitoStack,
        web_client: WebClient,
        service: httpx.AsyncClient,
        session: AsyncSession,
    ) -> None:
        landlord, item, avito_item = await ready_item(avito, web_client)
        await service.post("/api/v1/internal/rentals/bookings/poll")  # the baseline
        today = CalendarDesk.today()
        stay = (today + timedelta(days=14), today + timedelta(days=17))
        booking_id = await avito.booking(avito_item, "Иван", *stay)
        for _ in range(2):
            polled = await service.post("/api/v1/internal/rentals/bookings/poll")
            assert polled.status_code == 200, polled.text
        told = (await session.scalars(select(Outbox).where(Outbox.chat_id == LANDLORD))).all()
        assert [row.kind for row in told] == ["rentals.booking_new"]
        assert "Иван" in told[0].payload["text"]

        change = {"action": "close", "ranges": [span(15, 16)]}
        refused = await landlord.post(f"/api/v1/rentals/items/{item}/calendar/preview", json=change)
        assert refused.status_code == 409
        assert str(booking_id) in refused.json()["detail"]

        # cancelled on Avito: told once
        await avito.booking(avito_item, "Иван", *stay, id=booking_id, status="canceled")
        await service.post("/api/v1/internal/rentals/bookings/poll")
        await service.post("/api/v1/internal/rentals/bookings/poll")
        told = (await session.scalars(select(Outbox).where(Outbox.chat_id == LANDLORD))).all()
        assert sorted(row.kind for row in told) == [
            "rentals.booking_cancelled",
            "rentals.booking_new",
        ]
        month = (await landlord.get(
            f"/api/v1/rentals/items/{item}/calendar", params={"month": stay[0].strftime("%Y-%m")}
        )).json()  # fmt: skip
        assert all(d["state"] != "booked" for d in month["days"])

    async def test_avitos_own_409_on_a_paid_booking_names_it_and_changes_nothing(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        landlord, item, avito_item = await ready_item(avito, web_client)
        today = CalendarDesk.today()
        booking_id = await avito.booking(
            avito_item, "Пётр", today + timedelta(days=8), today + timedelta(days=10), paid=True
        )
        # not polled yet: the api does not know the booking, Avito refuses the write
        change: dict[str, Any] = {"action": "close", "ranges": [span(7, 9)]}
        preview = await landlord.post(f"/api/v1/rentals/items/{item}/calendar/preview", json=change)
        assert preview.status_code == 200, preview.text
        refused = await landlord.post(
            f"/api/v1/rentals/items/{item}/calendar/confirm",
            json={**change, "token": preview.json()["token"]},
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "booking_overlap"
        assert refused.json()["params"]["booking"] == str(booking_id)
        assert "closed" not in set((await emulator_days(avito, avito_item)).values())
        month = (await landlord.get(
            f"/api/v1/rentals/items/{item}/calendar",
            params={"month": (today + timedelta(days=7)).strftime("%Y-%m")},
        )).json()  # fmt: skip
        assert all(d["state"] != "closed" for d in month["days"])

    async def test_the_first_poll_of_an_item_is_a_silent_baseline(
        self,
        avito: AvitoStack,
        web_client: WebClient,
        service: httpx.AsyncClient,
        session: AsyncSession,
    ) -> None:
        landlord, item, avito_item = await ready_item(avito, web_client)
        today = CalendarDesk.today()
        for offset, name in [(3, "Старый гость"), (20, "Early guest")]:
            stay = (today + timedelta(days=offset), today + timedelta(days=offset + 2))
            await avito.booking(avito_item, name, *stay)
        first = await service.post("/api/v1/internal/rentals/bookings/poll")
        assert first.status_code == 200, first.text
        assert (first.json()["items"], first.json()["new"]) == (1, 0)
        assert (await session.scalars(select(Outbox))).all() == []
        # the baseline is stored: the bookings show on the calendar and the list
        listed = (await landlord.get(f"/api/v1/rentals/items/{item}/bookings")).json()
        assert sorted(b["guest_name"] for b in listed) == ["Early guest", "Старый гость"]

        # a booking made after the baseline is new; the old ones stay quiet
        stay = (today + timedelta(days=30), today + timedelta(days=33))
        await avito.booking(avito_item, "Новый гость", *stay)
        second = await service.post("/api/v1/internal/rentals/bookings/poll")
        assert second.json()["new"] == 1
        told = (await session.scalars(select(Outbox))).all()
        assert [row.kind for row in told] == ["rentals.booking_new"]
        assert "Новый гость" in told[0].payload["text"]

    async def test_a_failed_first_poll_takes_no_baseline(
        self,
        avito: AvitoStack,
        web_client: WebClient,
        service: httpx.AsyncClient,
        session: AsyncSession,
    ) -> None:
        from concierge.domain.rentals.models import RentalsItem

        _, item, avito_item = await ready_item(avito, web_client)
        today = CalendarDesk.today()
        await avito.booking(
            avito_item, "Гость", today + timedelta(days=5), today + timedelta(days=6)
        )
        await avito.fault("503", times=12)  # the gateway's and the api's retries all fail
        failed = await service.post("/api/v1/internal/rentals/bookings/poll")
        assert failed.status_code == 200, failed.text
        assert failed.json()["failed"] == 1
        row = await session.get(RentalsItem, item)
        assert row is not None
        assert row.bookings_polled_at is None

        # polls go on failing until the faults run out; the first that succeeds is the
        # baseline: the booking it finds is not told as new
        for _ in range(12):
            polled = (await service.post("/api/v1/internal/rentals/bookings/poll")).json()
            assert polled["new"] == 0
            if not polled["failed"]:
                break
        else:
            pytest.fail("the polls kept failing")
        await session.refresh(row)
        assert row.bookings_polled_at is not None
        assert (await session.scalars(select(Outbox))).all() == []

    async def test_cohosts_are_told_of_bookings_too(
        self,
        avito: AvitoStack,
        web_client: WebClient,
        service: httpx.AsyncClient,
        session: AsyncSession,
    ) -> None:
        landlord, _, avito_item = await ready_item(avito, web_client)
        account_id = (await landlord.get("/api/v1/rentals/accounts")).json()[0]["id"]
        await web_client(OTHER_LANDLORD)  # the co-host uses the bot too
        invited = await landlord.post(
            f"/api/v1/rentals/accounts/{account_id}/cohosts",
            json={"telegram_id": OTHER_LANDLORD, "access": "read"},
        )
        assert invited.status_code == 201, invited.text
        await service.post("/api/v1/internal/rentals/bookings/poll")  # the baseline
        today = CalendarDesk.today()
        stay = (today + timedelta(days=10), today + timedelta(days=12))
        booking_id = await avito.booking(avito_item, "Анна", *stay)
        await service.post("/api/v1/internal/rentals/bookings/poll")
        await service.post("/api/v1/internal/rentals/bookings/poll")
        told = (await session.scalars(select(Outbox).order_by(Outbox.id))).all()
        assert sorted((row.chat_id, row.kind) for row in told) == [
            (LANDLORD, "rentals.booking_new"),
            (OTHER_LANDLORD, "rentals.booking_new"),
        ]
        assert all("Анна" in row.payload["text"] for row in told)

        await avito.booking(avito_item, "Анна", *stay, id=booking_id, status="canceled")
        await service.post("/api/v1/internal/rentals/bookings/poll")
        cancelled = (
            await session.scalars(select(Outbox).where(Outbox.kind == "rentals.booking_cancelled"))
        ).all()
        assert sorted(row.chat_id for row in cancelled) == [LANDLORD, OTHER_LANDLORD]


def test_open_set_leaves_out_exactly_the_closed_days() -> None:
    from concierge.api.rentals.calendar.rules import HORIZON_DAYS, days_of, open_set

    today = date(2027, 1, 1)
    closed = {
        today,
        today + timedelta(days=3),
        today + timedelta(days=4),
        today + timedelta(days=364),
    }
    ranges = open_set(closed, today)
    opened = {d for r in ranges for d in days_of(r.date_start, r.date_end)}
    assert opened == set(days_of(today, today + timedelta(days=HORIZON_DAYS))) - closed
    assert open_set(set(), today)[0].date_end == today + timedelta(days=HORIZON_DAYS)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2027-13", "2027-1", "x"])
async def test_a_month_out_of_range_is_422(
    avito: AvitoStack, web_client: WebClient, month: str
) -> None:
    landlord, item, _ = await ready_item(avito, web_client)
    response = await landlord.get(f"/api/v1/rentals/items/{item}/calendar", params={"month": month})
    assert response.status_code == 422


class TestArrivalsDigest:
    async def test_the_digest_is_in_the_items_zone_and_reaches_cohosts_once_each(
        self,
        avito: AvitoStack,
        web_client: WebClient,
        service: httpx.AsyncClient,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        landlord, item, avito_item = await ready_item(avito, web_client)
        account_id = (await landlord.get("/api/v1/rentals/accounts")).json()[0]["id"]
        await web_client(OTHER_LANDLORD)
        invited = await landlord.post(
            f"/api/v1/rentals/accounts/{account_id}/cohosts",
            json={"telegram_id": OTHER_LANDLORD, "access": "read"},
        )
        assert invited.status_code == 201, invited.text
        today = CalendarDesk.today()
        for name, days in (("Завтра", 1), ("Послезавтра", 2)):
            await avito.sandbox.post("/sandbox/avito/bookings", json={
                "item_id": avito_item, "name": name,
                "check_in": (today + timedelta(days=days)).isoformat(),
                "check_out": (today + timedelta(days=days + 2)).isoformat()})  # fmt: skip

        async def poll_at(hour_utc: float) -> None:
            at = datetime.combine(today, time(), UTC) + timedelta(hours=hour_utc)
            monkeypatch.setattr(clock, "utcnow", lambda: at)
            polled = await service.post("/api/v1/internal/rentals/bookings/poll")
            assert polled.status_code == 200, polled.text
            monkeypatch.undo()

        async def digests() -> list[tuple[int, str]]:
            query = select(Outbox).where(Outbox.kind == "rentals.arrivals").order_by(Outbox.id)
            return [(row.chat_id, row.payload["text"]) for row in await session.scalars(query)]

        await poll_at(14)  # 17:00 in Moscow: not yet
        assert await digests() == []
        await poll_at(15.5)  # 18:30 in Moscow: tomorrow's arrivals, to the owner and co-host
        await poll_at(16)  # once each
        told = await digests()
        assert sorted(chat for chat, _ in told) == [LANDLORD, OTHER_LANDLORD]
        tomorrow = (today + timedelta(days=1)).isoformat()
        assert all(tomorrow in text and "Завтра" in text for _, text in told)
        assert not any("Послезавтра" in text for _, text in told)

        # New York (UTC-5): at 20:00 UTC it is 15:00 there, nothing; at 23:30 UTC it is
        # 18:30 there, and tomorrow there is still today + 1; Moscow's 02:30 is not 18:00.
        zone = await landlord.patch(
            f"/api/v1/rentals/items/{item}/guest", json={"time_zone": "America/New_York"}
        )
        assert zone.status_code == 200, zone.text
        await session.execute(delete(Outbox))
        await poll_at(20)
        assert await digests() == []
        await poll_at(23.5)
        told = await digests()
        assert sorted(chat for chat, _ in told) == [LANDLORD, OTHER_LANDLORD]
        assert all(tomorrow in text for _, text in told)
