"""The sandbox's feeds: the corpus as RSS with conditional GET, article pages, items
published at run time, and the feeds that misbehave on purpose."""

from __future__ import annotations

import gzip
import html
import itertools
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import pytest

from concierge.sandbox.feeds import load_documents, load_sources
from tests.services.sandbox.conftest import Sandbox

_slugs = (f"test-feed-{n}" for n in itertools.count(1))


async def new_feed(sandbox: Sandbox, **extra) -> str:
    slug = next(_slugs)
    response = await sandbox.http.post("/sandbox/feeds", json={"slug": slug, "title": "T", **extra})
    assert response.status_code == 201, response.text
    return slug


class TestCorpusFeeds:
    async def test_every_source_is_listed_with_its_address(self, sandbox):
        feeds = {feed["slug"]: feed for feed in (await sandbox.http.get("/sandbox/feeds")).json()}
        for source in load_sources():
            assert feeds[source.slug]["url"] == f"{sandbox.url}/feeds/{source.slug}.rss"
            assert feeds[source.slug]["kind"] == source.kind
        total = sum(feeds[s.slug]["items"] for s in load_sources())
        assert total == len(load_documents())

    @pytest.mark.parametrize("source", load_sources(), ids=lambda s: s.slug)
    async def test_serves_each_source_as_rss(self, sandbox, source):
        response = await sandbox.http.get(f"/feeds/{source.slug}.rss")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/rss+xml")
        feed = feedparser.parse(response.content)
        assert not feed.bozo
        assert feed.version == "rss20"
        assert feed.feed.title == source.title
        expected = [d for d in load_documents() if d.source == source.slug]
        assert [entry.id for entry in feed.entries] == [d.id for d in reversed(expected)]
        first, document = feed.entries[-1], expected[0]
        assert first.title == document.title
        assert first.link == f"{sandbox.url}/feeds/{source.slug}/{document.id}.html"
        assert datetime(*first.published_parsed[:6], tzinfo=UTC) == document.published_at
        assert html.escape(document.text.split("\n")[0], quote=False) in first.summary

    async def test_answers_304_while_nothing_changed(self, sandbox):
        first = await sandbox.http.get("/feeds/techwire.rss")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert parsedate_to_datetime(modified) <= datetime.now(UTC)
        again = await sandbox.http.get("/feeds/techwire.rss", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        since = await sandbox.http.get(
            "/feeds/techwire.rss", headers={"If-Modified-Since": modified}
        )
        assert since.status_code == 304
        stale = await sandbox.http.get("/feeds/techwire.rss", headers={"If-None-Match": '"old"'})
        assert stale.status_code == 200

    async def test_serves_an_article_page_per_item(self, sandbox):
        document = next(d for d in load_documents() if d.source == "techwire")
        response = await sandbox.http.get(f"/feeds/techwire/{document.id}.html")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert f"<h1>{document.title}</h1>" in response.text
        assert (await sandbox.http.get("/feeds/techwire/nope.html")).status_code == 404
        assert (await sandbox.http.get("/feeds/no-such-feed.rss")).status_code == 404


class TestPublishing:
    async def test_a_published_item_is_in_the_feed_and_changes_its_validators(self, sandbox):
        slug = await new_feed(sandbox, language="ru")
        before = await sandbox.http.get(f"/feeds/{slug}.rss")
        assert feedparser.parse(before.content).entries == []
        item = (
            await sandbox.http.post(
                f"/sandbox/feeds/{slug}/items", json={"title": "Новость", "text": "Первая строка."}
            )
        ).json()
        assert item["url"] == f"{sandbox.url}/feeds/{slug}/{item['id']}.html"
        after = await sandbox.http.get(
            f"/feeds/{slug}.rss", headers={"If-None-Match": before.headers["etag"]}
        )
        assert after.status_code == 200
        (entry,) = feedparser.parse(after.content).entries
        assert (entry.id, entry.title) == (item["id"], "Новость")
        assert after.headers["etag"] == item["etag"] != before.headers["etag"]

    async def test_items_take_a_given_id_date_and_link(self, sandbox):
        slug = await new_feed(sandbox)
        body = {"id": "fixed-1", "text": "x", "published_at": "2026-01-02T03:04:05Z",
                "link": "https://example.com/a?utm_source=feed"}  # fmt: skip
        assert (
            await sandbox.http.post(f"/sandbox/feeds/{slug}/items", json=body)
        ).status_code == 201
        again = await sandbox.http.post(f"/sandbox/feeds/{slug}/items", json=body)
        assert again.status_code == 409
        (entry,) = feedparser.parse((await sandbox.http.get(f"/feeds/{slug}.rss")).content).entries
        assert entry.link == body["link"]
        assert entry.published == "Fri, 02 Jan 2026 03:04:05 GMT"

    async def test_an_edited_item_changes_the_feed_and_the_page(self, sandbox):
        slug = await new_feed(sandbox)
        item = (
            await sandbox.http.post(f"/sandbox/feeds/{slug}/items", json={"text": "old"})
        ).json()
        edited = await sandbox.http.put(
            f"/sandbox/feeds/{slug}/items/{item['id']}", json={"title": "New", "text": "new text"}
        )
        assert edited.status_code == 200
        assert edited.json()["etag"] != item["etag"]
        page = await sandbox.http.get(f"/feeds/{slug}/{item['id']}.html")
        assert "new text" in page.text
        assert "old" not in page.text

    async def test_creating_a_feed_twice_gives_the_same_feed(self, sandbox):
        slug = await new_feed(sandbox)
        again = await sandbox.http.post("/sandbox/feeds", json={"slug": slug, "title": "Other"})
        assert again.status_code == 200
        assert again.json()["title"] == "T"

    async def test_refuses_bad_input(self, sandbox):
        bad_feed = await sandbox.http.post(
            "/sandbox/feeds", json={"slug": "Bad Slug!", "title": "x"}
        )
        assert bad_feed.status_code == 422
        unknown = await sandbox.http.post("/sandbox/feeds/unknown-feed/items", json={"text": "x"})
        assert unknown.status_code == 404
        empty = await sandbox.http.post("/sandbox/feeds/techwire/items", json={"text": ""})
        assert empty.status_code == 422


class TestMisbehavingFeeds:
    async def test_malformed(self, sandbox):
        response = await sandbox.http.get("/feeds/misbehaving/malformed.rss")
        feed = feedparser.parse(response.content)
        assert feed.bozo
        assert not feed.entries

    async def test_huge_streams_past_the_size_it_is_asked_for(self, sandbox):
        size = 0
        async with sandbox.http.stream("GET", "/feeds/misbehaving/huge.rss?mb=2") as response:
            assert "content-length" not in response.headers
            async for chunk in response.aiter_raw():
                size += len(chunk)
        assert size > 2 * 1024 * 1024

    async def test_gzip_bomb_is_small_on_the_wire(self, sandbox):
        async with sandbox.http.stream("GET", "/feeds/misbehaving/gzip-bomb.rss?mb=8") as response:
            assert response.headers["content-encoding"] == "gzip"
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert len(raw) < 100_000
        assert len(gzip.decompress(raw)) == 8 * 1024 * 1024

    async def test_binary(self, sandbox):
        response = await sandbox.http.get("/feeds/misbehaving/binary.rss")
        assert response.headers["content-type"] == "application/octet-stream"
        assert b"\x00" in response.content

    async def test_redirect_to_a_private_address(self, sandbox):
        response = await sandbox.http.get("/feeds/misbehaving/redirect.rss")
        assert response.status_code == 302
        assert response.headers["location"] == "http://169.254.169.254/latest/meta-data/"

    async def test_errors_and_retry_after(self, sandbox):
        assert (await sandbox.http.get("/feeds/misbehaving/error.rss?code=502")).status_code == 502
        response = await sandbox.http.get("/feeds/misbehaving/retry-after.rss?seconds=90")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "90"
        dated = await sandbox.http.get("/feeds/misbehaving/retry-after.rss?seconds=90&date=true")
        assert parsedate_to_datetime(dated.headers["retry-after"]) > datetime.now(UTC)

    async def test_slow_and_cached(self, sandbox):
        slow = await sandbox.http.get("/feeds/misbehaving/slow.rss?delay_s=0.2")
        assert feedparser.parse(slow.content).entries
        cached = await sandbox.http.get("/feeds/misbehaving/cached.rss?max_age=600")
        assert cached.headers["cache-control"] == "public, max-age=600"
