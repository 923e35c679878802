"""What the seedbox clients share: the HTTP client, JSON decoding, magnet hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import httpx

from concierge.media.errors import BadResponse, InvalidInput, NotFound
from concierge.media.http import media_client
from concierge.media.seedbox.models import SeedboxConfig

_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")
_BASE32 = re.compile(r"^[A-Za-z2-7]{32}$")


MAX_URI = 8192
MAX_TORRENT_FILE = 10 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def checked_uri(uri: str) -> str:
    """A magnet or http(s) link fit to hand to a seedbox, or ``InvalidInput``."""
    uri = uri.strip()
    if len(uri) > MAX_URI or _CONTROL.search(uri):
        raise InvalidInput("the link is too long or holds control characters")
    if not uri.startswith(("magnet:?", "http://", "https://")):
        raise InvalidInput("only magnet links and http(s) links to .torrent files are added")
    return uri


def checked_file(data: bytes) -> bytes:
    if not data or len(data) > MAX_TORRENT_FILE or not data.startswith(b"d"):
        raise InvalidInput("that is not a .torrent file")
    return data


def magnet_hash(uri: str) -> str | None:
    """The info-hash (lower-case hex) of a magnet link, or None."""
    if not uri.startswith("magnet:"):
        return None
    for xt in parse_qs(urlsplit(uri).query).get("xt", []):
        if not xt.lower().startswith("urn:btih:"):
            continue
        value = xt[9:]
        if _HEX40.match(value):
            return value.lower()
        if _BASE32.match(value):
            return base64.b32decode(value.upper()).hex()
    return None


def normalise_hash(value: str) -> str:
    value = value.strip().lower()
    if not _HEX40.match(value):
        raise NotFound("not a torrent hash")
    return value


def torrent_file_hash(data: bytes) -> str | None:
    """The info-hash of a .torrent file: SHA-1 of its bencoded ``info`` dictionary."""
    start = data.find(b"4:info")
    if start < 0:
        return None
    start += len(b"4:info")
    try:
        end = _bencode_end(data, start)
    except (IndexError, ValueError):
        return None
    return hashlib.sha1(data[start:end]).hexdigest()  # noqa: S324 (BitTorrent's own hash)


def _bencode_end(data: bytes, at: int) -> int:
    """Where the bencoded value starting at ``at`` ends."""
    kind = data[at : at + 1]
    if kind == b"i":
        return data.index(b"e", at) + 1
    if kind in (b"l", b"d"):
        at += 1
        while data[at : at + 1] != b"e":
            at = _bencode_end(data, at)
        return at + 1
    colon = data.index(b":", at)
    return colon + 1 + int(data[at:colon])


def decode_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadResponse(f"{what} did not answer JSON") from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class SeedboxClient:
    """Base of the clients: holds the config and the guarded HTTP client."""

    def __init__(
        self,
        config: SeedboxConfig,
        *,
        allowed: frozenset[str] = frozenset(),
        timeout: float = 15.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.config = config
        self.base = config.url.rstrip("/")
        self._http = http or media_client(
            config.url, allowed=allowed, allow_private=config.allow_private, timeout=timeout
        )

    @property
    def what(self) -> str:
        return f"the {self.config.kind.value} seedbox"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def password(self) -> str:
        return self.config.password.get_secret_value() if self.config.password else ""

    async def add(self, uri: str, *, paused: bool = False, save_path: str | None = None) -> str:
        uri = checked_uri(uri)
        return await self._add_link(uri, paused, save_path, magnet_hash(uri))

    async def add_file(
        self, data: bytes, *, paused: bool = False, save_path: str | None = None
    ) -> str:
        data = checked_file(data)
        return await self._add_file(data, paused, save_path, torrent_file_hash(data))

    # Each client adds in its own way a link or a file already checked here; ``known`` is
    # its info-hash when the link or file tells it, for a seedbox that does not.

    async def _add_link(
        self, uri: str, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        raise NotImplementedError

    async def _add_file(
        self, data: bytes, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        raise NotImplementedError
