"""A reply that grows while the model writes it.

In a private chat the growing text is a message draft (``sendMessageDraft``, Bot API
9.3: the client shows it as the bot typing that text) and the final text a real message.
Elsewhere (groups, where drafts are refused) the first piece is sent as a message and then
edited as the text grows. Either way updates are throttled (``every_s``: drafts at most
twice a second, edits once every three seconds, under Telegram's 20 messages a minute in
a group), the final text is always delivered (an edit that changes nothing counts as
done; text over Telegram's 4,096 characters continues in further messages), and while
tools run the chat shows "typing" (``sendChatAction`` lasts 5 s; sent again at most
every 4 s). The text is plain (no parse mode): model output and release titles are data.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest

from concierge.bot.edits import is_not_modified

MAX_TEXT = 4096
DRAFT_EVERY_S = 0.5
EDIT_EVERY_S = 3.0
TYPING_EVERY_S = 4.0
_draft_ids = itertools.count(1)


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a line or space when one is near."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


class ReplyStream:
    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        private: bool,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.private = private
        self.every_s = (
            every_s if every_s is not None else (DRAFT_EVERY_S if private else EDIT_EVERY_S)
        )
        self.clock = clock
        self.text = ""
        self.shown = ""
        self.message: Message | None = None
        self.draft_id = next(_draft_ids)
        self._last_push = float("-inf")
        self._last_typing = float("-inf")

    async def add(self, piece: str) -> None:
        """More text; shown now if the last update is ``every_s`` old."""
        self.text += piece
        if self.clock() - self._last_push >= self.every_s:
            await self._push()

    async def tools_running(self) -> None:
        if self.clock() - self._last_typing >= TYPING_EVERY_S:
            self._last_typing = self.clock()
            await self.bot.send_chat_action(self.chat_id, ChatAction.TYPING)

    async def finish(
        self, text: str | None = None, markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        """Deliver the final text (``text`` or what was added), with buttons under its last
        piece; returns that last message."""
        final = split((text if text is not None else self.text).strip() or "…")
        first, rest = final[0], final[1:]
        last_markup = markup if not rest else None
        if self.message is None:
            message = await self.bot.send_message(self.chat_id, first, reply_markup=last_markup)
        else:
            message = self.message
            try:
                edited = await self.bot.edit_message_text(
                    first, self.chat_id, self.message.message_id, reply_markup=last_markup
                )
                message = edited if isinstance(edited, Message) else message
            except BadRequest as exc:
                if not is_not_modified(exc):
                    raise
        for n, piece in enumerate(rest, start=1):
            tail = markup if n == len(rest) else None
            message = await self.bot.send_message(self.chat_id, piece, reply_markup=tail)
        return message

    async def _push(self) -> None:
        preview = split(self.text)[0] if self.text.strip() else ""
        if not preview or preview == self.shown:
            return
        self._last_push = self.clock()
        self.shown = preview
        if self.private:
            await self.bot.send_message_draft(self.chat_id, self.draft_id, preview)
        elif self.message is None:
            self.message = await self.bot.send_message(self.chat_id, preview)
        else:
            try:
                await self.bot.edit_message_text(preview, self.chat_id, self.message.message_id)
            except BadRequest as exc:
                if not is_not_modified(exc):
                    raise
