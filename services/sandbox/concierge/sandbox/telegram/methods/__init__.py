"""The Bot API methods the sandbox speaks, found by name without regard to case."""

from __future__ import annotations

from concierge.sandbox.telegram.errors import NOT_FOUND
from concierge.sandbox.telegram.methods import callbacks, media, messages, profile, updates
from concierge.sandbox.telegram.methods.context import BotCall, Handler

METHODS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler)
    for module in (callbacks, media, messages, profile, updates)
    for name, handler in module.HANDLERS.items()
}


def find_method(name: str) -> tuple[str, Handler]:
    """The canonical name and handler of a method; 404 ``Not Found`` when unknown."""
    found = METHODS.get(name.lower())
    if found is None:
        raise NOT_FOUND
    return found


__all__ = ["METHODS", "BotCall", "Handler", "find_method"]
