"""Telegram telling the bot it was blocked (or let back in): notifications stop (or resume)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from concierge.bot.deps import deps_of

log = logging.getLogger(__name__)

GONE = frozenset({ChatMember.BANNED, ChatMember.LEFT})  # "kicked": a user blocked the bot


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    blocked = change.new_chat_member.status in GONE
    log.info("chat %s %s the bot", change.chat.id, "blocked" if blocked else "unblocked")
    await deps_of(context).users.set_blocked(change.chat.id, blocked)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
