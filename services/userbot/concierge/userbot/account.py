"""The account's state: logged in, or logged out (the session revoked, expired, used
from elsewhere, or the account banned). Logged out, every command answers 503
``userbot_logged_out`` at once, the worker pauses telegram sources, and the admins are
told once (through the api's outbox) until someone logs in again.

The state is kept in a file beside the session, so a restart neither forgets it nor
tells the admins a second time."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import Gauge
from telethon import errors

from concierge.common.clock import utcnow

log = logging.getLogger(__name__)

LOGGED_OUT_ERRORS: tuple[type[Exception], ...] = (
    errors.AuthKeyUnregisteredError,
    errors.SessionRevokedError,
    errors.SessionExpiredError,
    errors.AuthKeyDuplicatedError,
    errors.UserDeactivatedError,
    errors.UserDeactivatedBanError,
    errors.AuthKeyInvalidError,
)

LOGGED_IN = Gauge("userbot_logged_in", "1 while the user account's session works, else 0")

# (reason, when the session was lost: the alert's identity, so a later loss is told again)
Notify = Callable[[str, str], Awaitable[None]]


class Account:
    def __init__(self, state_path: Path, notify: Notify) -> None:
        self.state_path = state_path
        self.notify = notify
        self.logged_out: str | None = None
        self.lost_at: str | None = None
        self.admins_told = False
        self._load()
        LOGGED_IN.set(0 if self.logged_out else 1)

    def _load(self) -> None:
        try:
            state = json.loads(self.state_path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(state, dict):
            self.logged_out = state.get("logged_out")
            self.lost_at = state.get("lost_at")
            self.admins_told = bool(state.get("admins_told"))

    def _save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_name(self.state_path.name + ".tmp")
        body = {
            "logged_out": self.logged_out,
            "lost_at": self.lost_at,
            "admins_told": self.admins_told,
        }
        temporary.write_text(json.dumps(body), "utf-8")
        os.replace(temporary, self.state_path)

    def logged_in(self) -> None:
        if self.logged_out is not None or self.admins_told:
            log.info("the user account's session works again")
        self.logged_out = None
        self.lost_at = None
        self.admins_told = False
        LOGGED_IN.set(1)
        self._save()

    async def lost(self, reason: str) -> None:
        """The session stopped working: remember why and tell the admins, once."""
        if self.logged_out is None:
            log.error("the user account is logged out: %s", reason)
            self.lost_at = utcnow().isoformat(timespec="seconds")
        self.logged_out = reason
        lost_at = self.lost_at or utcnow().isoformat(timespec="seconds")
        LOGGED_IN.set(0)
        self._save()
        if not self.admins_told:
            try:
                await self.notify(reason, lost_at)
            except Exception as exc:  # the api away: told at the next command that fails
                log.warning("could not tell the admins the userbot is logged out: %r", exc)
                return
            self.admins_told = True
            self._save()
