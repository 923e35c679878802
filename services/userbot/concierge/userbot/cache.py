"""The channels this account has resolved: id, access hash, name and title, in a JSON
file beside the session. With it a restart resolves nothing again (resolving usernames is
what Telegram throttles hardest: flood waits of hours), and a channel is read by its id
and access hash alone.

Written atomically (a temporary file renamed over the old one); a damaged file is set
aside and the cache starts empty (names are then resolved again, nothing is lost).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class CachedChannel:
    channel_id: int
    access_hash: int
    title: str
    username: str | None = None
    invite_hash: str | None = None
    participants: int | None = None
    member: bool = False  # the account is in it (as last seen)


class ChannelCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_id: dict[int, CachedChannel] = {}
        self._by_key: dict[str, int] = {}  # "@name" / "+hash" -> channel id
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            rows = json.loads(self.path.read_text("utf-8"))
            for row in rows["channels"]:
                self._remember(CachedChannel(**row))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_suffix(".damaged")
            log.warning("channel cache %s unreadable (%r); moved to %s", self.path, exc, aside)
            self._by_id.clear()
            self._by_key.clear()
            os.replace(self.path, aside)

    def _remember(self, channel: CachedChannel) -> None:
        self._by_id[channel.channel_id] = channel
        if channel.username:
            self._by_key[f"@{channel.username.lower()}"] = channel.channel_id
        if channel.invite_hash:
            self._by_key[f"+{channel.invite_hash}"] = channel.channel_id

    def by_key(self, key: str) -> CachedChannel | None:
        channel_id = self._by_key.get(key)
        return None if channel_id is None else self._by_id.get(channel_id)

    def by_id(self, channel_id: int) -> CachedChannel | None:
        return self._by_id.get(channel_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def put(self, channel: CachedChannel) -> None:
        old = self._by_id.get(channel.channel_id)
        if old is not None:  # keep what only the old entry knew (its invite link)
            channel.invite_hash = channel.invite_hash or old.invite_hash
            if old.username and old.username != channel.username:
                self._by_key.pop(f"@{old.username.lower()}", None)
        self._remember(channel)
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"channels": [asdict(c) for c in self._by_id.values()]}, indent=1)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(body, "utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
