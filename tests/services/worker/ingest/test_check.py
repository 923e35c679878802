"""One check of a source, end to end inside the process: the sandbox's feeds over HTTP,
real Postgres, the real model."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import numpy as np
import pytest

from concierge.embedding import BatchingEmbedder
from concierge.text.normalize import content_hash
from concierge.text.simhash import bands, simhash, to_signed
from concierge.worker.ingest import pipeline
from tests.services.worker.ingest.conftest import (
    Feeds,
    Ingest,
    ingest_settings,
    make_ingest,
)

MINUTES = 60.0
HOURS = 3600.0

RU_TEXT = (
    "В Сочи открылась новая велодорожка вдоль набережной. Она тянется на четыре километра "
    "от морского порта до парка Ривьера, освещена ночью и отделена от пешеходной зоны."
)
EN_TEXT = (
    "The city council approved a new night bus route that connects the airport with the old "
    "town. Buses will run every twenty minutes between midnight and five in the morning."
)


def seconds_until(moment, now) -> float:
    return (moment - now).total_seconds()


class TestNewItems:
    async def test_a_feed_becomes_documents(self, ingest: Ingest, feeds: Feeds):
        url = await feeds.new(
            {"id": "ru-1", "title": "Велодорожка", "text": RU_TEXT,
             "published_at": "2026-11-01T10:00:00Z",
             "link": "https://Example.com/news/1/?utm_source=rss&b=2&a=1#top"},
            {"id": "en-1", "title": "Night buses", "text": EN_TEXT,
             "published_at": "2026-11-02T10:00:00Z"},
        )  # fmt: skip
        source_id = await ingest.add(url)
        source = await ingest.check(source_id)
        now = await ingest.now()
        ru, en = await ingest.documents(source_id)
        assert (ru.external_id, en.external_id) == ("ru-1", "en-1")
        assert (ru.language, en.language) == ("ru", "en")
        assert (ru.kind, ru.title, ru.text) == ("post", "Велодорожка", RU_TEXT)
        assert ru.url == "https://example.com/news/1?a=1&b=2"
        assert en.url == f"{url.removesuffix('.rss')}/en-1.html"
        assert ru.content_hash == content_hash(RU_TEXT)
        fingerprint = simhash(RU_TEXT)
        assert ru.simhash == to_signed(fingerprint)
        assert (ru.band0, ru.band1, ru.band2, ru.band3) == bands(fingerprint)
        vector = await ingest.vector(ru.id)
        assert vector is not None
        assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-3)
        assert ru.duplicate_of is None
        assert en.duplicate_of is None
        assert source.error_count == 0
        assert source.last_error is None
        assert source.title == f"Feed {url.rsplit('/', 1)[1].removesuffix('.rss')}"
        assert source.etag
        assert source.last_modified
        assert source.last_success_at is not None
        assert 5 * MINUTES <= seconds_until(source.next_check_at, now) <= 24 * HOURS * 1.1

    async def test_the_embedding_is_the_models_for_title_and_text(
        self, ingest: Ingest, feeds: Feeds, embedder: BatchingEmbedder
    ):
        url = await feeds.new({"title": "Night buses", "text": EN_TEXT})
        source_id = await ingest.add(url)
        await ingest.check(source_id)
        (document,) = await ingest.documents(source_id)
        expected = await embedder.embed([f"Night buses\n{EN_TEXT}"], "passage")
        assert np.allclose(await ingest.vector(document.id), expected[0], atol=1e-5)

    async def test_nothing_changed_is_a_304_and_stores_nothing(self, ingest: Ingest, feeds: Feeds):
        url = await feeds.new({"text": EN_TEXT})
        source_id = await ingest.add(url)
        first = await ingest.check(source_id)
        second = await ingest.check(source_id)
        assert len(await ingest.documents(source_id)) == 1
        assert second.etag == first.etag
        assert second.last_checked_at > first.last_checked_at
        assert second.error_count == 0

    async def test_a_new_item_is_stored_at_the_next_check(self, ingest: Ingest, feeds: Feeds):
        url = await feeds.new({"id": "first", "text": EN_TEXT})
        source_id = await ingest.add(url)
        await ingest.check(source_id)
        await feeds.publish(url, id="second", title="Ferry", text=RU_TEXT)
        await ingest.check(source_id)
        documents = await ingest.documents(source_id)
        assert [d.external_id for d in documents] == ["first", "second"]

    async def test_a_feed_without_validators_is_read_again_but_stores_nothing_twice(
        self, ingest: Ingest, feeds: Feeds
    ):
        url = await feeds.new({"text": EN_TEXT})
        source_id = await ingest.add(url)
        await ingest.check(source_id)
        async with ingest.database.transaction() as session:
            source = await session.get(type(await ingest.source(source_id)), source_id)
            assert source is not None
            source.etag = source.last_modified = None
        await asyncio.gather(ingest.check(source_id), ingest.check(source_id))
        assert len(await ingest.documents(source_id)) == 1

    async def test_items_without_text_are_skipped(self, ingest: Ingest, feeds: Feeds):
        url = await feeds.new({"id": "a", "text": " \n "}, {"id": "b", "text": EN_TEXT})
        source_id = await ingest.add(url)
        await ingest.check(source_id)
        assert [d.external_id for d in await ingest.documents(source_id)] == ["b"]

    async def test_markup_is_cleaned(self, ingest: Ingest, feeds: Feeds):
        dirty = "<p>Fresh <b>bread</b> &amp; coffee\u200b at the  corner bakery<script>x()</script>"
        url = await feeds.new({"title": "Bakery &amp; more", "text": "-", "html": dirty})
        source_id = await ingest.add(url)
        await ingest.check(source_id)
        (document,) = await ingest.documents(source_id)
        assert document.title == "Bakery & more"
        assert document.text == "Fresh bread & coffee at the corner bakery"

    async def test_a_backlog_is_taken_in_shares(self, ingest: Ingest, feeds: Feeds, monkeypatch):
        monkeypatch.setattr(pipeline, "MAX_NEW_PER_CHECK", 2)
        items = [
            {"id": f"n{n}", "text": f"{EN_TEXT} Item {n} of the archive, number {n * 13}.",
             "published_at": f"2026-11-0{n + 1}T10:00:00Z"}
            for n in range(5)
        ]  # fmt: skip
        source_id = await ingest.add(await feeds.new(*items))
        first = await ingest.check(source_id)
        assert [d.external_id for d in await ingest.documents(source_id)] == ["n0", "n1"]
        assert first.etag is None  # so the next check reads the feed again
        assert first.next_check_at <= await ingest.now()
        await ingest.check(source_id)
        last = await ingest.check(source_id)
        assert len(await ingest.documents(source_id)) == 5
        assert last.etag is not None


class TestWebPages:
    async def test_a_page_becomes_one_article_and_a_change_replaces_it(
        self, ingest: Ingest, feeds: Feeds
    ):
        """A changed page is replaced in place and embedded again."""
        url = await feeds.new({"id": "page", "title": "Night buses", "text": EN_TEXT})
        slug = url.rsplit("/", 1)[1].removesuffix(".rss")
        page = f"{feeds.url}/feeds/{slug}/page.html"
        source_id = await ingest.add(page, kind="web")
        source = await ingest.check(source_id)
        (article,) = await ingest.documents(source_id)
        before = await ingest.vector(article.id)
        assert (article.kind, article.external_id, article.title) == (
            "article",
            page,
            "Night buses",
        )
        assert article.text == EN_TEXT
        assert source.error_count == 0

        unchanged = await ingest.check(source_id)
        assert unchanged.poll_interval_s == min(source.poll_interval_s * 2, 24 * HOURS)

        await feeds.edit(slug, "page", text=RU_TEXT)
        changed = await ingest.check(source_id)
        (replaced,) = await ingest.documents(source_id)
        assert replaced.id == article.id
        assert replaced.text == RU_TEXT
        assert replaced.language == "ru"
        assert replaced.content_hash == content_hash(RU_TEXT)
        after = await ingest.vector(replaced.id)
        assert before is not None
        assert after is not None
        assert not np.allclose(after, before)
        assert changed.poll_interval_s == max(unchanged.poll_interval_s / 2, 5 * MINUTES)


class TestPublishingRate:
    async def test_a_busy_feed_is_checked_often_and_a_quiet_one_rarely(
        self, ingest: Ingest, feeds: Feeds
    ):
        now = await ingest.now()
        busy = [
            {"text": f"{EN_TEXT} Update number {n} of the day, with news {n * 7}.",
             "published_at": (now - timedelta(minutes=20 * n)).isoformat()}
            for n in range(10)
        ]  # fmt: skip
        quiet = [
            {"text": f"{RU_TEXT} Выпуск {n}.",
             "published_at": (now - timedelta(days=30 + 7 * n)).isoformat()}
            for n in range(3)
        ]  # fmt: skip
        busy_source = await ingest.check(await ingest.add(await feeds.new(*busy)))
        quiet_source = await ingest.check(await ingest.add(await feeds.new(*quiet)))
        # Every 20 minutes → checked every 10; silent for a month → the 24 h maximum.
        assert busy_source.poll_interval_s == pytest.approx(10 * MINUTES, rel=0.05)
        assert quiet_source.poll_interval_s == 24 * HOURS

    async def test_cache_control_max_age_is_a_floor(self, ingest: Ingest, feeds: Feeds):
        source_id = await ingest.add(f"{feeds.url}/feeds/misbehaving/cached.rss?max_age=7200")
        source = await ingest.check(source_id)
        assert seconds_until(source.next_check_at, await ingest.now()) >= 7200 - 5


class TestDuplicates:
    async def test_copies_are_stored_and_linked_to_their_original(
        self, ingest: Ingest, feeds: Feeds
    ):
        edited = EN_TEXT.replace("old", "historic")  # one word: a near copy
        original = await ingest.add(
            await feeds.new({"id": "o", "title": "Night buses", "text": EN_TEXT,
                             "published_at": "2026-11-01T10:00:00Z"})
        )  # fmt: skip
        copies = await ingest.add(
            await feeds.new(
                {"id": "exact", "title": "", "text": EN_TEXT,  # a repost without the headline
                 "published_at": "2026-11-01T12:00:00Z"},
                {"id": "near", "title": "Night buses", "text": edited,
                 "published_at": "2026-11-01T13:00:00Z"},
                {"id": "new", "text": RU_TEXT, "published_at": "2026-11-01T14:00:00Z"},
            )
        )  # fmt: skip
        await ingest.check(original)
        await ingest.check(copies)
        (first,) = await ingest.documents(original)
        exact, near, new = await ingest.documents(copies)
        assert (exact.duplicate_of, exact.duplicate_kind) == (first.id, "exact")
        assert (near.duplicate_of, near.duplicate_kind) == (first.id, "near")
        assert (new.duplicate_of, new.duplicate_kind) == (None, None)
        # Only originals are embedded: search reads originals only.
        assert await ingest.vector(first.id) is not None
        assert await ingest.vector(new.id) is not None
        assert await ingest.vector(exact.id) is None
        assert await ingest.vector(near.id) is None

    async def test_copies_within_one_fetch_link_to_the_first(self, ingest: Ingest, feeds: Feeds):
        source_id = await ingest.add(
            await feeds.new(
                {"id": "a", "text": EN_TEXT, "published_at": "2026-11-01T10:00:00Z"},
                {"id": "b", "text": EN_TEXT.upper(), "published_at": "2026-11-01T11:00:00Z"},
                {
                    "id": "c",
                    "text": EN_TEXT + " More soon.",
                    "published_at": "2026-11-01T12:00:00Z",
                },
            )
        )
        await ingest.check(source_id)
        a, b, c = await ingest.documents(source_id)
        assert (b.duplicate_of, b.duplicate_kind) == (a.id, "exact")
        assert (c.duplicate_of, c.duplicate_kind) == (a.id, "near")

    async def test_a_rewrite_close_in_meaning_and_time_is_a_semantic_copy(
        self, ingest: Ingest, feeds: Feeds
    ):
        rewrite = (
            "The city council has approved a new night bus line connecting the airport and the "
            "old town. Buses are going to run every twenty minutes from midnight to five a.m."
        )
        assert bin(simhash(rewrite) ^ simhash(EN_TEXT)).count("1") > 3  # not a near copy
        near_in_time = await ingest.add(
            await feeds.new(
                {"id": "first", "text": EN_TEXT, "published_at": "2026-11-01T10:00:00Z"},
                {"id": "rewrite", "text": rewrite, "published_at": "2026-11-03T09:00:00Z"},
            )
        )
        await ingest.check(near_in_time)
        first, copy = await ingest.documents(near_in_time)
        assert (copy.duplicate_of, copy.duplicate_kind) == (first.id, "semantic")

        another = (
            "A new night bus route linking the airport and the old town was approved by the city "
            "council. Between midnight and 5 am the buses will run every 20 minutes."
        )
        later = await ingest.add(
            await feeds.new({"id": "late", "text": another, "published_at": "2026-11-07T10:00:00Z"})
        )
        await ingest.check(later)
        (late,) = await ingest.documents(later)
        assert late.duplicate_of is None  # 97 h after both: outside the 72 h window

    async def test_a_copy_of_a_copy_links_to_the_original(self, ingest: Ingest, feeds: Feeds):
        first = await ingest.add(await feeds.new({"text": EN_TEXT}))
        second = await ingest.add(await feeds.new({"text": EN_TEXT + " Updated."}))
        third = await ingest.add(await feeds.new({"text": EN_TEXT + " Updated."}))
        for source_id in (first, second, third):
            await ingest.check(source_id)
        (original,) = await ingest.documents(first)
        (near,) = await ingest.documents(second)
        (exact_of_near,) = await ingest.documents(third)
        assert near.duplicate_of == original.id
        assert exact_of_near.duplicate_of == original.id
        assert exact_of_near.duplicate_kind == "near"  # the text differs from the original's

    async def test_two_sources_storing_the_same_text_at_once_keep_one_original(
        self, ingest: Ingest, feeds: Feeds
    ):
        sources = [await ingest.add(await feeds.new({"text": RU_TEXT})) for _ in range(4)]
        await asyncio.gather(*(ingest.check(source_id) for source_id in sources))
        documents = await ingest.documents()
        originals = [d for d in documents if d.duplicate_of is None]
        assert len(documents) == 4
        assert len(originals) == 1
        assert {d.duplicate_of for d in documents if d.duplicate_of} == {originals[0].id}


class TestBadSources:
    @pytest.mark.parametrize(
        ("path", "error"),
        [
            ("/feeds/misbehaving/malformed.rss", "malformed feed"),
            ("/feeds/misbehaving/page.html", "not a feed"),
            ("/feeds/misbehaving/huge.rss?mb=8", "over the 5242880-byte limit"),
            ("/feeds/misbehaving/gzip-bomb.rss?mb=64", "over the 5242880-byte limit"),
            ("/feeds/misbehaving/binary.rss", "unexpected content type application/octet-stream"),
            ("/feeds/misbehaving/binary.rss?type=application/rss%2Bxml", "binary content"),
            ("/feeds/misbehaving/redirect.rss", "refused: 169.254.169.254 resolves to"),
            ("/feeds/misbehaving/error.rss?code=500", "HTTP 500"),
            ("/feeds/misbehaving/error.rss?code=404", "HTTP 404"),
            ("/feeds/misbehaving/slow.rss?delay_s=10", "no complete answer within 3 s"),
            ("/feeds/misbehaving/drip.rss?every_s=0.5", "no complete answer within 3 s"),
            ("/feeds/no-such-feed.rss", "HTTP 404"),
        ],
    )
    async def test_is_recorded_with_a_backoff(
        self, ingest_database, wredis, embedder, feeds: Feeds, path, error
    ):
        ingest = make_ingest(
            ingest_database, wredis, embedder, ingest_settings(feeds, ingest_fetch_timeout_s=3)
        )
        source_id = await ingest.add(f"{feeds.url}{path}")
        source = await ingest.check(source_id)
        assert source.error_count == 1
        assert source.last_error is not None
        assert error in source.last_error
        assert source.last_success_at is None
        wait = seconds_until(source.next_check_at, await ingest.now())
        assert 5 * MINUTES - 5 <= wait <= 5.5 * MINUTES
        assert await ingest.documents(source_id) == []

    async def test_retry_after_is_honoured(self, ingest: Ingest, feeds: Feeds):
        path = "/feeds/misbehaving/retry-after.rss"
        in_seconds = await ingest.add(f"{feeds.url}{path}?seconds=3600")
        as_date = await ingest.add(f"{feeds.url}{path}?seconds=7200&date=true&code=429")
        now = await ingest.now()
        first = await ingest.check(in_seconds)
        second = await ingest.check(as_date)
        assert first.last_error == "HTTP 503, retry after 3600 s"
        assert 3600 <= seconds_until(first.next_check_at, now) <= 3600 * 1.1 + 5
        assert second.last_error is not None
        assert second.last_error.startswith("HTTP 429")
        assert 7190 <= seconds_until(second.next_check_at, now) <= 7200 * 1.1 + 5

    async def test_errors_in_a_row_back_off_exponentially_and_success_resets(
        self, ingest: Ingest, feeds: Feeds
    ):
        source_id = await ingest.add(f"{feeds.url}/feeds/misbehaving/error.rss?code=503")
        waits = []
        for _ in range(4):
            source = await ingest.check(source_id)
            waits.append(seconds_until(source.next_check_at, await ingest.now()) / MINUTES)
        assert source.error_count == 4
        for wait, expected in zip(waits, [5, 10, 20, 40], strict=True):
            assert expected - 0.1 <= wait <= expected * 1.1
        async with ingest.database.transaction() as session:
            row = await session.get(type(source), source_id)
            assert row is not None
            row.url = await feeds.new({"text": EN_TEXT})
        recovered = await ingest.check(source_id)
        assert (recovered.error_count, recovered.last_error) == (0, None)

    async def test_private_addresses_are_refused_unless_allowed(
        self, ingest_database, wredis, embedder, feeds: Feeds
    ):
        strict = make_ingest(
            ingest_database, wredis, embedder,
            ingest_settings(feeds, ingest_allowed_private_hosts=frozenset()),
        )  # fmt: skip
        source_id = await strict.add(await feeds.new({"text": EN_TEXT}))
        source = await strict.check(source_id)
        assert source.last_error is not None
        assert source.last_error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")

    async def test_one_bad_source_costs_the_others_nothing(self, ingest: Ingest, feeds: Feeds):
        bad = await ingest.add(f"{feeds.url}/feeds/misbehaving/malformed.rss")
        good = await ingest.add(await feeds.new({"text": EN_TEXT}))
        await asyncio.gather(ingest.check(bad), ingest.check(good))
        assert (await ingest.source(bad)).error_count == 1
        assert len(await ingest.documents(good)) == 1

    async def test_paused_and_deleted_sources_are_not_fetched(self, ingest: Ingest, feeds: Feeds):
        paused = await ingest.add(await feeds.new({"text": EN_TEXT}), enabled=False)
        # a channel is read through the user-bot (tests/services/worker/ingest/
        # test_channels.py); with none reachable the check fails like an unreachable feed
        channel = await ingest.add(None, kind="telegram", handle="somechannel")
        await ingest.check(paused)
        await ingest.check(channel)
        await ingest.service.check(999_999_999, ingest.store)
        assert (await ingest.source(paused)).last_checked_at is None
        unreachable = await ingest.source(channel)
        assert unreachable.error_count == 1
        assert unreachable.last_error is not None
        assert "/cmd/resolve" in unreachable.last_error
        assert await ingest.documents() == []
