"""One interface to Telegram's user API, two implementations: Telethon (Telegram itself)
and the sandbox's MTProto stand-in. Both answer with Telethon's own types and raise
Telethon's own errors, so everything above them is the same code in tests and in
production."""

from concierge.userbot.gateway.base import Gateway, Resolved

__all__ = ["Gateway", "Resolved"]
