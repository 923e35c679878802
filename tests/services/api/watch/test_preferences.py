"""Notification preferences: instant or digest, a cooldown per target, quiet hours in
the person's zone (held, then sent), reminders until Seen, captcha notices by choice,
and the daily digest. Time passing is a held message's due time moved back."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.identity.models import User
from concierge.domain.watch.models import WatchHeld
from tests.services.api.market.conftest import WebClient
from tests.services.api.watch.test_polls import (
    EARLY_BIRD,
    PERSON,
    _messages,
    _poll,
    _slot,
    _target_id,
    _watch,
)

DELIVERIES = "/api/v1/watch/service/deliveries"
DEFAULTS = {
    "mode": "instant",
    "cooldown_s": 0,
    "quiet_from": None,
    "quiet_to": None,
    "timezone": "Europe/Berlin",
    "repeat_until_seen": False,
    "captcha_notices": True,
    "daily_digest": False,
    "digest_hour": 8,
}


async def _prefer(client: httpx.AsyncClient, **changes: object) -> dict[str, object]:
    response = await client.put("/api/v1/watch/preferences", json={**DEFAULTS, **changes})
    assert response.status_code == 200, response.text
    saved: dict[str, object] = response.json()
    return saved


async def _now(session: AsyncSession) -> datetime:
    now = await session.scalar(select(func.now()))
    assert now is not None
    return now


async def _time_passes(session: AsyncSession) -> None:
    """Every held message is due."""
    await session.execute(update(WatchHeld).values(due_at=func.now() - timedelta(seconds=1)))


async def _deliver(service: httpx.AsyncClient) -> dict[str, int]:
    response = await service.post(DELIVERIES)
    assert response.status_code == 200, response.text
    summary: dict[str, int] = response.json()
    return summary


async def _quiet_now(session: AsyncSession, hours_left: int) -> dict[str, str]:
    """Quiet hours (UTC) that began an hour ago and end ``hours_left`` hours from now."""
    now = await _now(session)
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=hours_left)).time()
    return {"timezone": "UTC", "quiet_from": start.isoformat(), "quiet_to": end.isoformat()}


async def _watched(
    web_client: WebClient, admin: httpx.AsyncClient, service: httpx.AsyncClient, **prefer: object
) -> int:
    """PERSON with these preferences watches the target, polled once with nothing open."""
    person = await web_client(PERSON)
    await _prefer(person, **prefer)
    await _watch(person)
    target = await _target_id(admin)
    await _poll(service, target, outcome="ok", slots=[])
    return target


async def _held(session: AsyncSession) -> list[WatchHeld]:
    return list((await session.scalars(select(WatchHeld).order_by(WatchHeld.id))).all())


async def test_preferences_default_save_and_refuse_nonsense(
    provider: str, web_client: WebClient
) -> None:
    person = await web_client(PERSON)
    assert (await person.get("/api/v1/watch/preferences")).json() == DEFAULTS
    saved = await _prefer(person, mode="digest", cooldown_s=900, quiet_from="22:00",
                          quiet_to="07:00", timezone="Asia/Tbilisi")  # fmt: skip
    assert saved["quiet_from"] == "22:00:00"
    assert (await person.get("/api/v1/watch/preferences")).json() == saved
    other = await web_client(EARLY_BIRD)
    assert (await other.get("/api/v1/watch/preferences")).json() == DEFAULTS  # per person
    for bad in (
        {"quiet_from": "22:00"},  # without an end
        {"quiet_from": "22:00", "quiet_to": "22:00"},
        {"quiet_from": "22:00+02:00", "quiet_to": "07:00"},
        {"cooldown_s": 86_401},
        {"cooldown_s": -1},
        {"timezone": "Mars/Olympus"},
        {"timezone": "Europe/Berlin\x00"},
        {"mode": "sometimes"},
        {"digest_hour": 24},
        {"surprise": True},
    ):
        response = await person.put("/api/v1/watch/preferences", json={**DEFAULTS, **bad})
        assert response.status_code == 422, bad
    assert (await person.get("/api/v1/watch/preferences")).json() == saved


async def test_quiet_hours_hold_the_message_until_they_end(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    now = await _now(session)
    target = await _watched(web_client, admin, service, **await _quiet_now(session, 2))
    summary = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(10)])
    assert summary["notified"] == 0
    assert await _messages(session, "watch.slot_opened") == []
    held = await _held(session)
    assert len(held) == 2
    assert all(abs(h.due_at - (now + timedelta(hours=2))) < timedelta(seconds=1) for h in held)

    assert (await _deliver(service))["released"] == 0  # not yet
    await _time_passes(session)
    delivered = await _deliver(service)
    assert delivered["released"] == 1  # both slots in one message
    [message] = await _messages(session, "watch.slot_opened")
    assert "09:00" in message.payload["text"]
    assert "10:00" in message.payload["text"]
    assert await _held(session) == []
    assert (await _deliver(service))["released"] == 0
    # One of the two goes: the message about both stays (the other is still open).
    gone = await _poll(service, target, outcome="ok", slots=[_slot(10)])
    assert gone["withdrawn"] == 0
    assert (await _messages(session, "watch.slot_opened"))[0].status == "pending"


async def test_a_held_slot_that_went_is_dropped_not_sent(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    target = await _watched(web_client, admin, service, **await _quiet_now(session, 1))
    await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(10)])
    gone = await _poll(service, target, outcome="ok", slots=[_slot(10)])
    assert gone["withdrawn"] == 1  # the held message of 09:00
    await _time_passes(session)
    assert (await _deliver(service))["released"] == 1
    [message] = await _messages(session, "watch.slot_opened")
    assert "10:00" in message.payload["text"]
    assert "09:00" not in message.payload["text"]


async def test_a_cooldown_holds_later_slots_of_the_target(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person, other = await web_client(PERSON), await web_client(EARLY_BIRD)
    await _prefer(person, cooldown_s=3600)
    await _watch(person)
    await _watch(other)
    target = await _target_id(admin)
    await _poll(service, target, outcome="ok", slots=[])
    first = await _poll(service, target, outcome="ok", slots=[_slot(9)])
    assert first["notified"] == 2
    second = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(11)])
    assert second["notified"] == 1  # only the person without a cooldown
    [held] = await _held(session)
    assert held.due_at - await _now(session) == timedelta(hours=1)
    await _time_passes(session)
    assert (await _deliver(service))["released"] == 1
    to_person = [m for m in await _messages(session, "watch.slot_opened") if m.chat_id == PERSON]
    assert len(to_person) == 2
    assert "11:00" in to_person[1].payload["text"]


async def test_digest_mode_tells_only_in_the_daily_digest(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person = await web_client(PERSON)
    await _prefer(person, mode="digest", digest_hour=0, timezone="UTC")
    await _watch(person, time_from="08:00", time_to="12:00")
    target = await _target_id(admin)
    await _poll(service, target, outcome="ok", slots=[])
    opened = await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(10), _slot(20)])
    assert opened["notified"] == 0
    await _poll(service, target, outcome="ok", slots=[_slot(10), _slot(20)])  # 09:00 closed
    assert await _messages(session, "watch.slot_opened") == []

    assert (await _deliver(service))["digests"] == 1
    [digest] = await _messages(session, "watch.digest")
    text = digest.payload["text"]
    opened_line, closed_line = text.split("\n")[-2:]
    assert "09:00" in opened_line
    assert "10:00" in opened_line
    assert "20:00" not in text
    assert "09:00" in closed_line
    assert "10:00" not in closed_line
    assert digest.payload["reply_markup"]["inline_keyboard"][0][0]["url"].startswith("https://")
    assert (await _deliver(service))["digests"] == 0  # one a day


async def test_a_daily_digest_with_nothing_to_say_is_not_sent(
    provider: str, web_client: WebClient, service: httpx.AsyncClient, session: AsyncSession
) -> None:
    person = await web_client(PERSON)
    await _prefer(person, daily_digest=True, digest_hour=0, timezone="UTC")
    await _watch(person)
    assert (await _deliver(service))["digests"] == 0
    assert await _messages(session, "watch.digest") == []


async def test_reminders_until_seen(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    target = await _watched(web_client, admin, service, repeat_until_seen=True)
    person = await web_client(PERSON)
    await _poll(service, target, outcome="ok", slots=[_slot(9), _slot(10)])
    messages = await _messages(session, "watch.slot_opened")
    assert len(messages) == 2
    buttons = messages[0].payload["reply_markup"]["inline_keyboard"][0]
    epoch = int(datetime.fromisoformat(_slot(9)).timestamp())
    assert buttons[1]["callback_data"] == f"wt:seen:{target}:{epoch}"
    assert len(await _held(session)) == 6  # three reminders of each slot, bounded

    seen = await person.post("/api/v1/watch/seen", json={"target_id": target, "slot": _slot(9)})
    assert seen.status_code == 204, seen.text
    assert {h.starts_at for h in await _held(session)} == {datetime.fromisoformat(_slot(10))}
    await _time_passes(session)
    assert (await _deliver(service))["released"] == 3
    reminders = [m for m in await _messages(session, "watch.slot_opened") if ":r" in m.dedup_key]
    assert len(reminders) == 3
    assert all("10:00" in m.payload["text"] for m in reminders)

    stranger = await web_client(EARLY_BIRD)
    refused = await stranger.post(
        "/api/v1/watch/seen", json={"target_id": target, "slot": _slot(10)}
    )
    assert refused.status_code == 404
    for bad in ({"target_id": "1", "slot": _slot(9)}, {"target_id": target, "slot": "soon"}):
        assert (await person.post("/api/v1/watch/seen", json=bad)).status_code == 422


async def test_captcha_notices_only_to_those_who_want_them(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    person, other = await web_client(PERSON), await web_client(EARLY_BIRD)
    await _prefer(person, captcha_notices=False)
    await _watch(person)
    await _watch(other)
    target = await _target_id(admin)
    summary = await _poll(service, target, outcome="captcha", error="captchaMissing")
    assert summary["notified"] == 1
    [message] = await _messages(session, "watch.captcha")
    assert message.chat_id == EARLY_BIRD


async def test_deliveries_need_the_service_token(web_client: WebClient) -> None:
    person = await web_client(PERSON)
    assert (await person.post(DELIVERIES)).status_code in (401, 403)


async def test_german_for_a_german_telegram_unless_they_chose_a_language(
    provider: str,
    web_client: WebClient,
    admin: httpx.AsyncClient,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    german, chose_russian = await web_client(PERSON), await web_client(EARLY_BIRD)
    await _watch(german)
    await _watch(chose_russian)
    await session.execute(
        update(User).where(User.telegram_id.in_([PERSON, EARLY_BIRD])).values(language_code="de-AT")
    )
    await session.execute(update(User).where(User.telegram_id == EARLY_BIRD).values(language="ru"))
    target = await _target_id(admin)
    await _poll(service, target, outcome="ok", slots=[])
    await _poll(service, target, outcome="ok", slots=[_slot(9)])
    by_chat = {m.chat_id: m.payload for m in await _messages(session, "watch.slot_opened")}
    assert "Ein Termin ist frei" in by_chat[PERSON]["text"]
    assert by_chat[PERSON]["reply_markup"]["inline_keyboard"][0][0]["text"].startswith("Auf der")
    assert "Появилось окно" in by_chat[EARLY_BIRD]["text"]
