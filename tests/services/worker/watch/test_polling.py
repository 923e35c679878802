"""A person watches an office in the sandbox's ZMS; the worker polls it politely and
the api tells the person once, with the official booking link. Failures, 429s and
captcha demands take the paths the issue asks for."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from concierge.domain.identity.models import User
from concierge.domain.notify.models import Outbox
from concierge.domain.watch.models import Watch, WatchTarget
from concierge.worker.watch.health import unhealthy_targets
from concierge.worker.watch.politeness import JITTER, next_interval
from concierge.worker.watch.poller import Polled, provider_client
from tests.services.worker.watch.conftest import CONTACT, World

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE, SERVICE = "102522", "1063453"
BOOKING = (
    "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html"
    f"#/services/{SERVICE}/locations/{OFFICE}"
)
PERSON = 740_001


def _tuesday() -> date:
    day = date.today() + timedelta(days=1)
    while day.isoweekday() != 2:
        day += timedelta(days=1)
    return day


def _slot(hour: int) -> datetime:
    return datetime.combine(_tuesday(), time(hour), BERLIN)


def no_jitter(floor_s: float) -> float:
    return 0.0  # due again at once: tests poll back to back, the floor apart


FLOOR_S = 1.0  # the providers' floor in these tests (180 s in production)


async def _after_floor(world: World) -> None:
    """Let the floor of every target pass (its Redis key expire)."""
    await asyncio.sleep(FLOOR_S + 0.05)


async def _watch(world: World, telegram_id: int = PERSON, **window: Any) -> int:
    person = await world.person(telegram_id)
    body = {
        "provider": "muc",
        "office": OFFICE,
        "service": SERVICE,
        "date_from": date.today().isoformat(),
        "date_to": (date.today() + timedelta(days=30)).isoformat(),
        "time_from": "08:00",
        "time_to": "12:00",
        **window,
    }
    response = await person.post("/api/v1/watches", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _ready(world: World, **provider: Any) -> None:
    await world.add_provider(**{"floor_interval_s": FLOOR_S, **provider})
    assert await world.poller().refresh_catalogs(0) == 1  # offices from the sandbox's ZMS


async def _open(world: World, *slots: datetime, office: str = OFFICE) -> None:
    body = {"office": office, "service": SERVICE, "times": [s.isoformat() for s in slots]}
    assert (await world.control.post("/sandbox/appointments/slots", json=body)).status_code == 200


async def _fault(world: World, kind: str, count: int = 1) -> None:
    body = {"kind": kind, "count": count}
    assert (await world.control.post("/sandbox/appointments/faults", json=body)).status_code == 200


async def _messages(world: World, kind: str) -> list[Outbox]:
    async with world.database.transaction() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id))
        return list(rows.all())


async def _polls(world: World) -> int:
    return world.appointments.polls[(OFFICE, SERVICE)]


async def test_a_slot_opening_reaches_the_watcher_once_with_the_booking_link(world: World) -> None:
    await _ready(world)
    await _watch(world)
    poller = world.poller(jitter=no_jitter)

    [due] = await poller.claim_due()
    assert await poller.poll(due.id) == Polled.REPORTED  # nothing open yet
    assert await _messages(world, "watch.slot_opened") == []
    [health] = await world.health()
    assert health["state"] == "healthy"  # "noAppointmentForThisScope" is no slots, no error

    await _open(world, _slot(9), _slot(16))  # 16:00 is outside the watch's hours
    for _ in range(3):
        await _after_floor(world)
        [due] = await poller.claim_due()
        assert await poller.poll(due.id) == Polled.REPORTED
    [message] = await _messages(world, "watch.slot_opened")
    assert message.chat_id == PERSON
    assert "09:00" in message.payload["text"]
    assert message.payload["reply_markup"]["inline_keyboard"][0][0]["url"] == BOOKING
    assert await _polls(world) == 4

    [health] = await world.health()
    assert health["state"] == "healthy"
    assert health["polls"] == 4
    assert health["last_success_at"] is not None
    agents = {request.user_agent for request in world.appointments.log}
    assert all(CONTACT in agent for agent in agents)


async def test_a_429_opens_the_breaker_and_the_poll_backs_off(world: World) -> None:
    await _ready(world)
    await _watch(world)
    poller = world.poller(jitter=no_jitter)
    [due] = await poller.claim_due()
    await _fault(world, "429")
    assert await poller.poll(due.id) == Polled.REPORTED
    asked = await _polls(world)

    assert await poller.claim_due() == []  # postponed by the backoff (60 s)
    assert await poller.poll(due.id) == Polled.BREAKER_OPEN  # even if asked: no request
    assert await _polls(world) == asked
    async with world.database.transaction() as session:
        target = await session.get(WatchTarget, due.id)
        assert target is not None
        wait = (target.next_poll_at - datetime.now(target.next_poll_at.tzinfo)).total_seconds()
    assert 50 < wait <= 61
    [health] = await world.health()
    assert health["failures_in_row"] == 1
    assert "429" in health["last_error"]
    assert await _messages(world, "watch.slot_opened") == []

    # rateLimitExceeded in the body trips it too, and the backoff doubles.
    await world.redis.delete("watch:breaker:sandbox:80")
    await _after_floor(world)
    await _fault(world, "rateLimitExceeded")
    assert await poller.poll(due.id) == Polled.REPORTED
    ttl = await world.redis.pttl("watch:breaker:sandbox:80")
    assert 60_000 < ttl <= 120_000
    [health] = await world.health()
    assert "rateLimitExceeded" in health["last_error"]
    assert health["state"] == "failing"  # two in a row (API_WATCH_FAILING_AFTER=2 here)
    assert len(await _messages(world, "watch.target_failing")) == 1
    # The worker's /ready shows it as degraded information (readiness is not failed).
    shown = await unhealthy_targets(world.database)
    assert shown["unhealthy"] == 1
    [listed] = shown["targets"]
    assert listed["id"] == due.id
    assert listed["state"] == "failing"
    assert listed["failures_in_row"] == 2
    assert "rateLimitExceeded" in listed["last_error"]


async def test_a_captcha_demand_pauses_the_target_and_tells_watchers(world: World) -> None:
    await _ready(world)
    await _watch(world)
    await _watch(world, telegram_id=PERSON + 1)
    poller = world.poller(jitter=no_jitter)
    [due] = await poller.claim_due()
    await _fault(world, "captchaMissing")
    assert await poller.poll(due.id) == Polled.REPORTED
    told = await _messages(world, "watch.captcha")
    assert sorted(m.chat_id for m in told) == [PERSON, PERSON + 1]
    assert all(m.payload["reply_markup"]["inline_keyboard"][0][0]["url"] == BOOKING for m in told)
    assert await poller.claim_due() == []  # paused: nobody polls it
    [health] = await world.health()
    assert health["state"] == "captcha"


async def test_a_thousand_watchers_make_one_poll(world: World) -> None:
    await _ready(world)
    first = await _watch(world)
    async with world.database.transaction() as session:
        template = await session.get(Watch, first)
        assert template is not None
        users = await session.scalars(
            insert(User)
            .values([{"telegram_id": 750_000 + n} for n in range(999)])
            .returning(User.id)
        )
        columns = ("target_id", "date_from", "date_to", "weekdays", "time_from", "time_to")
        values = {name: getattr(template, name) for name in columns}
        await session.execute(insert(Watch).values([{"user_id": u, **values} for u in users.all()]))
    await _open(world, _slot(10))
    poller, other_replica = world.poller(), world.poller()
    claimed = await poller.claim_due()
    assert len(claimed) == 1
    assert await other_replica.claim_due() == []  # claimed for the whole interval
    assert await poller.poll(claimed[0].id) == Polled.REPORTED
    assert await _polls(world) == 1
    messages = await _messages(world, "watch.slot_opened")
    assert len({m.chat_id for m in messages}) == 1000


async def test_html_where_json_was_expected_makes_the_target_unhealthy(world: World) -> None:
    await _ready(world)
    await _watch(world)
    await _open(world, _slot(9))
    poller = world.poller(jitter=no_jitter)
    await _fault(world, "html", 2)
    for _ in range(2):
        await _after_floor(world)
        [due] = await poller.claim_due()
        await poller.poll(due.id)
    [health] = await world.health()
    assert health["state"] == "failing"
    assert health["last_error"] == "expected JSON, the provider answered text/html"
    assert await _messages(world, "watch.slot_opened") == []  # nobody spammed
    [alert] = await _messages(world, "watch.target_failing")
    assert "text/html" in alert.payload["text"]
    await _after_floor(world)
    [due] = await poller.claim_due()
    await poller.poll(due.id)  # answers again: the slot is told, admins hear it recovered
    assert len(await _messages(world, "watch.slot_opened")) == 1
    assert len(await _messages(world, "watch.target_recovered")) == 1


async def test_the_html_portal_is_read_and_a_changed_markup_is_named(world: World) -> None:
    offices = [{"id": OFFICE, "name": "Bürgerbüro Orleansplatz", "service_ids": [SERVICE]}]
    await _ready(
        world,
        kind="html",
        base_url="http://sandbox/",
        config={
            "url": "portal/{office}/{service}",
            "page_selector": "#appointments",
            "slot_selector": "li.slot",
            "time_attribute": "data-time",
            "offices": offices,
            "services": [{"id": SERVICE, "name": "Reisepass"}],
        },
    )
    await _watch(world)
    await _open(world, _slot(11))
    poller = world.poller(jitter=no_jitter)
    [due] = await poller.claim_due()
    await poller.poll(due.id)
    [message] = await _messages(world, "watch.slot_opened")
    assert "11:00" in message.payload["text"]

    await _fault(world, "markup")
    await _after_floor(world)
    [due] = await poller.claim_due()
    await poller.poll(due.id)
    [health] = await world.health()
    assert "markup changed" in health["last_error"]
    assert health["failures_in_row"] == 1


async def test_the_host_bucket_spares_the_provider(world: World) -> None:
    await _ready(world)
    await _watch(world)
    await _watch(world, telegram_id=PERSON + 1, office="54261")
    poller = world.poller(watch_host_burst=1, watch_host_rate_per_min=1.0)
    first, second = await poller.claim_due()
    assert await poller.poll(first.id) == Polled.REPORTED
    assert await poller.poll(second.id) == Polled.THROTTLED
    assert not await world.redis.exists(f"watch:floor:{second.id}")  # its floor is not spent
    assert len([r for r in world.appointments.log if "available-days" in r.path]) == 1


def test_polls_are_never_faster_than_the_floor() -> None:
    intervals = [next_interval(180.0) for _ in range(10_000)]
    assert min(intervals) >= 180.0
    assert max(intervals) <= 180.0 * (1 + 2 * JITTER)
    assert max(intervals) - min(intervals) > 180.0 * JITTER  # it does jitter


def test_the_user_agent_names_the_contact() -> None:
    from concierge.worker.settings import WorkerSettings

    client = provider_client(WorkerSettings(watch_contact="ops@city.example"))
    assert "ops@city.example" in client.headers["User-Agent"]
    assert "never books" in client.headers["User-Agent"]


async def test_bad_controls_are_refused(world: World) -> None:
    for body in ({"kind": "teapot"}, {"kind": "429", "count": 0}):
        response = await world.control.post("/sandbox/appointments/faults", json=body)
        assert response.status_code == 422


async def test_a_generic_json_provider_is_read_by_its_paths(world: World) -> None:
    offices = [{"id": OFFICE, "name": "Bürgerbüro Orleansplatz", "service_ids": [SERVICE]}]
    await _ready(
        world,
        kind="json",
        base_url="http://sandbox/",
        config={
            "url": "json-slots/{office}/{service}?from={start}&to={end}",
            "slots_path": "data.slots.*",
            "time_field": "start",
            "offices": offices,
            "services": [{"id": SERVICE, "name": "Reisepass"}],
        },
    )
    await _watch(world)
    await _open(world, _slot(10))
    poller = world.poller(jitter=no_jitter)
    [due] = await poller.claim_due()
    assert await poller.poll(due.id) == Polled.REPORTED
    [message] = await _messages(world, "watch.slot_opened")
    assert "10:00" in message.payload["text"]

    await _fault(world, "html")  # a maintenance page where JSON was expected
    await _after_floor(world)
    [due] = await poller.claim_due()
    await poller.poll(due.id)
    [health] = await world.health()
    assert health["last_error"] == "expected JSON, the provider answered text/html"


async def test_the_sandbox_counts_polls_and_takes_slots_back(world: World) -> None:
    await _open(world, _slot(9), _slot(10))
    body = {"office": OFFICE, "service": SERVICE, "times": [_slot(9).isoformat()]}
    closed = await world.control.post("/sandbox/appointments/slots/close", json=body)
    assert closed.json() == {"open": 1}
    day = _tuesday().isoformat()
    params = {"date": day, "officeId": OFFICE, "serviceId": SERVICE, "serviceCount": 1}
    times = await world.control.get("/zms/api/backend/available-appointments", params=params)
    assert times.json()["appointmentTimestamps"] == [int(_slot(10).timestamp())]
    days = await world.control.get(
        "/zms/api/backend/available-days",
        params={"startDate": day, "endDate": day, "officeId": OFFICE, "serviceId": SERVICE},
    )
    assert days.json() == {"availableDays": [{"time": day, "providerIDs": OFFICE}]}
    polls = (await world.control.get("/sandbox/appointments/polls")).json()
    assert polls["polls"] == {f"{OFFICE}/{SERVICE}": 1}  # available-days is the poll
    assert polls["requests"] == 2
    await _fault(world, "captchaExpired")
    refused = await world.control.get("/zms/api/backend/available-days", params={
        "startDate": day, "endDate": day, "officeId": OFFICE, "serviceId": SERVICE})  # fmt: skip
    assert refused.json()["errorCode"] == "captchaExpired"
    assert (await world.control.post("/sandbox/appointments/reset")).status_code == 200
    assert (await world.control.get("/sandbox/appointments/polls")).json()["requests"] == 0


async def test_no_request_comes_sooner_than_the_floor(world: World) -> None:
    await _ready(world, floor_interval_s=30)
    await _watch(world)
    poller, other_replica = world.poller(jitter=no_jitter), world.poller(jitter=no_jitter)
    [due] = await poller.claim_due()
    assert await poller.poll(due.id) == Polled.REPORTED
    assert await other_replica.poll(due.id) == Polled.TOO_SOON  # a repeated job, say
    assert await _polls(world) == 1
    assert await poller.claim_due() == []  # and it was postponed by what is left
