"""The media stand-ins' state: queued faults per service, and each seedbox instance's
torrents, which progress to done over ``torrent_seconds`` (60 s; tests make it shorter).
"""

from __future__ import annotations

import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field

SERVICES = ("tmdb", "kinopoisk", "torznab", "transmission", "qbittorrent", "deluge")
FAULTS = ("500", "503", "401", "429", "malformed", "huge", "slow")
HUGE_BYTES = 11 * 1024 * 1024  # over the clients' 10 MB (and 5 MB Torznab) caps


@dataclass
class SimTorrent:
    hash: str
    name: str
    size: int
    added: float
    seconds: float  # how long a full download takes
    done_s: float = 0.0  # download time accumulated before the last pause
    running_since: float | None = None
    stalled: bool = False
    save_path: str = "/downloads"

    def progress(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        spent = self.done_s
        if self.running_since is not None and not self.stalled:
            spent += now - self.running_since
        return 1.0 if self.seconds <= 0 else min(1.0, spent / self.seconds)

    @property
    def paused(self) -> bool:
        return self.running_since is None

    def pause(self) -> None:
        if self.running_since is not None:
            if not self.stalled:
                self.done_s += time.monotonic() - self.running_since
            self.running_since = None

    def resume(self) -> None:
        if self.running_since is None:
            self.running_since = time.monotonic()

    def stall(self) -> None:
        was_running = self.running_since is not None
        self.pause()
        self.stalled = True
        if was_running:
            self.running_since = time.monotonic()

    def rate(self) -> int:
        if self.paused or self.stalled or self.progress() >= 1.0 or self.seconds <= 0:
            return 0
        return int(self.size / self.seconds)


@dataclass
class MediaSandbox:
    torrent_seconds: float = 60.0
    faults: dict[str, deque[str]] = field(default_factory=dict)
    # instance ("transmission/4.1.0") -> hash -> torrent
    torrents: dict[str, dict[str, SimTorrent]] = field(default_factory=dict)
    sessions: dict[str, set[str]] = field(default_factory=dict)  # instance -> session ids
    calls: Counter[str] = field(default_factory=Counter)
    failed_logins: Counter[str] = field(default_factory=Counter)

    def inject(self, service: str, kind: str, times: int) -> None:
        self.faults.setdefault(service, deque()).extend([kind] * times)

    def next_fault(self, service: str) -> str | None:
        self.calls[service] += 1
        queue = self.faults.get(service)
        return queue.popleft() if queue else None

    def box(self, instance: str) -> dict[str, SimTorrent]:
        return self.torrents.setdefault(instance, {})

    def add(self, instance: str, infohash: str, name: str, *, paused: bool, size: int) -> bool:
        """Add a torrent; False when the instance has it already."""
        box = self.box(instance)
        if infohash in box:
            return False
        torrent = SimTorrent(infohash, name, size, time.monotonic(), self.torrent_seconds)
        if not paused:
            torrent.resume()
        box[infohash] = torrent
        return True

    def new_session(self, instance: str) -> str:
        session = secrets.token_hex(16)
        self.sessions.setdefault(instance, set()).add(session)
        return session

    def valid_session(self, instance: str, session: str | None) -> bool:
        return session is not None and session in self.sessions.get(instance, set())

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def find(self, infohash: str) -> SimTorrent | None:
        for box in self.torrents.values():
            if infohash in box:
                return box[infohash]
        return None

    def reset(self) -> None:
        self.faults.clear()
        self.torrents.clear()
        self.sessions.clear()
        self.calls.clear()
        self.failed_logins.clear()
