"""A Torznab indexer (Jackett's shape) at ``/media/torznab/api`` with the key
``sandbox-torznab-key``: ``t=caps``, ``t=search|movie|tvsearch`` with ``q``, ``cat``,
``imdbid``, ``tmdbid``, ``season``, ``ep``, ``limit``. Result links carry the key (as
``jackett_apikey``), like Jackett's; ``/media/torznab/dl/<id>`` serves the .torrent.
Faults: service ``torznab`` (``malformed`` XML, a ``huge`` body, 5xx, ...).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Request, Response

from concierge.sandbox.media.catalogue import BY_TMDB, RELEASES, SandboxRelease
from concierge.sandbox.media.faults import fault_response

router = APIRouter(tags=["media"])
TORZNAB_KEY = "sandbox-torznab-key"
XML = "application/rss+xml; charset=utf-8"
PUBLISHED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

CAPS = """<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server title="Sandbox Jackett" />
  <limits default="100" max="100" />
  <searching>
    <search available="yes" supportedParams="q" />
    <tv-search available="yes" supportedParams="q,season,ep,imdbid" />
    <movie-search available="yes" supportedParams="q,imdbid,tmdbid" />
  </searching>
  <categories>
    <category id="2000" name="Movies">
      <subcat id="2040" name="Movies/HD" />
      <subcat id="2045" name="Movies/UHD" />
    </category>
    <category id="5000" name="TV">
      <subcat id="5040" name="TV/HD" />
    </category>
  </categories>
</caps>"""


def _error(code: int, description: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<error code="{code}" description={quoteattr(description)} />'
    )
    return Response(body, media_type=XML)


def _words_match(release: SandboxRelease, query: str) -> bool:
    words = query.lower().split()
    if not words:
        return True
    film = BY_TMDB.get(("movie", release.tmdb_id)) or BY_TMDB.get(("tv", release.tmdb_id))
    haystack = release.title.lower().replace(".", " ")
    if film:
        haystack += f" {film.en.lower()} {film.ru.lower()}"
    return all(w in haystack for w in words)


def _in_categories(release: SandboxRelease, categories: list[int]) -> bool:
    if not categories:
        return True
    own = {release.category, release.category // 1000 * 1000}
    return bool(own & set(categories))


def torrent_bytes(release: SandboxRelease) -> bytes:
    """A small well-formed .torrent (its info hash is its own, not the catalogue's)."""
    name = release.title.encode()
    pieces = hashlib.sha1(name).digest()  # noqa: S324
    info = b"d6:lengthi%de4:name%d:%s12:piece lengthi262144e6:pieces20:%se" % (
        release.size,
        len(name),
        name,
        pieces,
    )
    announce = b"http://tracker.sandbox/announce"
    return b"d8:announce%d:%s4:info%se" % (len(announce), announce, info)


def _item(release: SandboxRelease, base: str) -> str:
    key = urlencode({"jackett_apikey": TORZNAB_KEY})
    link = f"{base}/media/torznab/dl/{release.id}?{key}&file={quote(release.title)}"
    details = f"{base}/media/torznab/details/{release.id}?{key}"
    attrs = {
        "category": str(release.category),
        "seeders": str(release.seeders),
        "peers": str(release.peers),
        "infohash": release.infohash,
        "imdbid": release.imdb_id.removeprefix("tt"),
        "tmdbid": str(release.tmdb_id),
        "size": str(release.size),
    }
    if release.magnet:
        attrs["magneturl"] = (
            f"magnet:?xt=urn:btih:{release.infohash}&dn={quote(release.title)}"
            "&tr=http%3A%2F%2Ftracker.sandbox%2Fannounce"
        )
    published = format_datetime(PUBLISHED - timedelta(days=release.id))
    attr_xml = "".join(
        f"<torznab:attr name={quoteattr(k)} value={quoteattr(v)} />" for k, v in attrs.items()
    )
    return (
        "<item>"
        f"<title>{escape(release.title)}</title>"
        f"<guid>{escape(details)}</guid>"
        f'<jackettindexer id="sandbox">Sandbox</jackettindexer>'
        f"<comments>{escape(details)}</comments>"
        f"<pubDate>{published}</pubDate>"
        f"<size>{release.size}</size>"
        f"<description>{escape(release.description)}</description>"
        f"<link>{escape(link)}</link>"
        f"<category>{release.category}</category>"
        f'<enclosure url={quoteattr(link)} length="{release.size}"'
        ' type="application/x-bittorrent" />'
        f"{attr_xml}"
        "</item>"
    )


@router.get("/media/torznab/api", include_in_schema=False)
async def torznab_api(request: Request) -> Response:
    if fault := await fault_response(request, "torznab", "xml"):
        return fault
    params = request.query_params
    if params.get("apikey") != TORZNAB_KEY:
        return _error(100, "Invalid API Key")
    kind = params.get("t", "")
    if kind == "caps":
        return Response(CAPS, media_type="application/xml; charset=utf-8")
    if kind not in ("search", "movie", "tvsearch"):
        return _error(202, "No such function")
    try:
        categories = [int(c) for c in params.get("cat", "").split(",") if c.strip()]
        limit = min(100, int(params.get("limit", "100")))
        imdb = params.get("imdbid", "").removeprefix("tt")
        tmdb = int(params["tmdbid"]) if params.get("tmdbid") else None
    except ValueError:
        return _error(201, "Incorrect parameter")
    query = params.get("q", "")
    found = [
        r
        for r in RELEASES
        if _words_match(r, query)
        and _in_categories(r, categories)
        and (not imdb or r.imdb_id.removeprefix("tt") == imdb)
        and (tmdb is None or r.tmdb_id == tmdb)
        and (kind != "movie" or r.category < 5000)
        and (kind != "tvsearch" or r.category >= 5000)
    ][:limit]
    base = str(request.base_url).rstrip("/")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:torznab="http://torznab.com/schemas/2015/feed">'
        "<channel><title>Sandbox</title>"
        + "".join(_item(r, base) for r in found)
        + "</channel></rss>"
    )
    return Response(body, media_type=XML)


@router.get("/media/torznab/dl/{release_id}", include_in_schema=False)
async def torznab_download(request: Request, release_id: int) -> Response:
    if request.query_params.get("jackett_apikey") != TORZNAB_KEY:
        return Response("Unauthorized", status_code=401)
    release = next((r for r in RELEASES if r.id == release_id), None)
    if release is None:
        return Response("Not found", status_code=404)
    return Response(torrent_bytes(release), media_type="application/x-bittorrent")


def release_for_link(url: str) -> SandboxRelease | None:
    """The release a stand-in seedbox is asked to add by its .torrent link."""
    marker = "/media/torznab/dl/"
    if marker not in url:
        return None
    tail = url.split(marker, 1)[1].split("?", 1)[0]
    return next((r for r in RELEASES if str(r.id) == tail), None)
