"""One seedbox client from a connection config."""

from __future__ import annotations

import httpx

from concierge.media.seedbox.base import Seedbox
from concierge.media.seedbox.deluge import DelugeClient
from concierge.media.seedbox.models import SeedboxConfig, SeedboxKind
from concierge.media.seedbox.qbittorrent import QBittorrentClient
from concierge.media.seedbox.transmission import TransmissionClient

_CLIENTS = {
    SeedboxKind.TRANSMISSION: TransmissionClient,
    SeedboxKind.QBITTORRENT: QBittorrentClient,
    SeedboxKind.DELUGE: DelugeClient,
}


def open_seedbox(
    config: SeedboxConfig,
    *,
    allowed: frozenset[str] = frozenset(),
    timeout: float = 15.0,
    http: httpx.AsyncClient | None = None,
) -> Seedbox:
    """The client for ``config.kind``; use it as an async context manager.

    ``allowed``: the deployment's ``host:port`` exceptions to the SSRF guard (make dev's
    sandbox); ``config.allow_private`` adds the seedbox's own address.
    """
    return _CLIENTS[config.kind](config, allowed=allowed, timeout=timeout, http=http)
