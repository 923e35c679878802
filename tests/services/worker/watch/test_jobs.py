"""The watch desk's job handlers as the worker runs them: real HTTP through the
SSRF-guarded client (the sandbox allowed as make dev allows it), the catalog read, the
schedule's sweep enqueueing one poll per due target, the poll reported to the api."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import update

from concierge.contracts.jobs import WATCH_CATALOGS, WATCH_DELIVER, WATCH_POLL, WATCH_POLL_TARGET
from concierge.domain.watch.models import WatchHeld
from concierge.streams import Job, JobQueue
from concierge.worker.jobs import WorkerContext
from concierge.worker.watch.jobs import deliver, poll_due, poll_target, refresh_catalogs
from tests.services.sandbox.conftest import serve
from tests.services.worker.watch.conftest import CONTACT, World
from tests.services.worker.watch.test_polling import (
    OFFICE,
    PERSON,
    SERVICE,
    _messages,
    _open,
    _slot,
    _watch,
)

STREAM = "watch-test-jobs"


def _job(spec_name: str, payload: dict[str, object]) -> Job:
    return Job(id="1-0", type=spec_name, payload=payload, delivery=1)


async def test_the_jobs_poll_through_the_guarded_client(world: World) -> None:
    sandbox, api = (
        await serve(world.sandbox, lifespan="off"),
        await serve(world.api, lifespan="off"),
    )
    try:
        host = sandbox.url.removeprefix("http://")
        await world.add_provider(base_url=f"{sandbox.url}/zms/api/backend/", floor_interval_s=1)
        settings = world.settings(api_url=api.url, ingest_allowed_private_hosts=host)
        ctx = WorkerContext(
            world.database, world.redis, JobQueue(world.redis, STREAM), None, settings
        )  # type: ignore[arg-type]
        await refresh_catalogs(_job(WATCH_CATALOGS.name, {}), ctx)
        await _watch(world)
        await _open(world, _slot(9))

        await poll_due(_job(WATCH_POLL.name, {}), ctx)
        [(_, fields)] = await world.redis.xrange(STREAM)
        assert fields["type"] == WATCH_POLL_TARGET.name
        await poll_target(_job(WATCH_POLL_TARGET.name, orjson.loads(fields["payload"])), ctx)

        [message] = await _messages(world, "watch.slot_opened")
        assert "09:00" in message.payload["text"]
        agents = {request.user_agent for request in world.appointments.log}
        assert agents
        assert all(CONTACT in agent for agent in agents)

        # Without the allowance the sandbox is a private address: refused, and said so.
        refused = world.settings(api_url=api.url)
        ctx = WorkerContext(
            world.database, world.redis, JobQueue(world.redis, STREAM), None, refused
        )  # type: ignore[arg-type]
        target = orjson.loads(fields["payload"])["target_id"]
        await world.redis.delete(f"watch:floor:{target}")
        await poll_target(_job(WATCH_POLL_TARGET.name, {"target_id": target}), ctx)
        [health] = await world.health()
        assert health["failures_in_row"] == 1
        assert "not a public address" in health["last_error"]
    finally:
        await sandbox.stop()
        await api.stop()


async def test_the_deliver_job_sends_what_quiet_hours_held(world: World) -> None:
    api = await serve(world.api, lifespan="off")
    try:
        await world.add_provider(floor_interval_s=1)
        settings = world.settings(api_url=api.url)
        ctx = WorkerContext(
            world.database, world.redis, JobQueue(world.redis, STREAM), None, settings
        )  # type: ignore[arg-type]
        catalog = {
            "offices": [{"id": OFFICE, "name": "Bürgerbüro", "service_ids": [SERVICE]}],
            "services": [{"id": SERVICE, "name": "Reisepass"}],
        }
        saved = await world.service.request(
            "PUT", "/api/v1/watch/service/providers/muc/catalog", json=catalog
        )
        assert saved.status_code == 200
        person = await world.person(PERSON)
        now = datetime.now(UTC)
        quiet = {
            "timezone": "UTC",
            "quiet_from": (now - timedelta(hours=1)).time().isoformat(),
            "quiet_to": (now + timedelta(hours=1)).time().isoformat(),
        }
        assert (await person.put("/api/v1/watch/preferences", json=quiet)).status_code == 200
        await _watch(world)
        [health] = await world.health()
        for slots in ([], [_slot(9).isoformat()]):
            report = {"outcome": "ok", "slots": slots}
            await world.service.request(
                "POST", f"/api/v1/watch/service/targets/{health['id']}/polls", json=report
            )
        await deliver(_job(WATCH_DELIVER.name, {}), ctx)
        assert await _messages(world, "watch.slot_opened") == []  # still quiet
        async with world.database.transaction() as session:
            await session.execute(update(WatchHeld).values(due_at=now - timedelta(seconds=1)))
        await deliver(_job(WATCH_DELIVER.name, {}), ctx)
        [message] = await _messages(world, "watch.slot_opened")
        assert "09:00" in message.payload["text"]
    finally:
        await api.stop()
