"""A seedbox connection and the torrents it holds, the same for every kind."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SeedboxKind(StrEnum):
    TRANSMISSION = "transmission"
    QBITTORRENT = "qbittorrent"
    DELUGE = "deluge"


class SeedboxConfig(BaseModel):
    """How to reach a seedbox. ``url`` is the base (``http://host:9091``; for Transmission
    the RPC path ``/transmission/rpc`` is added unless the URL already ends in ``/rpc``).

    ``allow_private``: the person marked this seedbox as theirs on a LAN; its one
    ``host:port`` may then be private (the documented exception to the SSRF guard).
    """

    model_config = ConfigDict(frozen=True)

    kind: SeedboxKind
    url: str
    username: str | None = None
    password: SecretStr | None = None
    allow_private: bool = False
    deluge_host_id: str | None = None  # Deluge: the daemon to connect to (default: the first)


class TorrentState(StrEnum):
    QUEUED = "queued"  # waiting to check/download
    CHECKING = "checking"
    DOWNLOADING = "downloading"
    STALLED = "stalled"  # downloading, no peers/progress now
    SEEDING = "seeding"  # complete and uploading
    COMPLETED = "completed"  # complete, not uploading
    PAUSED = "paused"  # stopped by the person (qBittorrent 5 "stopped", Transmission "stopped")
    ERROR = "error"


class Torrent(BaseModel):
    model_config = ConfigDict(frozen=True)

    hash: str  # info-hash, lower-case hex: the id across every kind of seedbox
    name: str
    state: TorrentState
    progress: float = Field(ge=0.0, le=1.0)  # 0..1
    size: int = 0  # bytes wanted
    downloaded: int = 0
    download_rate: int = 0  # bytes/s
    upload_rate: int = 0
    eta_s: int | None = None
    seeders: int | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.progress >= 1.0 or self.state in (TorrentState.SEEDING, TorrentState.COMPLETED)
