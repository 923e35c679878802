"""The person's seedbox: Transmission, qBittorrent, Deluge behind one interface."""

from concierge.media.seedbox.base import Seedbox
from concierge.media.seedbox.factory import open_seedbox
from concierge.media.seedbox.models import (
    SeedboxConfig,
    SeedboxKind,
    Torrent,
    TorrentState,
)

__all__ = ["Seedbox", "SeedboxConfig", "SeedboxKind", "Torrent", "TorrentState", "open_seedbox"]
