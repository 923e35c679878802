"""What the sandbox remembers about each bot's world: users, chats, messages, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from concierge.sandbox.telegram.keyboards import Markup
from concierge.sandbox.telegram.text import Entity


@dataclass
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    sender_id: int
    date: int
    text: str | None = None
    entities: tuple[Entity, ...] = ()
    parse_mode: str | None = None
    reply_markup: Markup | None = None
    photo: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: tuple[Entity, ...] = ()
    edit_date: int | None = None
    reply_to_message_id: int | None = None
    web_app_data: dict[str, str] | None = None
    protected: bool = False


@dataclass
class Draft:
    draft_id: int
    text: str
    entities: tuple[Entity, ...]
    updated_at: float


@dataclass
class ChatRecord:
    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    action: str | None = None
    action_at: float = 0.0
    draft: Draft | None = None
    menu_button: dict[str, Any] | None = None

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    answered_at: float | None = None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "answered": self.answered,
            "answered_after_s": (
                None if self.answered_at is None else round(self.answered_at - self.created_at, 3)
            ),
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "cache_time": self.cache_time,
        }


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    file_path: str | None
    content: bytes | None
    source_url: str | None
    width: int
    height: int
    mime_type: str

    def photo_size(self) -> dict[str, Any]:
        size: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
        }
        if self.content is not None:
            size["file_size"] = len(self.content)
        return size


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    version: int


@dataclass(eq=False)
class Update:
    update_id: int
    chat_key: int
    kind: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}
