"""One bot's world as Telegram keeps it: its users and chats, updates, limits, files."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

import orjson

from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram.errors import (
    BLOCKED,
    CHAT_NOT_FOUND,
    bad_request,
    forbidden,
    too_many_requests,
)
from concierge.sandbox.telegram.limits import SendLimiter
from concierge.sandbox.telegram.models import (
    CallbackRecord,
    ChatRecord,
    FileRecord,
    StoredMessage,
    Update,
    UserRecord,
    WebhookConfig,
)
from concierge.sandbox.telegram.stats import BotStats
from concierge.sandbox.telegram.updates import UpdateQueue

# Updates a bot gets when it never chose (``allowed_updates`` unset or empty).
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(frozen=True)
class UserProfile:
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class BotState:
    def __init__(
        self, bot_id: int, token: str, username: str, first_name: str, settings: SandboxSettings
    ) -> None:
        self.id = bot_id
        self.token = token
        self.username = username
        self.first_name = first_name
        self.settings = settings
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.file_paths: dict[str, FileRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.default_menu_button: dict[str, Any] | None = None
        self.privacy_mode = True  # Telegram's default for bots (see privacy.py)
        self.updates = UpdateQueue()
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.webhook_version = 0
        self.last_webhook_error: tuple[int, str] | None = None
        self.limiter = SendLimiter(settings)
        self.stats = BotStats()
        self.poll_generation = 0
        self.last_api_call: float | None = None
        self.closed = False
        self._sequence = 0

    def forget_world(self) -> None:
        """Forget users, chats, updates, files and counters; keep the bot's own setup.

        The webhook, commands and menu button stay, and update ids keep counting up,
        so a running bot that de-duplicates by update_id never sees an id twice.
        """
        self.users.clear()
        self.chats.clear()
        self.callbacks.clear()
        self.files.clear()
        self.file_paths.clear()
        self.updates.clear()
        self.limiter = SendLimiter(self.settings)
        self.stats = BotStats()
        self.last_webhook_error = None
        if self.webhook is not None:  # the sender drops its retry bookkeeping too
            self.webhook_version += 1
            self.webhook = replace(self.webhook, version=self.webhook_version)

    # --- users and chats ---------------------------------------------------

    def remember_user(self, user_id: int, profile: UserProfile) -> UserRecord:
        """Create the user on first contact; later contacts refresh what they carry."""
        user = self.users.get(user_id)
        if user is None:
            user = UserRecord(user_id, profile.first_name or f"User {user_id}")
            self.users[user_id] = user
        for name in ("first_name", "last_name", "username", "language_code"):
            value = getattr(profile, name)
            if value:
                setattr(user, name, value)
        if user_id not in self.chats:
            self.chats[user_id] = ChatRecord(user_id, "private")
        return user

    def create_group(self, chat_id: int, title: str) -> ChatRecord:
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = self.chats.get(chat_id) or ChatRecord(chat_id, kind)
        chat.title = title
        self.chats[chat_id] = chat
        return chat

    def chat_to_write(self, chat_id: int | None) -> ChatRecord:
        """The chat a bot call targets: it must exist and not have blocked the bot."""
        if chat_id is None:
            raise bad_request("chat_id is empty")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.type == "private" and self.users[chat.id].blocked:
            raise forbidden(BLOCKED)
        return chat

    def add_message(
        self, chat: ChatRecord, *, from_bot: bool, sender_id: int, **content: Any
    ) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            from_bot=from_bot,
            sender_id=sender_id,
            date=int(time.time()),
            **content,
        )
        chat.messages[message.message_id] = message
        if from_bot:
            chat.action = None
            chat.draft = None
        return message

    def visible_commands(self, chat_id: int, language: str | None) -> list[dict[str, str]]:
        """The command list a private chat's user sees, resolved as Telegram does."""
        scopes = (
            {"chat_id": chat_id, "type": "chat"},
            {"type": "all_private_chats"},
            {"type": "default"},
        )
        for scope in scopes:
            for code in (language or "", ""):
                commands = self.commands.get((commands_scope_key(scope), code))
                if commands:
                    return commands
        return []

    # --- limits --------------------------------------------------------------

    def take_send_slot(self, chat_id: int) -> None:
        refusal = self.limiter.acquire(chat_id)
        if refusal is not None:
            self.stats.record_refusal(refusal.reason)
            raise too_many_requests(refusal.retry_after)

    # --- updates -------------------------------------------------------------

    def wants(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in NOT_SENT_BY_DEFAULT
        return kind in self.allowed_updates

    def enqueue(self, kind: str, chat_key: int, payload: dict[str, Any]) -> Update | None:
        """Queue an update unless the bot chose not to receive this kind."""
        if not self.wants(kind):
            return None
        return self.updates.add(kind, chat_key, payload)

    def record_webhook_error(self, message: str) -> None:
        self.last_webhook_error = (int(time.time()), message)

    # --- identifiers ---------------------------------------------------------

    def next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def new_callback_id(self) -> str:
        return f"{self.id % 1_000_000_000}{self.next_sequence():010d}"

    def new_file_ids(self) -> tuple[str, str]:
        raw = self.id.to_bytes(8, "big") + self.next_sequence().to_bytes(8, "big")
        file_id = "AgACAgIAAxkBAA" + _b64(raw + secrets.token_bytes(24))
        return file_id, "AQAD" + _b64(raw[8:] + secrets.token_bytes(4))


def commands_scope_key(scope: dict[str, Any]) -> str:
    return orjson.dumps(scope, option=orjson.OPT_SORT_KEYS).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
