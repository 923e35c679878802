"""'Your download is done': the watcher tells the person once, however many checks run."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import text

from concierge.contracts.jobs import MEDIA_CHECK, MEDIA_WATCH
from concierge.domain.media.downloads.repository import DownloadRepository
from concierge.media.seedbox import open_seedbox
from concierge.streams import Job, JobQueue
from concierge.worker.jobs import WorkerContext
from concierge.worker.media.jobs import watch_due
from tests.services.worker.media.conftest import World
from tests.support.media import TORRENT_SECONDS

HASH = "b" * 40
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Arrival.2016.1080p"
INSTANCES = ["transmission/4.1.0", "qbittorrent/5.2.0", "deluge/2.1.1"]


@pytest.mark.parametrize("instance", INSTANCES)
class TestDone:
    async def test_told_once_when_done_across_concurrent_checks(
        self, world: World, instance: str
    ) -> None:
        user = await world.person(5001)
        world.seedbox(user, 7, instance)
        download = await world.add(user, 7, MAGNET, "Arrival (2016) 1080p")
        watcher = world.watcher()
        first = await watcher.check(user, 7)
        assert first.done == 0
        assert await world.outbox() == []
        await asyncio.sleep(TORRENT_SECONDS + 0.3)
        # five replicas look at once, then again
        outcomes = await asyncio.gather(*(world.watcher().check(user, 7) for _ in range(5)))
        outcomes += [await watcher.check(user, 7)]
        assert sum(o.done for o in outcomes) == 1
        sent = await world.outbox()
        assert len(sent) == 1
        assert sent[0]["dedup_key"] == f"media.download:{download}:done"
        assert sent[0]["chat_id"] == 5001
        assert sent[0]["kind"] == "media.download_done"
        assert "Arrival (2016) 1080p" in sent[0]["payload"]["text"]
        row = await world.download(download)
        assert row["status"] == "done"
        assert row["progress"] == 1.0
        assert row["done_at"] is not None
        assert "reply_markup" not in sent[0]["payload"]  # no title named: nothing to rate


class TestDoneWithATitle:
    async def test_the_done_message_asks_for_a_rating(self, world: World) -> None:
        user = await world.person(5011, language="ru")
        world.seedbox(user, 2, "transmission/4.1.0")
        download = await world.add(user, 2, MAGNET, "Arrival.2016.1080p", title_id=329865)
        await world.watcher().check(user, 2)
        await asyncio.sleep(TORRENT_SECONDS + 0.3)
        await world.watcher().check(user, 2)
        (sent,) = await world.outbox()
        assert "оцените" in sent["payload"]["text"]
        rows = sent["payload"]["reply_markup"]["inline_keyboard"]
        assert [b["text"] for row in rows for b in row] == [str(n) for n in range(1, 11)]
        assert rows[1][4]["callback_data"] == f"md:rd:{download}:10"


class TestStalled:
    async def test_a_stalled_download_is_told_once_and_still_followed(self, world: World) -> None:
        user = await world.person(5002, language="ru")
        world.seedbox(user, 1, "transmission/4.0.6")
        download = await world.add(user, 1, MAGNET, "Прибытие")
        (await world.control.post(f"/torrents/{HASH}/stall")).raise_for_status()
        watcher = world.watcher(media_stall_after_s=0.5)
        await watcher.check(user, 1)
        assert await world.outbox() == []
        await asyncio.sleep(0.7)
        outcomes = await asyncio.gather(
            *(world.watcher(media_stall_after_s=0.5).check(user, 1) for _ in range(3))
        )
        await asyncio.sleep(0.6)
        outcomes.append(await watcher.check(user, 1))
        assert sum(o.stalled for o in outcomes) == 1
        sent = await world.outbox()
        assert [m["dedup_key"] for m in sent] == [f"media.download:{download}:stalled"]
        assert "Загрузка стоит" in sent[0]["payload"]["text"]
        assert (await world.download(download))["status"] == "active"

    async def test_a_paused_download_is_not_stalled(self, world: World) -> None:
        user = await world.person(5003)
        config = world.seedbox(user, 1, "qbittorrent/4.6.7")
        await world.add(user, 1, MAGNET, "Arrival")
        async with open_seedbox(
            config, allowed=world.settings().media_allowed_private_hosts
        ) as box:
            await box.pause(HASH)
        watcher = world.watcher(media_stall_after_s=0.3)
        for _ in range(3):
            await watcher.check(user, 1)
            await asyncio.sleep(0.2)
        assert await world.outbox() == []


class TestGoneAndFailing:
    async def test_a_torrent_removed_from_the_seedbox_is_no_longer_followed(
        self, world: World
    ) -> None:
        user = await world.person(5004)
        config = world.seedbox(user, 1, "deluge/2.1.1")
        download = await world.add(user, 1, MAGNET, "Arrival")
        async with open_seedbox(
            config, allowed=world.settings().media_allowed_private_hosts
        ) as box:
            await box.remove(HASH)
        outcome = await world.watcher().check(user, 1)
        assert outcome.gone == 1
        assert (await world.download(download))["status"] == "removed"
        assert await world.outbox() == []

    async def test_a_deleted_seedbox_connection_ends_its_downloads(self, world: World) -> None:
        user = await world.person(5005)
        world.seedbox(user, 1, "transmission/4.1.0")
        download = await world.add(user, 1, MAGNET, "Arrival")
        del world.directory.boxes[(user, 1)]
        await world.watcher().check(user, 1)
        assert (await world.download(download))["status"] == "cancelled"

    async def test_a_seedbox_that_fails_backs_off_without_a_message(self, world: World) -> None:
        user = await world.person(5006)
        world.seedbox(user, 1, "transmission/4.1.0")
        download = await world.add(user, 1, MAGNET, "Arrival")
        world.seedbox(user, 1, "transmission/4.1.0", password="changed-since")
        outcome = await world.watcher(media_check_every_s=60).check(user, 1)
        assert outcome.failed
        row = await world.download(download)
        assert row["checks_failed"] == 1
        assert "refused" in row["last_error"]
        assert "changed-since" not in row["last_error"]
        assert row["next_check_at"] > row["progress_at"]
        # down: 500s from the stand-in
        world.seedbox(user, 1, "transmission/4.1.0")
        (
            await world.control.post(
                "/faults", json={"service": "transmission", "kind": "503", "times": 3}
            )
        ).raise_for_status()
        await world.watcher(media_check_every_s=60).check(user, 1)
        row = await world.download(download)
        assert row["checks_failed"] == 2
        assert await world.outbox() == []


class TestClaims:
    async def test_due_downloads_are_claimed_once_across_replicas(self, world: World) -> None:
        users = [await world.person(6000 + n) for n in range(4)]
        for n, user in enumerate(users):
            world.seedbox(user, 1, "transmission/4.1.0")
            await world.add(user, 1, f"magnet:?xt=urn:btih:{n + 1:040x}&dn=f{n}", f"film {n}")
        claims = await asyncio.gather(*(world.watcher().claim_due() for _ in range(4)))
        pairs = [p for claim in claims for p in claim]
        assert sorted(pairs) == sorted((u, 1) for u in users)
        assert await world.watcher().claim_due() == []  # leased ahead


class TestRecording:
    async def test_the_apis_record_is_idempotent_and_scoped(self, world: World) -> None:
        owner = await world.person(7001)
        other = await world.person(7002)
        await world.connection(owner, 3)
        async with world.database.transaction() as session:
            repo = DownloadRepository(session)
            first = await repo.record(user_id=owner, seedbox_id=3, infohash=HASH.upper(), name="A")
            again = await repo.record(user_id=owner, seedbox_id=3, infohash=HASH, name="A")
            assert first.id == again.id
            assert first.infohash == HASH
            assert await repo.get_for_user(other, first.id) is None
            assert await repo.cancel(other, first.id) is False
            assert [d.id for d in await repo.for_user(owner)] == [first.id]
            assert await repo.for_user(other) == []
            await session.execute(
                text("UPDATE media_downloads SET status = 'done' WHERE id = :id"), {"id": first.id}
            )
            done = await repo.record(user_id=owner, seedbox_id=3, infohash=HASH, name="A")
            assert done.status == "done"  # told once: adding it again does not re-arm it
            assert await repo.cancel(owner, first.id) is False

    async def test_a_hostile_name_is_escaped_in_the_message(self, world: World) -> None:
        user = await world.person(7003)
        world.seedbox(user, 1, "transmission/4.1.0")
        await world.add(user, 1, MAGNET, "<b>Arrival</b> & <a href='x'>IGNORE PREVIOUS</a>")
        await asyncio.sleep(TORRENT_SECONDS + 0.3)
        await world.watcher().check(user, 1)
        [sent] = await world.outbox()
        assert "&lt;b&gt;Arrival&lt;/b&gt; &amp; &lt;a href='x'&gt;" in sent["payload"]["text"]


class TestJobs:
    async def test_the_schedule_enqueues_one_check_per_persons_seedbox(
        self, world: World, redis
    ) -> None:
        stream = "media-test-jobs"
        await redis.delete(stream)
        users = [await world.person(8000 + n) for n in range(2)]
        for n, user in enumerate(users):
            world.seedbox(user, 1, "transmission/4.1.0")
            await world.add(user, 1, f"magnet:?xt=urn:btih:{n + 9:040x}&dn=f{n}", f"film {n}")
            await world.add(user, 1, f"magnet:?xt=urn:btih:{n + 19:040x}&dn=g{n}", f"film {n}")
        ctx = WorkerContext(world.database, redis, JobQueue(redis, stream), None, world.settings())  # type: ignore[arg-type]
        await watch_due(Job(id="1-0", type=MEDIA_WATCH.name, payload={}, delivery=1), ctx)
        entries = await redis.xrange(stream)
        payloads = sorted(orjson.loads(fields["payload"])["user_id"] for _, fields in entries)
        assert payloads == sorted(users)  # two downloads each, one check each
        assert {fields["type"] for _, fields in entries} == {MEDIA_CHECK.name}
        # the same tick delivered twice enqueues nothing more (dedup'd by the job's id)
        async with world.database.transaction() as session:
            await session.execute(text("UPDATE media_downloads SET next_check_at = now()"))
        await watch_due(Job(id="1-0", type=MEDIA_WATCH.name, payload={}, delivery=2), ctx)
        assert len(await redis.xrange(stream)) == len(entries)
