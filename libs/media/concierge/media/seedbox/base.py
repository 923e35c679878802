"""The one interface every seedbox client implements.

Every method raises :mod:`concierge.media.errors` only: ``Unreachable`` (down, timeout,
5xx), ``AuthFailed`` (wrong credentials), ``ProtocolUnsupported`` (a version we do not
speak), ``AddressRefused`` (the SSRF guard), ``BadResponse``, ``NotFound`` (no such torrent).
Clients are async context managers (they hold an HTTP client and a session):

    async with open_seedbox(config) as box:
        await box.test()
        added = await box.add("magnet:?xt=urn:btih:...")
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from concierge.media.seedbox.models import SeedboxKind, Torrent


class Seedbox(Protocol):
    kind: SeedboxKind

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def test(self) -> str:
        """Log in and ask the version; return a short description ("Transmission 4.1.0")."""
        ...

    async def add(self, uri: str, *, paused: bool = False, save_path: str | None = None) -> str:
        """Add a magnet link or a .torrent URL; return the torrent's info-hash (lower-case
        hex). Adding one it already has returns its hash (not an error)."""
        ...

    async def add_file(
        self, data: bytes, *, paused: bool = False, save_path: str | None = None
    ) -> str:
        """Add a .torrent file's bytes; return its info-hash."""
        ...

    async def list(self) -> list[Torrent]: ...

    async def get(self, hash: str) -> Torrent:
        """One torrent by info-hash; ``NotFound`` when the seedbox has none."""
        ...

    async def pause(self, hash: str) -> None: ...

    async def resume(self, hash: str) -> None: ...

    async def remove(self, hash: str, *, delete_data: bool = False) -> None: ...
