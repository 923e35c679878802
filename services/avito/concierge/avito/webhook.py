"""The messenger webhook: per-account tokens, parsing, durable intake.

Avito signs nothing, so each account's webhook URL carries an unguessable token:
``<account_id>.<HMAC-SHA256(secret, "avito-webhook:<account_id>")[:40 hex]>``. It is
checked without a lookup. An event is de-duplicated on (account, event id) and appended
to a Redis stream in one atomic step before Avito gets its 200; the landlord's own
messages (``author_id == user_id``) and system messages are answered 200 and dropped.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from redis.asyncio import Redis

from concierge.contracts.avito import MAX_SEND_TEXT, GuestMessageEvent
from concierge.contracts.text import strip_control_characters
from concierge.streams import StreamScripts

EVENTS = Counter("avito_webhook_events_total", "Messenger webhook events", ["outcome"])
TOKEN_HEX = 40


def webhook_token(secret: str, account_id: int) -> str:
    digest = hmac.new(secret.encode(), f"avito-webhook:{account_id}".encode(), hashlib.sha256)
    return f"{account_id}.{digest.hexdigest()[:TOKEN_HEX]}"


def account_of(secret: str, token: str) -> int | None:
    """The account a webhook token names, or None when it is not one of ours."""
    head, _, _ = token.partition(".")
    if not head.isascii() or not head.isdigit() or len(head) > 19:
        return None
    account_id = int(head)
    if account_id < 1 or not hmac.compare_digest(
        webhook_token(secret, account_id).encode(), token.encode("utf-8", "surrogatepass")
    ):
        return None
    return account_id


class InvalidEvent(ValueError):
    """The body is not a messenger webhook event."""


class _Value(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    chat_id: str = Field(min_length=1, max_length=200)
    user_id: int = Field(ge=1)
    author_id: int = Field(ge=0)
    item_id: int | None = None
    created: int | float = Field(ge=0, le=2**40)
    type: str = Field("text", max_length=40)
    content: dict[str, Any] = Field(default_factory=dict)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = Field(max_length=40)
    value: dict[str, Any] | None = None


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    payload: _Payload


def parse_event(body: bytes, account_id: int) -> GuestMessageEvent | None:
    """The guest message in the body; None for an event we skip (not a message, the
    landlord's own, a system message). InvalidEvent when the body is malformed."""
    try:
        raw = orjson.loads(body)
        event = _Event.model_validate(raw)
        if event.payload.type != "message":
            return None
        value = _Value.model_validate(event.payload.value)
    except (orjson.JSONDecodeError, ValidationError, TypeError) as exc:
        raise InvalidEvent("not a messenger webhook event") from exc
    if value.type == "system" or value.author_id == value.user_id or value.author_id == 0:
        return None
    text = value.content.get("text")
    text = strip_control_characters(text)[:MAX_SEND_TEXT] if isinstance(text, str) else ""
    try:
        return GuestMessageEvent(
            event_id=str(event.id)[:200],
            account_id=account_id,
            avito_user_id=value.user_id,
            chat_id=value.chat_id,
            message_id=str(value.id)[:200],
            author_id=value.author_id,
            item_id=value.item_id if value.item_id and value.item_id > 0 else None,
            created=datetime.fromtimestamp(value.created, UTC),
            type=value.type,
            text=text,
        )
    except ValidationError as exc:
        raise InvalidEvent("not a messenger webhook event") from exc


class EventInbox:
    def __init__(self, redis: Redis, stream: str, dedup_ttl_s: int) -> None:
        self.stream = stream
        self.dedup_ttl_s = dedup_ttl_s
        self._scripts = StreamScripts(redis)

    async def accept(self, event: GuestMessageEvent) -> bool:
        """Store the event once; False when this event id was seen for the account."""
        key = f"avito:seen:{event.account_id}:{event.event_id}"
        entry = await self._scripts.append_once(
            self.stream, {"event": event.model_dump_json()}, key, self.dedup_ttl_s
        )
        EVENTS.labels("stored" if entry else "duplicate").inc()
        return entry is not None
