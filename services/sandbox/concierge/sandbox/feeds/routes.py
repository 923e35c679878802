"""Feeds over HTTP, as a publisher's site serves them, and controls to publish more.

Public side (what a feed reader fetches):
- ``GET /feeds/{slug}.rss``: RSS 2.0 with ETag and Last-Modified; a matching
  If-None-Match or If-Modified-Since gets 304.
- ``GET /feeds/{slug}/{item_id}.html``: the article page of an item (for ``web`` sources).
- ``GET /feeds/misbehaving/...``: feeds that go wrong the ways real ones do.

Controls (tests, demos, benchmarks):
- ``GET /sandbox/feeds``: every feed with its address.
- ``POST /sandbox/feeds``: a new, empty feed.
- ``POST /sandbox/feeds/{slug}/items``: publish an item in a feed.
- ``PUT /sandbox/feeds/{slug}/items/{item_id}``: edit an item (its page changes too).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from concierge.sandbox.feeds.render import article_page, http_date, item_url, rss
from concierge.sandbox.feeds.store import Feed, FeedStore, Item

RSS_TYPE = "application/rss+xml; charset=utf-8"
SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
ITEM_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
MB = 1024 * 1024

router = APIRouter(tags=["feeds"])


def get_store(request: Request) -> FeedStore:
    store: FeedStore = request.app.state.feeds
    return store


StoreDep = Annotated[FeedStore, Depends(get_store)]
Slug = Annotated[str, Path(pattern=SLUG)]


def base_url(request: Request) -> str:
    """Where readers reach the sandbox: its public URL when set, else how this request came."""
    public: str = request.app.state.settings.public_url
    return public.rstrip("/") or str(request.base_url).rstrip("/")


# --- misbehaving feeds (declared first: their paths would match the normal ones) -----


def _small_feed(request: Request, title: str) -> bytes:
    feed = Feed("misbehaving", title, "A feed for failure tests", "en", "rss")
    feed.items.append(Item("only-item", "The only item", "Nothing to see here.", feed.changed_at))
    return rss(feed, base_url(request))


@router.get("/feeds/misbehaving/malformed.rss")
async def malformed_feed() -> Response:
    """Not well-formed XML, with nothing a lenient parser could recover."""
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><<<&&& \x01'
    return Response(body, media_type=RSS_TYPE)


@router.get("/feeds/misbehaving/huge.rss")
async def huge_feed(mb: Annotated[int, Query(ge=1, le=64)] = 8) -> StreamingResponse:
    """A feed that goes on for ``mb`` megabytes, streamed without a Content-Length."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
        filler = b"<item><title>more</title><description>" + b"x" * 4000 + b"</description></item>"
        for _ in range(mb * MB // len(filler) + 1):
            yield filler
            await asyncio.sleep(0)
        yield b"</channel></rss>"

    return StreamingResponse(chunks(), media_type=RSS_TYPE)


@cache
def _gzip_of_spaces(mb: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * MB
    return b"".join(packer.compress(block) for _ in range(mb)) + packer.flush()


@router.get("/feeds/misbehaving/gzip-bomb.rss")
async def gzip_bomb(mb: Annotated[int, Query(ge=1, le=256)] = 64) -> Response:
    """A few kilobytes on the wire that inflate to ``mb`` megabytes."""
    return Response(_gzip_of_spaces(mb), media_type=RSS_TYPE, headers={"Content-Encoding": "gzip"})


@router.get("/feeds/misbehaving/binary.rss")
async def binary_feed(
    media_type: Annotated[str, Query(alias="type")] = "application/octet-stream",
) -> Response:
    """Bytes that are no text at all (a PNG header and noise)."""
    body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16
    return Response(body, media_type=media_type)


@router.get("/feeds/misbehaving/page.html")
async def not_a_feed() -> HTMLResponse:
    return HTMLResponse("<html><body><h1>Welcome</h1><p>This is no feed.</p></body></html>")


@router.get("/feeds/misbehaving/redirect.rss")
async def redirect_feed(
    to: str = "http://169.254.169.254/latest/meta-data/",
    code: Annotated[int, Query(ge=301, le=308)] = 302,
) -> RedirectResponse:
    """A redirect wherever ``to`` says: by default, to a cloud metadata address."""
    return RedirectResponse(to, status_code=code)


@router.get("/feeds/misbehaving/slow.rss")
async def slow_feed(
    request: Request, delay_s: Annotated[float, Query(ge=0, le=120)] = 30.0
) -> Response:
    """Answers after ``delay_s`` seconds."""
    await asyncio.sleep(delay_s)
    return Response(_small_feed(request, "Slow"), media_type=RSS_TYPE)


@router.get("/feeds/misbehaving/drip.rss")
async def drip_feed(every_s: Annotated[float, Query(gt=0, le=10)] = 1.0) -> StreamingResponse:
    """Headers at once, then one byte every ``every_s`` seconds, for ever."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>Drip</title>'
        while True:
            await asyncio.sleep(every_s)
            yield b" "

    return StreamingResponse(chunks(), media_type=RSS_TYPE)


@router.get("/feeds/misbehaving/error.rss")
async def error_feed(code: Annotated[int, Query(ge=400, le=599)] = 500) -> Response:
    return Response(f"error {code}", status_code=code, media_type="text/plain")


@router.get("/feeds/misbehaving/retry-after.rss")
async def retry_after_feed(
    seconds: Annotated[int, Query(ge=0, le=86_400)] = 120,
    code: Annotated[int, Query(ge=429, le=503)] = 503,
    date: bool = False,
) -> Response:
    """``code`` with a Retry-After in seconds (or, with ``date``, as an HTTP date)."""
    value = str(seconds)
    if date:
        value = http_date(datetime.fromtimestamp(datetime.now(UTC).timestamp() + seconds, UTC))
    return Response("slow down", status_code=code, headers={"Retry-After": value})


@router.get("/feeds/misbehaving/cached.rss")
async def cached_feed(
    request: Request, max_age: Annotated[int, Query(ge=0, le=10**7)] = 7200
) -> Response:
    """A good feed that asks readers not to come back before ``max_age`` seconds."""
    return Response(
        _small_feed(request, "Cached"),
        media_type=RSS_TYPE,
        headers={"Cache-Control": f"public, max-age={max_age}"},
    )


# --- the feeds ---------------------------------------------------------------------


def _not_modified(request: Request, feed: Feed) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or feed.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and feed.changed_at.replace(microsecond=0) <= since
    return False


@router.get("/feeds/{slug}.rss")
async def feed_rss(slug: Slug, request: Request, store: StoreDep) -> Response:
    feed = store.get(slug)
    validators = {"ETag": feed.etag, "Last-Modified": http_date(feed.changed_at)}
    if _not_modified(request, feed):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=validators)
    return Response(rss(feed, base_url(request)), media_type=RSS_TYPE, headers=validators)


@router.get("/feeds/{slug}/{item_id}.html", response_class=HTMLResponse)
async def article(
    slug: Slug,
    item_id: Annotated[str, Path(pattern=ITEM_ID)],
    request: Request,
    store: StoreDep,
) -> HTMLResponse:
    feed = store.get(slug)
    item = feed.find(item_id)
    return HTMLResponse(
        article_page(feed, item, base_url(request)),
        headers={"Last-Modified": http_date(item.updated_at or item.published_at)},
    )


# --- controls ------------------------------------------------------------------------


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=1000)
    language: str = Field("en", pattern=r"^[a-z]{2}$")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, pattern=ITEM_ID, description="The guid; default: a new one")
    title: str = Field("", max_length=1000)
    text: str = Field(min_length=1, max_length=200_000)
    html: str | None = Field(
        None, max_length=200_000, description="The body as markup, served as is instead of text"
    )
    published_at: datetime | None = Field(None, description="Default: now")
    link: str | None = Field(None, max_length=2048, description="Default: the article page")


class ItemEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=1000)
    text: str = Field(min_length=1, max_length=200_000)


def feed_json(feed: Feed, base: str) -> dict[str, Any]:
    return {
        "slug": feed.slug,
        "title": feed.title,
        "kind": feed.kind,
        "language": feed.language,
        "url": f"{base}/feeds/{feed.slug}.rss",
        "items": len(feed.items),
    }


@router.get("/sandbox/feeds")
async def list_feeds(request: Request, store: StoreDep) -> list[dict[str, Any]]:
    base = base_url(request)
    return [feed_json(feed, base) for feed in store.feeds.values()]


@router.post("/sandbox/feeds", status_code=status.HTTP_201_CREATED)
async def create_feed(
    body: FeedIn, request: Request, response: Response, store: StoreDep
) -> dict[str, Any]:
    """A new, empty feed (200 and the existing one when the slug is taken)."""
    feed, created = store.create(body.slug, body.title, body.description, body.language)
    if not created:
        response.status_code = status.HTTP_200_OK
    return feed_json(feed, base_url(request))


@router.post("/sandbox/feeds/{slug}/items", status_code=status.HTTP_201_CREATED)
async def publish_item(
    slug: Slug, body: ItemIn, request: Request, store: StoreDep
) -> dict[str, Any]:
    """Publish an item: it is in the feed from now on, and the feed's ETag changes."""
    feed = store.get(slug)
    published_at = body.published_at or datetime.now(UTC)
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    item = Item(
        id=body.id or store.next_item_id(slug),
        title=body.title,
        text=body.text,
        published_at=published_at.astimezone(UTC),
        link=body.link,
        html=body.html,
    )
    feed.publish(item)
    return {
        "id": item.id,
        "feed": feed.slug,
        "url": item_url(base_url(request), feed, item),
        "published_at": item.published_at.isoformat(),
        "etag": feed.etag,
    }


@router.put("/sandbox/feeds/{slug}/items/{item_id}")
async def edit_item(
    slug: Slug,
    item_id: Annotated[str, Path(pattern=ITEM_ID)],
    body: ItemEdit,
    request: Request,
    store: StoreDep,
) -> dict[str, Any]:
    """Change an item's text (and title); the feed's ETag changes."""
    feed = store.get(slug)
    item = feed.edit(item_id, body.title, body.text)
    return {"id": item.id, "feed": feed.slug, "url": item_url(base_url(request), feed, item),
            "etag": feed.etag}  # fmt: skip
