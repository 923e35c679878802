"""A Torznab indexer (Jackett, Prowlarr) the person connected.

- ``caps`` is asked once per indexer and kept in Redis (``media:torznab:caps:<id>``, a
  day) and in the client;
- ``search`` sends ``t=search|movie|tvsearch`` with ``q``, ``cat``, and ``imdbid``/
  ``tmdbid``/``season``/``ep`` only where the caps list them; answers are read up to
  ``max_bytes`` (5 MB) through the SSRF-guarded client and parsed defensively
  (``parsing``);
- the API key never leaves: it is stripped from every link of every release (and from any
  text that quotes it), it is never in an error message, and the client has no ``repr``
  of it. ``torrent_url(release)`` puts it back only to hand a .torrent link to the
  person's seedbox.
"""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
from redis.asyncio import Redis

from concierge.media.errors import AuthFailed, BadResponse, NotFound, RateLimited, Unreachable
from concierge.media.http import check_status, media_client, request
from concierge.media.indexers.models import IndexerCaps, Release, SearchRequest, SearchType
from concierge.media.indexers.parsing import (
    RawItem,
    audio_of,
    first_attr,
    int_value,
    parse_caps,
    parse_items,
    parse_xml,
    pub_date,
    quality_of,
)

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
CAPS_TTL_S = 24 * 3600
TORRENT_MAX_BYTES = 10 * 1024 * 1024
_KEY_PARAMS = re.compile(r"(api_?key|passkey|jackett_apikey|apitoken|token)$", re.I)
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _api_url(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path = f"{path}/api"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class TorznabIndexer:
    """One indexer: ``name`` as the person called it, ``url`` its Torznab endpoint (the
    ``…/api`` is added when missing), ``apikey`` its key."""

    def __init__(
        self,
        name: str,
        url: str,
        apikey: str,
        *,
        redis: Redis | None = None,
        allowed: frozenset[str] = frozenset(),
        allow_private: bool = False,
        timeout: float = 20.0,
        max_bytes: int = MAX_BYTES,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = name
        self.url = _api_url(url)
        self.__apikey = apikey
        self.redis = redis
        self.max_bytes = max_bytes
        self._caps: IndexerCaps | None = None
        self._http = http or media_client(
            self.url, allowed=allowed, allow_private=allow_private, timeout=timeout
        )
        self.what = f"the indexer {name[:60]!r}"

    def __repr__(self) -> str:
        return f"TorznabIndexer(name={self.name!r}, url={self.url!r})"

    async def __aenter__(self) -> TorznabIndexer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    @property
    def cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.url}\n{self.__apikey}".encode()).hexdigest()[:32]
        return f"media:torznab:caps:{digest}"

    # --- the wire ---------------------------------------------------------------------

    async def _get(self, params: dict[str, str]) -> bytes:
        response, body = await request(
            self._http,
            "GET",
            self.url,
            limit=self.max_bytes,
            what=self.what,
            params={**params, "apikey": self.__apikey},
        )
        status = response.status_code
        if status in (401, 403):
            raise AuthFailed(f"{self.what} refused the API key")
        if status == 429:
            raise RateLimited(f"{self.what} asks to slow down")
        check_status(status, self.what)
        return body

    # --- caps -------------------------------------------------------------------------

    async def caps(self) -> IndexerCaps:
        if self._caps is not None:
            return self._caps
        if self.redis is not None:
            cached = await self.redis.get(self.cache_key)
            if cached:
                try:
                    self._caps = IndexerCaps.model_validate_json(cached)
                    return self._caps
                except ValueError:
                    pass
        self._caps = parse_caps(parse_xml(await self._get({"t": "caps"}), self.what), self.what)
        if self.redis is not None:
            await self.redis.set(self.cache_key, self._caps.model_dump_json(), ex=CAPS_TTL_S)
        return self._caps

    # --- search -----------------------------------------------------------------------

    async def search(self, search: SearchRequest) -> list[Release]:
        caps = await self.caps()
        kind = search.type
        supported = {
            SearchType.SEARCH: caps.search_params,
            SearchType.MOVIE: caps.movie_params,
            SearchType.TV: caps.tv_params,
        }[kind]
        if not supported:  # no t=movie here: a plain search with the title
            kind, supported = SearchType.SEARCH, caps.search_params
        params: dict[str, str] = {"t": kind.value, "limit": str(min(search.limit, caps.limit_max))}
        query = " ".join(_CONTROL.sub(" ", search.query).split())[:200]
        if query:
            params["q"] = query
        if search.categories:
            params["cat"] = ",".join(str(c) for c in search.categories)
        ids = {
            "imdbid": (search.imdb_id or "").removeprefix("tt") or None,
            "tmdbid": str(search.tmdb_id) if search.tmdb_id else None,
            "season": str(search.season) if search.season is not None else None,
            "ep": str(search.episode) if search.episode is not None else None,
        }
        for param, value in ids.items():
            if value and param in supported:
                params[param] = value
        if "q" not in params and not any(p in params for p in ("imdbid", "tmdbid")):
            return []
        root = parse_xml(await self._get(params), self.what)
        releases = [r for r in (self._release(i) for i in parse_items(root, self.what)) if r]
        log.info("%s: %d releases", self.what, len(releases))
        return releases

    # --- the key stays here -----------------------------------------------------------

    def _clean(self, text: str) -> str:
        key = self.__apikey
        return text.replace(key, "***") if key and len(key) >= 4 else text

    def _strip_link(self, link: str | None) -> tuple[str | None, str | None]:
        """The link without its key parameter, and that parameter's name (or Nones when
        the key sits elsewhere in it, e.g. the path: such a link is dropped)."""
        if not link or not link.startswith(("http://", "https://")):
            return None, None
        parts = urlsplit(link)
        query = parse_qsl(parts.query, keep_blank_values=True)
        kept = [(k, v) for k, v in query if not _KEY_PARAMS.search(k)]
        removed = [k for k, _ in query if _KEY_PARAMS.search(k)]
        clean = urlunsplit(
            (parts.scheme, parts.netloc, parts.path, urlencode(kept, quote_via=quote), "")
        )
        key = self.__apikey
        if key and key in clean:
            return None, None
        return clean, removed[0] if removed else None

    def torrent_url(self, release: Release) -> str | None:
        """The .torrent link with the key put back (for the person's own seedbox only;
        never show or log it)."""
        if not release.link:
            return None
        if not release.link_key_param:
            return release.link
        separator = "&" if urlsplit(release.link).query else "?"
        return f"{release.link}{separator}{urlencode({release.link_key_param: self.__apikey})}"

    async def fetch_torrent(self, release: Release) -> bytes:
        """The release's .torrent file, fetched here with the key (guarded, at most 10 MB),
        so the person's seedbox gets the file and never the indexer's key. Prefer the
        release's magnet when it has one."""
        url = self.torrent_url(release)
        if url is None:
            raise NotFound(f"{self.what} gave no .torrent link for this release")
        response, body = await request(
            self._http, "GET", url, limit=TORRENT_MAX_BYTES, what=self.what
        )
        if response.status_code in (401, 403):
            raise AuthFailed(f"{self.what} refused the API key")
        if response.status_code == 404:
            raise NotFound(f"{self.what} no longer has this release")
        if response.status_code >= 500:
            raise Unreachable(f"{self.what} answered {response.status_code}")
        if response.status_code != 200 or not body.startswith(b"d"):
            raise BadResponse(f"{self.what} did not send a .torrent file")
        return body

    def _release(self, item: RawItem) -> Release | None:
        title = self._clean((item.get("title") or "").strip())[:300]
        if not title:
            return None
        link_raw = item.get("link") or item.get("enclosure")
        magnet = first_attr(item, "magneturl")
        if link_raw and link_raw.startswith("magnet:"):
            magnet, link_raw = magnet or link_raw, None
        link, key_param = self._strip_link(link_raw)
        infohash = (first_attr(item, "infohash") or "").strip().lower() or None
        if infohash and not _HEX40.match(infohash):
            infohash = None
        if magnet is not None:
            magnet = self._clean(magnet) if magnet.startswith("magnet:") else None
        if magnet is None and infohash:
            magnet = f"magnet:?xt=urn:btih:{infohash}&dn={quote(title)}"
        details, _ = self._strip_link(item.get("comments"))
        guid_raw = item.get("guid") or ""
        guid, _ = self._strip_link(guid_raw) if guid_raw.startswith("http") else (guid_raw, None)
        categories = [int_value(c) for c in item.get("attr:category", [])]
        size = int_value(
            first_attr(item, "size") or item.get("size") or item.get("enclosure_length")
        )
        imdb = int_value(first_attr(item, "imdbid") or first_attr(item, "imdb"))
        return Release(
            indexer=self.name,
            title=title,
            guid=self._clean(guid or title)[:500],
            size=size,
            seeders=int_value(first_attr(item, "seeders")),
            peers=int_value(first_attr(item, "peers")),
            category=[c for c in categories if c is not None],
            published=pub_date(item.get("pubDate")),
            infohash=infohash,
            magnet=magnet,
            link=link,
            link_key_param=key_param,
            details_url=details,
            description=self._clean(item.get("description") or "")[:1000],
            imdb_id=f"tt{imdb:07d}" if imdb else None,
            tmdb_id=int_value(first_attr(item, "tmdbid")),
            quality=quality_of(title),
            audio=audio_of(title),
        )
