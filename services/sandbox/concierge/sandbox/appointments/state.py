"""What the stand-in appointment systems show, what goes wrong next, and who asked."""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")
# Ids seen in public code of Munich's ZMS (REFERENCE.md), plus more offices so a
# picker has a long list to search.
OFFICES = {
    "102522": "Bürgerbüro Orleansplatz",
    "54261": "Bürgerbüro Pasing",
    "102523": "Bürgerbüro Forstenrieder Allee",
    "102524": "Bürgerbüro Leonrodstraße",
    "102525": "Bürgerbüro Riesenfeldstraße",
    "102526": "Bürgerbüro Ruppertstraße",
    **{str(200_000 + n): f"Servicestelle {n:02d}" for n in range(1, 41)},
}
SERVICES = {"1063453": "Reisepass", "1063441": "Personalausweis"}
FAULT_KINDS = frozenset(
    {"429", "403", "418", "rateLimitExceeded", "captchaMissing", "captchaInvalid",
     "captchaExpired", "html", "markup", "500"}
)  # fmt: skip
LOG_SIZE = 100_000


@dataclass
class Request:
    at: float  # time.monotonic()
    wall: float  # time.time()
    office: str
    service: str
    path: str
    user_agent: str


@dataclass
class Appointments:
    slots: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    faults: deque[str] = field(default_factory=deque)
    log: deque[Request] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    polls: Counter[tuple[str, str]] = field(default_factory=Counter)

    def open(self, office: str, service: str, times: list[datetime]) -> None:
        self.slots.setdefault((office, service), set()).update(_stamp(t) for t in times)

    def close(self, office: str, service: str, times: list[datetime] | None) -> None:
        if times is None:
            self.slots.pop((office, service), None)
        else:
            self.slots.get((office, service), set()).difference_update(_stamp(t) for t in times)

    def inject(self, kind: str, count: int) -> None:
        self.faults.extend([kind] * count)

    def next_fault(self) -> str | None:
        return self.faults.popleft() if self.faults else None

    def record(self, office: str, service: str, path: str, user_agent: str, poll: bool) -> None:
        self.log.append(Request(time.monotonic(), time.time(), office, service, path, user_agent))
        if poll:
            self.polls[(office, service)] += 1

    def times(self, office: str, service: str) -> list[int]:
        return sorted(self.slots.get((office, service), set()))

    def days(self, office: str, service: str, start: str, end: str) -> list[str]:
        found = {
            datetime.fromtimestamp(stamp, ZONE).date().isoformat()
            for stamp in self.times(office, service)
        }
        return sorted(day for day in found if start <= day <= end)

    def on_day(self, office: str, service: str, day: str) -> list[int]:
        return [
            stamp
            for stamp in self.times(office, service)
            if datetime.fromtimestamp(stamp, ZONE).date().isoformat() == day
        ]

    def reset(self) -> None:
        self.slots.clear()
        self.faults.clear()
        self.log.clear()
        self.polls.clear()


def _stamp(moment: datetime) -> int:
    return int(
        (moment if moment.tzinfo else moment.replace(tzinfo=ZONE)).astimezone(UTC).timestamp()
    )
