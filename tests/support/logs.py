"""Reading a service's JSON log file the way a person reads its output."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson


@dataclass
class LogWatch:
    """The lines written to a log file since the watch started (or since ``skip()``)."""

    path: Path
    offset: int = field(default=0)

    @classmethod
    def start(cls, path: Path) -> LogWatch:
        return cls(path, path.stat().st_size if path.exists() else 0)

    def skip(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def entries(self) -> list[dict[str, object]]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            lines = log.read().splitlines()
        return [orjson.loads(line) for line in lines if line.startswith(b"{")]

    def messages(self, level: str = "info") -> list[str]:
        """The messages at ``level`` or above (info: info, warning, error, critical)."""
        order = ["debug", "info", "warning", "error", "critical"]
        wanted = set(order[order.index(level) :])
        return [str(e["msg"]) for e in self.entries() if e.get("level") in wanted]
