"""What a Bot API method handler gets: the sandbox, the calling bot and the parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram.bots import BotState
from concierge.sandbox.telegram.params import Params
from concierge.sandbox.telegram.state import SandboxState


@dataclass(frozen=True)
class BotCall:
    state: SandboxState
    bot: BotState
    method: str
    params: Params

    @property
    def settings(self) -> SandboxSettings:
        return self.state.settings


Handler = Callable[[BotCall], Awaitable[Any]]
