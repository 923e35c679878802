"""Polls the worker reports: slots diffed against the last poll, each new slot told
once to each person whose window it fits, with the official booking link; captcha
demands pause the target and tell watchers; failures go to admins once per streak
and once on recovery, never to watchers; people who blocked the bot are paused."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.identity.models import User
from concierge.domain.notify.models import Outbox
from concierge.domain.watch.models import Watch
from tests.services.api.conftest import ADMIN_ID
from tests.services.api.market.conftest import WebClient
from tests.services.api.watch.conftest import BOOKING

BERLIN = ZoneInfo("Europe/Berlin")
PERSON = 720_001
EARLY_BIRD = 720_002


def _next_weekday(weekday: int) -> date:
    """The next date (from tomorrow) that falls on ``weekday`` (1 Monday … 7 Sunday)."""
    day = date.today() + timedelta(days=1)
    while day.isoweekday() != weekday:
        day += timedelta(days=1)
    return day


TUESDAY = _next_weekday(2)


def _slot(hour: int, minute: int = 0, day: date = TUESDAY) -> str:
    return datetime.combine(day, time(hour, minute), BERLIN).isoformat()


async def _watch(client: httpx.AsyncClient, **window: object) -> int:
    body = {
        "provider": "muc",
        "office": "102522",
        "service": "1063453",
        "date_from": date.today().isoformat(),
        "date_to": (date.today() + timedelta(days=30)).isoformat(),
        **window,
    }
    response = await client.post("/api/v1/watches", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _target_id(admin: httpx.AsyncClient) -> int:
    return int((await admin.get("/api/v1/admin/watch/targets")).json()[0]["id"])


async def _poll(service: httpx.AsyncClient, target: int, **report: object) -> dict[str, object]:
    response = await service.post(f"/api/v1/watch/service/targets/{target}/polls", json=report)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


async def _messages(session: AsyncSession, kind: str) -> list[Outbox]:
    rows = await session.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id))
    return list(rows.all())


async def test_a_new_slot_is_told_once_with_the_booking_link(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person = await web_client(PERSON)
    await _watch(person, weekdays=[2], time_from="08:00", time_to="12:00")
    target = await _target_id(admin)

    first = await _poll(service, target, outcome="ok", slots=[])
    assert first["state"] == "healthy"
    summary = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(15)])
    assert summary["opened"] == 2  # both opened, only 09:00 is in the window
    assert summary["notified"] == 1
    again = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(15)])
    assert again["opened"] == 0
    assert again["notified"] == 0

    [message] = await _messages(session, "watch.slot_opened")
    assert message.chat_id == PERSON
    assert TUESDAY.strftime("%d %b %Y") in message.payload["text"]
    assert "09:00" in message.payload["text"]
    [[button]] = message.payload["reply_markup"]["inline_keyboard"]
    assert button["url"] == BOOKING

    # The slot goes, then comes back: still told once; the watch lists what is open.
    gone = await _poll(service, target, outcome="ok", slots=[_slot(15)])
    assert gone["gone"] == 1
    back = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(15)])
    assert back["opened"] == 1
    assert back["notified"] == 0
    assert len(await _messages(session, "watch.slot_opened")) == 1
    [listed] = (await person.get("/api/v1/watches")).json()
    opened = [datetime.fromisoformat(slot) for slot in listed["open_slots"]]
    assert opened == [datetime.fromisoformat(_slot(9))]  # 15:00 is outside its hours


async def test_each_watch_gets_only_its_window(
    provider: str, web_client: WebClient, admin: httpx.AsyncClient, service: httpx.AsyncClient
) -> None:
    person, early = await web_client(PERSON), await web_client(EARLY_BIRD)
    await _watch(person, weekdays=[2], time_from="13:00", time_to="18:00")
    await _watch(early, weekdays=[2], time_from="07:00", time_to="09:30")
    other_day = _next_weekday(4)
    await _watch(early, weekdays=[4], time_from="07:00", time_to="09:30")  # same person again
    target = await _target_id(admin)
    summary = await _poll(
        service,
        target,
        outcome="ok",
        slots=[_slot(8), _slot(14, 30), _slot(20), _slot(8, day=other_day)],
    )
    assert summary["opened"] == 4
    assert summary["notified"] == 3  # early: Tue 08:00 and Thu 08:00; person: 14:30
    paused = await person.get("/api/v1/watches")
    assert paused.json()[0]["target_state"] == "healthy"


async def test_a_paused_watch_hears_nothing(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
) -> None:
    person = await web_client(PERSON)
    watch = await _watch(person)
    await person.patch(f"/api/v1/watches/{watch}", json={"paused": True})
    summary = await _poll(service, await _target_id(admin), outcome="ok", slots=[_slot(9)])
    assert summary["notified"] == 0


async def test_captcha_pauses_the_target_and_tells_watchers_once(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person = await web_client(PERSON)
    await _watch(person)
    target = await _target_id(admin)
    summary = await _poll(service, target, outcome="captcha", error="captchaMissing")
    assert summary["state"] == "captcha"
    assert summary["notified"] == 1
    repeat = await _poll(service, target, outcome="captcha", error="captchaMissing")
    assert repeat["notified"] == 0
    [message] = await _messages(session, "watch.captcha")
    assert "captcha" in message.payload["text"]
    assert message.payload["reply_markup"]["inline_keyboard"][0][0]["url"] == BOOKING
    [health] = (await admin.get("/api/v1/admin/watch/targets")).json()
    assert health["state"] == "captcha"
    assert health["paused_until"] is not None

    resumed = await admin.post(f"/api/v1/admin/watch/targets/{target}/resume")
    assert resumed.status_code == 204
    [health] = (await admin.get("/api/v1/admin/watch/targets")).json()
    assert health["paused_until"] is None
    assert (await admin.post("/api/v1/admin/watch/targets/999999/resume")).status_code == 404


async def test_failures_reach_admins_once_and_recovery_once(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person = await web_client(PERSON)
    await _watch(person)
    target = await _target_id(admin)
    error = "expected JSON, the provider answered text/html"
    for _ in range(5):
        summary = await _poll(service, target, outcome="failed", error=error)
    assert summary["state"] == "failing"
    [health] = (await admin.get("/api/v1/admin/watch/targets")).json()
    assert health["failures_in_row"] == 5
    assert health["last_error"] == error
    [alert] = await _messages(session, "watch.target_failing")
    assert alert.chat_id == ADMIN_ID
    assert "text/html" in alert.payload["text"]

    await _poll(service, target, outcome="ok", slots=[])
    await _poll(service, target, outcome="ok", slots=[])
    assert len(await _messages(session, "watch.target_recovered")) == 1
    assert await _messages(session, "watch.slot_opened") == []  # watchers heard nothing
    chats = await session.scalars(select(Outbox.chat_id).distinct())
    assert set(chats.all()) == {ADMIN_ID}


async def test_a_person_who_blocked_the_bot_is_paused(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person = await web_client(PERSON)
    await _watch(person)
    await session.execute(
        update(User).where(User.telegram_id == PERSON).values(blocked_at=func.now())
    )
    summary = await _poll(service, await _target_id(admin), outcome="ok", slots=[_slot(9)])
    assert summary["paused_watches"] == 1
    assert summary["notified"] == 0
    [watch] = (await person.get("/api/v1/watches")).json()
    assert watch["paused"] is True
    assert watch["paused_reason"] == "blocked"


async def test_a_thousand_watchers_share_one_target(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person = await web_client(PERSON)
    first = await _watch(person)
    template = await session.get(Watch, first)
    assert template is not None
    users = await session.scalars(
        insert(User)
        .values([{"telegram_id": 730_000 + n, "language_code": "ru"} for n in range(999)])
        .returning(User.id)
    )
    await session.execute(
        insert(Watch).values(
            [
                {
                    "user_id": user_id,
                    "target_id": template.target_id,
                    "date_from": template.date_from,
                    "date_to": template.date_to,
                    "weekdays": template.weekdays,
                    "time_from": template.time_from,
                    "time_to": template.time_to,
                }
                for user_id in users.all()
            ]
        )
    )
    targets = (await admin.get("/api/v1/admin/watch/targets")).json()
    assert len(targets) == 1
    assert targets[0]["watchers"] == 1000
    summary = await _poll(service, targets[0]["id"], outcome="ok", slots=[_slot(9)])
    assert summary["notified"] == 1000
    messages = await _messages(session, "watch.slot_opened")
    assert len({m.chat_id for m in messages}) == 1000
    assert any("Появилось окно" in m.payload["text"] for m in messages)


async def test_bad_reports_are_refused(
    provider: str, admin: httpx.AsyncClient, service: httpx.AsyncClient, web_client: WebClient
) -> None:
    await _watch(await web_client(PERSON))
    target = await _target_id(admin)
    url = f"/api/v1/watch/service/targets/{target}/polls"
    for body in (
        {"outcome": "splendid"},
        {"outcome": "ok", "slots": ["yesterday"]},
        {"outcome": "ok", "slots": [_slot(9)] * 5001},
        {"outcome": "failed", "error": "x" * 501},
        {"outcome": "failed", "error": "nul \x00 byte"},
        {"outcome": "ok", "slots": ["2030-01-01T09:00:00"]},  # no offset: whose 09:00?
        {"outcome": "ok", "slots": ["9999-12-31T23:59:59+00:00"]},
    ):
        assert (await service.post(url, json=body)).status_code == 422
    missing = await service.post(
        "/api/v1/watch/service/targets/999999/polls", json={"outcome": "ok"}
    )
    assert missing.status_code == 404
    person = await web_client(PERSON)
    assert (await person.post(url, json={"outcome": "ok"})).status_code == 401


async def test_messages_of_a_slot_that_went_before_sending_are_withdrawn(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    for telegram_id in (PERSON, EARLY_BIRD):
        await _watch(await web_client(telegram_id))
    target = await _target_id(admin)
    opened = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(10)])
    assert opened["notified"] == 4
    first = (await _messages(session, "watch.slot_opened"))[0]
    await session.execute(update(Outbox).where(Outbox.id == first.id).values(status="sent"))

    gone = await _poll(service, target, outcome="ok", slots=[_slot(10)])  # 09:00 was taken
    assert gone["gone"] == 1
    assert gone["withdrawn"] == 1  # the other person's; the one sent stays sent
    rows = await _messages(session, "watch.slot_opened")
    await session.refresh(rows[0])
    statuses = sorted((row.status, row.last_error or "") for row in rows)
    assert statuses == [
        ("pending", ""),
        ("pending", ""),
        ("sent", ""),
        ("skipped", "the slot was taken before this was sent"),
    ]
