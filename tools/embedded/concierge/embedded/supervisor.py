"""make dev's supervision: a process that dies is reported with its exit code and
started again, after a delay that doubles while it keeps dying (1 s, 2 s, 4 s … 30 s)
and starts over once it has stayed up for a minute.

``check()`` is called from the main thread (see processes: children started from a
thread that ends would be killed with it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from concierge.embedded.processes import describe_exit

log = logging.getLogger("devstack")


class Supervised(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def pid(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def restart(self) -> object: ...


@dataclass
class _State:
    started_at: float
    delay_s: float
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    def __init__(
        self,
        children: Sequence[Supervised],
        *,
        first_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
        stable_after_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = list(children)
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.stable_after_s = stable_after_s
        self.clock = clock
        now = clock()
        self._states = {child.name: _State(now, first_delay_s) for child in self.children}

    def check(self) -> None:
        """Report the children that died since the last check; restart those now due."""
        now = self.clock()
        for child in self.children:
            state = self._states[child.name]
            if state.restart_at is not None:
                if now >= state.restart_at:
                    self._restart(child, state)
                continue
            code = child.poll()
            if code is not None:
                self._died(child, state, code, now)

    def _died(self, child: Supervised, state: _State, code: int, now: float) -> None:
        if now - state.started_at >= self.stable_after_s:
            state.delay_s = self.first_delay_s  # it had been up for a while: start over
        log.error(
            "%s exited with %s; restarting it in %s s",
            child.name,
            describe_exit(code),
            f"{state.delay_s:g}",
        )
        state.restart_at = now + state.delay_s
        state.delay_s = min(self.max_delay_s, state.delay_s * 2)

    def _restart(self, child: Supervised, state: _State) -> None:
        state.restart_at = None
        state.restarts += 1
        state.started_at = self.clock()
        try:
            child.restart()
        except Exception as exc:  # it could not even start: reported and retried like a death
            log.error("%s could not be restarted: %r", child.name, exc)
            state.restart_at = self.clock() + state.delay_s
            state.delay_s = min(self.max_delay_s, state.delay_s * 2)
            return
        log.warning("%s restarted (pid %s, restart %d)", child.name, child.pid, state.restarts)
