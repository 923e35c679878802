"""Typed access to the sandbox state from routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from concierge.sandbox.telegram.bots import BotState
from concierge.sandbox.telegram.state import SandboxState


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


SandboxDep = Annotated[SandboxState, Depends(get_state)]


def user_side_bot(
    state: SandboxDep,
    bot_id: Annotated[int | None, Query(description="the bot; default: the last active")] = None,
) -> BotState:
    return state.bot_for_user_side(bot_id)


UserSideBot = Annotated[BotState, Depends(user_side_bot)]
