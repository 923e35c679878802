"""The admin API of sources: add (with the SSRF check), list, pause, resume, delete."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.api_client import ACTING_USER_HEADER, SOURCES
from concierge.domain.ingest.models import Document
from tests.services.api.ingest.conftest import SANDBOX

PUBLIC_FEED = "http://93.184.215.14/feed.xml"  # a public address: no DNS needed
_numbers = itertools.count(1)


async def add(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await api.post(SOURCES, json={"kind": "rss", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_document(
    session: AsyncSession,
    source_id: int,
    *,
    content_hash: str | None = None,
    duplicate_of: int | None = None,
    hours: float = 0,
) -> int:
    """A stored document, as the worker leaves it (without an embedding)."""
    n = next(_numbers)
    document = Document(
        source_id=source_id,
        kind="post",
        external_id=f"doc-{n}",
        title=f"Document {n}",
        text=f"Text of document {n}",
        language="en",
        published_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=hours),
        content_hash=content_hash or f"hash-{n}",
        simhash=n,
        band0=0,
        band1=0,
        band2=0,
        band3=n,
        duplicate_of=duplicate_of,
        duplicate_kind="exact" if duplicate_of else None,
    )
    session.add(document)
    await session.flush()
    return document.id


async def _model(session: AsyncSession, name: str, state: str) -> int:
    model_id = await session.scalar(
        text(
            "INSERT INTO embedding_models (name, dimensions, state) VALUES (:name, 3, :state) "
            "RETURNING id"
        ),
        {"name": name, "state": state},
    )
    return int(model_id)


async def _vector(session: AsyncSession, model_id: int, document_id: int) -> None:
    await session.execute(
        text(
            "INSERT INTO document_vectors (model_id, document_id, embedding) "
            "VALUES (:m, :d, CAST('[1,0,0]' AS vector))"
        ),
        {"m": model_id, "d": document_id},
    )


class TestAdding:
    async def test_a_feed_is_added_and_due_at_once(self, admin_api, session):
        before = await session.scalar(text("SELECT now()"))
        source = await add(admin_api, url=PUBLIC_FEED, title=" World news ")
        assert source["kind"] == "rss"
        assert source["url"] == PUBLIC_FEED
        assert source["title"] == "World news"
        assert source["enabled"] is True
        assert source["error_count"] == 0
        assert source["last_checked_at"] is None
        assert source["document_count"] == 0
        assert datetime.fromisoformat(source["next_check_at"]) <= before + timedelta(seconds=1)

    async def test_web_pages_and_channels(self, admin_api):
        page = await add(admin_api, kind="web", url=f"http://{SANDBOX}/feeds/techwire/a.html")
        assert page["kind"] == "web"
        channel = await add(admin_api, kind="telegram", handle="@Sochi_News")
        assert (channel["handle"], channel["url"]) == ("sochi_news", None)

    async def test_the_same_source_twice_is_a_conflict(self, admin_api):
        await add(admin_api, url=PUBLIC_FEED)
        again = await admin_api.post(SOURCES, json={"kind": "rss", "url": PUBLIC_FEED})
        assert again.status_code == 409
        await add(admin_api, kind="web", url=PUBLIC_FEED)  # another kind is another source
        await add(admin_api, kind="telegram", handle="channel_a")
        twice = await admin_api.post(SOURCES, json={"kind": "telegram", "handle": "@Channel_A"})
        assert twice.status_code == 409

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8011/feed.xml",  # the sandbox's host, another port
            "http://127.0.0.1/feed.xml",
            "http://localhost:8010/feeds/x.rss",  # allowed by address, not by this name
            "http://10.0.0.1/rss",
            "http://192.168.0.10/rss",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8010/rss",
            "http://[::ffff:127.0.0.1]:8010/rss",
            "http://[fd00::1]/rss",
            "http://2130706433:8010/rss",
            "http://no-such-host.invalid/rss",
        ],
    )
    async def test_private_and_unresolvable_addresses_are_refused(self, admin_api, url):
        response = await admin_api.post(SOURCES, json={"kind": "rss", "url": url})
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("This URL cannot be a source")

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "rss"},
            {"kind": "rss", "url": "ftp://93.184.215.14/feed"},
            {"kind": "rss", "url": "not a url"},
            {"kind": "telegram", "url": PUBLIC_FEED},
            {"kind": "telegram", "handle": "x"},
            {"kind": "podcast", "url": PUBLIC_FEED},
            {"kind": "rss", "url": PUBLIC_FEED, "enabled": False},
            {"kind": "rss", "url": PUBLIC_FEED, "title": "x" * 201},
        ],
    )
    async def test_invalid_input_is_a_422(self, admin_api, body):
        assert (await admin_api.post(SOURCES, json=body)).status_code == 422


class TestAccess:
    async def test_only_admins(self, admin_api):
        await admin_api.post("/api/v1/users", json={"telegram_id": 5551})
        for headers in ({ACTING_USER_HEADER: "5551"}, {ACTING_USER_HEADER: "424242"}):
            response = await admin_api.get(SOURCES, headers=headers)
            assert response.status_code == 403
        anonymous = await admin_api.get(SOURCES, headers={ACTING_USER_HEADER: ""})
        assert anonymous.status_code == 401

    async def test_only_services(self, admin_api):
        response = await admin_api.get(SOURCES, headers={"X-Service-Token": "wrong"})
        assert response.status_code == 401


class TestListing:
    async def test_lists_sources_with_their_document_counts(self, admin_api, session):
        await session.execute(text("DELETE FROM sources"))
        first = await add(admin_api, url=PUBLIC_FEED)
        second = await add(admin_api, url=f"http://{SANDBOX}/feeds/techwire.rss")
        for _ in range(3):
            await add_document(session, first["id"])
        listed = (await admin_api.get(SOURCES)).json()
        assert [(s["id"], s["document_count"]) for s in listed] == [
            (first["id"], 3),
            (second["id"], 0),
        ]
        one = (await admin_api.get(f"{SOURCES}/{first['id']}")).json()
        assert one["document_count"] == 3

    async def test_the_embedding_models_and_a_re_embeds_progress(self, admin_api, session):
        """During a re-embed: the old model active, the new one building with its share,
        and per source the documents the new model covers."""
        await session.execute(text("DELETE FROM sources"))
        await session.execute(text("DELETE FROM embedding_models"))
        source = await add(admin_api, url=PUBLIC_FEED)
        documents = [await add_document(session, source["id"]) for _ in range(4)]
        old = await _model(session, "old-model", "active")
        new = await _model(session, "new-model", "building")
        for document_id in documents:
            await _vector(session, old, document_id)
        await _vector(session, new, documents[0])
        response = await admin_api.get(f"{SOURCES}/embeddings")
        assert response.status_code == 200, response.text
        models = {m["name"]: m for m in response.json()}
        assert (models["old-model"]["state"], models["old-model"]["share"]) == ("active", 1.0)
        building = models["new-model"]
        assert (building["state"], building["covered"], building["total"]) == ("building", 1, 4)
        assert building["share"] == 0.25
        (listed,) = (await admin_api.get(SOURCES)).json()
        assert (listed["document_count"], listed["embedded_count"]) == (4, 1)
        refused = await admin_api.get(f"{SOURCES}/embeddings", headers={ACTING_USER_HEADER: ""})
        assert refused.status_code == 401

    async def test_an_unknown_source_is_a_404(self, admin_api):
        assert (await admin_api.get(f"{SOURCES}/999999")).status_code == 404
        assert (await admin_api.patch(f"{SOURCES}/999999", json={})).status_code == 404
        assert (await admin_api.delete(f"{SOURCES}/999999")).status_code == 404


class TestPausing:
    async def test_pause_rename_and_resume_checks_at_once(self, admin_api, session):
        source = await add(admin_api, url=PUBLIC_FEED)
        await session.execute(
            text("UPDATE sources SET next_check_at = now() + interval '1 day' WHERE id = :id"),
            {"id": source["id"]},
        )
        path = f"{SOURCES}/{source['id']}"
        paused = (await admin_api.patch(path, json={"enabled": False, "title": "Old"})).json()
        assert (paused["enabled"], paused["title"]) == (False, "Old")
        resumed = (await admin_api.patch(path, json={"enabled": True})).json()
        assert (resumed["enabled"], resumed["title"]) == (True, "Old")
        now = await session.scalar(text("SELECT now()"))
        assert datetime.fromisoformat(resumed["next_check_at"]) <= now
        cleared = (await admin_api.patch(path, json={"title": None})).json()
        assert cleared["title"] is None

    async def test_only_enabled_and_title_can_change(self, admin_api):
        source = await add(admin_api, url=PUBLIC_FEED)
        for body in ({"url": "http://10.0.0.1/"}, {"error_count": 0}, {"kind": "web"}):
            response = await admin_api.patch(f"{SOURCES}/{source['id']}", json=body)
            assert response.status_code == 422


class TestDeleting:
    async def test_the_source_and_its_documents_go(self, admin_api, session):
        source = await add(admin_api, url=PUBLIC_FEED)
        document = await add_document(session, source["id"])
        response = await admin_api.delete(f"{SOURCES}/{source['id']}")
        assert response.status_code == 204
        assert (await admin_api.get(f"{SOURCES}/{source['id']}")).status_code == 404
        assert await session.get(Document, document) is None

    async def test_copies_in_other_sources_stay_and_the_oldest_becomes_the_original(
        self, admin_api, session
    ):
        doomed = await add(admin_api, url=PUBLIC_FEED)
        other = await add(admin_api, url=f"http://{SANDBOX}/feeds/other.rss")
        original = await add_document(session, doomed["id"], content_hash="same", hours=0)
        copy_in_doomed = await add_document(
            session, doomed["id"], content_hash="same", duplicate_of=original, hours=1
        )
        heir = await add_document(
            session, other["id"], content_hash="same", duplicate_of=original, hours=2
        )
        sibling = await add_document(
            session, other["id"], content_hash="same", duplicate_of=original, hours=3
        )
        assert (await admin_api.delete(f"{SOURCES}/{doomed['id']}")).status_code == 204
        session.expire_all()
        rows = (
            await session.execute(
                select(Document.id, Document.duplicate_of, Document.duplicate_kind)
                .where(Document.id.in_([original, copy_in_doomed, heir, sibling]))
                .order_by(Document.id)
            )
        ).all()
        assert [tuple(row) for row in rows] == [(heir, None, None), (sibling, heir, "exact")]
