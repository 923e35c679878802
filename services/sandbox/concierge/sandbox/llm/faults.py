"""Faults a test asks for: the next LLM call(s) are slow, fail, reply with garbage, reply
with a text the test scripts, or call the tools it scripts."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["delay", "error", "garbage", "empty", "reply", "tool_calls"]


@dataclass
class LlmFault:
    id: int
    kind: FaultKind
    times_left: int
    delay_s: float = 0.0  # delay: wait this long, then answer normally
    status: int = 500  # error: answer with this status
    provider: str | None = None  # "openai" | "anthropic"; None: both
    text: str = ""  # reply: answer with exactly this text (a scripted answer)
    # tool_calls: call these tools ({"name", "arguments": object or raw JSON text}), with
    # ``text`` before them; an unknown name, bad arguments or many times are the faults
    calls: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LlmCall:
    provider: str
    model: str
    authorization: bool  # an API key was sent
    body: dict[str, Any]


@dataclass
class LlmStandIn:
    """State of the LLM stand-in: pending faults and the last calls received."""

    faults: list[LlmFault] = field(default_factory=list)
    calls: list[LlmCall] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    keep_calls: int = 50

    def add(self, kind: FaultKind, **details: Any) -> LlmFault:
        fault = LlmFault(id=next(self._ids), kind=kind, **details)
        self.faults.append(fault)
        return fault

    def take(self, provider: str) -> LlmFault | None:
        for fault in self.faults:
            if fault.provider in (None, provider):
                fault.times_left -= 1
                if fault.times_left <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def record(self, call: LlmCall) -> None:
        self.calls.append(call)
        del self.calls[: -self.keep_calls]

    def reset(self) -> None:
        self.faults.clear()
        self.calls.clear()
