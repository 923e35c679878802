"""The whole emulated Telegram: every bot the sandbox has seen, plus injected faults."""

from __future__ import annotations

import hmac
import re
import time

from concierge.common.errors import NotFound
from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram.bots import BotState
from concierge.sandbox.telegram.errors import UNAUTHORIZED
from concierge.sandbox.telegram.faults import FaultBook
from concierge.sandbox.telegram.models import CallbackRecord
from concierge.sandbox.telegram.webhooks import WebhookDispatcher

TOKEN_PATTERN = re.compile(r"^([1-9][0-9]{0,19}):[A-Za-z0-9_-]{30,64}$")


def bot_id_from_token(token: str) -> int | None:
    match = TOKEN_PATTERN.match(token)
    return int(match.group(1)) if match else None


class SandboxState:
    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.bots: dict[int, BotState] = {}
        self.faults = FaultBook()
        self.webhooks = WebhookDispatcher(settings)

    def bot_for_token(self, token: str, *, api_call: bool = True) -> BotState:
        """The bot a token names, created on first sight; 401 for a malformed or wrong token."""
        bot_id = bot_id_from_token(token)
        if bot_id is None:
            raise UNAUTHORIZED
        bot = self.bots.get(bot_id)
        if bot is None:
            bot = self._create_bot(bot_id, token)
        elif not hmac.compare_digest(bot.token.encode(), token.encode()):
            raise UNAUTHORIZED
        if api_call:
            bot.last_api_call = time.monotonic()
        return bot

    def _create_bot(self, bot_id: int, token: str) -> BotState:
        if token == self.settings.default_bot_token:
            username = self.settings.bot_username
        else:
            username = f"sandbox_{bot_id}_bot"
        bot = BotState(bot_id, token, username, self.settings.bot_first_name, self.settings)
        self.bots[bot_id] = bot
        return bot

    def bot_for_user_side(self, bot_id: int | None) -> BotState:
        """The bot a user-side call talks to.

        The bot named by ``bot_id``; else the bot that called the Bot API most
        recently; else the default bot of the settings.
        """
        default_id = bot_id_from_token(self.settings.default_bot_token)
        if bot_id is not None and bot_id == default_id and bot_id not in self.bots:
            return self.bot_for_token(self.settings.default_bot_token, api_call=False)
        if bot_id is not None:
            bot = self.bots.get(bot_id)
            if bot is None:
                raise NotFound(f"No bot {bot_id} has used the sandbox")
            return bot
        active = [bot for bot in self.bots.values() if bot.last_api_call is not None]
        if active:
            return max(active, key=lambda bot: bot.last_api_call or 0.0)
        return self.bot_for_token(self.settings.default_bot_token, api_call=False)

    def find_callback(self, callback_id: str) -> CallbackRecord:
        for bot in self.bots.values():
            record = bot.callbacks.get(callback_id)
            if record is not None:
                return record
        raise NotFound(f"No callback query {callback_id}")

    async def reset(self, *, forget_bots: bool = True) -> None:
        """Forget users, chats, updates and faults; with ``forget_bots``, the bots too
        (their webhooks and commands; update ids start again from a random id)."""
        self.faults.clear()
        if not forget_bots:
            for bot in self.bots.values():
                bot.forget_world()
            return
        await self.webhooks.stop_all()
        for bot in self.bots.values():
            bot.closed = True
            bot.updates.changed.notify()
        self.bots.clear()

    async def close(self) -> None:
        await self.reset()
        await self.webhooks.close()
