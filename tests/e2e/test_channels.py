"""Channels with real processes: a telegram source added through the admin API is read by
the worker through the user-bot, which reads the sandbox's MTProto stand-in; its posts
become embedded documents, and a repost of another channel's post is linked to it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.contracts.api_client import ApiClient
from concierge.contracts.search import SourceKind
from concierge.contracts.sources import SourceCreate
from tests.e2e.test_ingest import api, poll_now, sandbox, wait_for_check, wait_for_documents
from tests.support.stack import ADMIN_ID, Stack

pytestmark = pytest.mark.e2e
__all__ = ["api", "sandbox"]  # fixtures

SHOW = (
    "The harbour light show returns on Friday: twenty minutes of lasers over the water at nine "
    "in the evening, free to watch from the pier and the old lighthouse."
)


async def new_channel(sandbox: httpx.AsyncClient, *texts: str) -> str:
    username = f"e2e_{uuid.uuid4().hex[:10]}"
    created = await sandbox.post(
        "/sandbox/channels", json={"title": "Harbour", "username": username}
    )
    created.raise_for_status()
    for text in texts:
        (
            await sandbox.post(f"/sandbox/channels/{username}/posts", json={"text": text})
        ).raise_for_status()
    return username


async def test_a_channel_becomes_embedded_documents_with_reposts_linked(
    stack: Stack, api: ApiClient, sandbox: httpx.AsyncClient, e2e_db: AsyncEngine, e2e_redis
) -> None:
    first = await new_channel(
        sandbox, SHOW, "Ferries run every hour from the new pier this summer."
    )
    second = await new_channel(sandbox, "Welcome to our channel about the harbour and its boats.")
    one = await api.add_source(ADMIN_ID, SourceCreate(kind=SourceKind.TELEGRAM, handle=f"@{first}"))
    await poll_now(e2e_redis)
    found = await wait_for_documents(e2e_db, one.id, 2, timeout_s=90)
    # message 1 is the channel's creation; the posts are 2 and 3
    assert sorted(d["external_id"] for d in found) == ["2", "3"]
    (show,) = [d for d in found if d["external_id"] == "2"]
    assert all(d["embedded"] for d in found)
    checked = await wait_for_check(api, one.id)
    assert checked.title == "Harbour"
    assert checked.error_count == 0
    # the second channel reposts the first one's post, word for word
    await sandbox.post(f"/sandbox/channels/{second}/posts", json={"text": SHOW})
    two = await api.add_source(ADMIN_ID, SourceCreate(kind=SourceKind.TELEGRAM, handle=second))
    await poll_now(e2e_redis)
    found = await wait_for_documents(e2e_db, two.id, 2, timeout_s=90)
    welcome, repost = sorted(found, key=lambda d: int(d["external_id"]))
    assert welcome["duplicate_of"] is None
    assert (repost["duplicate_of"], repost["duplicate_kind"]) == (show["id"], "exact")
    stats = (await sandbox.get("/sandbox/mtproto/stats")).json()
    assert stats["calls"]["resolve"] >= 2
