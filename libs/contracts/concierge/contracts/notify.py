"""Notification models shared by ``api`` (the outbox) and ``bot`` (the relay that sends it).

A notification is one message to one chat. Other services queue it with a dedup key
(``POST /api/v1/notifications``); the bot's relay claims due ones under a lease,
sends them and reports each outcome back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonDict

from concierge.contracts.identity import UserRole, UserStatus
from concierge.contracts.ids import BodyRowId, JsonInt
from concierge.contracts.text import MULTI_LINE, SINGLE_LINE

MAX_TEXT_LENGTH = 4096  # Telegram's limit, counted after entity parsing
# Markup may make the raw text longer than what is shown; Telegram refuses the rest (400).
MAX_FORMATTED_LENGTH = 4 * MAX_TEXT_LENGTH
MAX_CALLBACK_BYTES = 64
MAX_CLAIM = 500
MAX_REPORT = 1000
MAX_LEASE_S = 3600
MAX_RETRY_AFTER_S = 86_400
MAX_ERROR_LENGTH = 1000


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    LEASED = "leased"  # a relay took it; lease_until says until when
    SENT = "sent"
    DEAD = "dead"  # will never be sent (Telegram refused it, or out of attempts)
    SKIPPED = "skipped"  # the recipient blocked the bot


class DeliveryOutcome(StrEnum):
    """What happened when the relay tried to send one notification."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # 429: wait retry_after; not a failed attempt
    FAILED = "failed"  # a failure about this message: a failed attempt, retried with backoff
    UNAVAILABLE = "unavailable"  # Telegram or the network was down: no attempt used, due again
    REJECTED = "rejected"  # 400: Telegram will never accept it
    BLOCKED = "blocked"  # 403: the user blocked the bot (or it left the group)
    RELEASED = "released"  # not tried (the relay is stopping): due again at once


ParseMode = Literal["HTML", "MarkdownV2", "Markdown"]


def _a_chat(chat_id: int) -> int:
    if chat_id == 0:
        raise ValueError("chat_id 0 names no chat")
    return chat_id


ChatId = Annotated[
    JsonInt,
    Field(
        ge=-(2**53),
        le=2**53,
        description="Telegram chat id: a user's id, or a negative group (never 0)",
        json_schema_extra={"not": {"const": 0}},
    ),
    AfterValidator(_a_chat),
]
DedupKey = Annotated[str, StringConstraints(min_length=1, max_length=256), SINGLE_LINE]
WebAppLink = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://"), SINGLE_LINE]
ButtonLink = Annotated[
    str, StringConstraints(max_length=2048, pattern=r"^(https?|tg)://"), SINGLE_LINE
]
# What Telegram refuses, said in the schema too: blank text, and plain text (no
# parse_mode) over 4,096 characters; with markup Telegram measures the shown text itself.
MessageText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_FORMATTED_LENGTH),
    MULTI_LINE,
    Field(json_schema_extra={"allOf": [{"pattern": r"\S"}]}),
]
_PLAIN_TEXT_LENGTH: JsonDict = {
    "if": {"properties": {"parse_mode": {"type": "null"}}},
    "then": {"properties": {"text": {"maxLength": MAX_TEXT_LENGTH}}},
}
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$")]


class WebAppInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Telegram opens only https Mini Apps; the sandbox (development) also opens http.
    url: WebAppLink


def check_message_text(text: str, parse_mode: ParseMode | None) -> None:
    """Refuse what Telegram surely refuses; markup is measured by Telegram itself."""
    if not text.strip():
        raise ValueError("text is blank")
    if parse_mode is None and len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"plain text is over {MAX_TEXT_LENGTH} characters")


# Exactly one action, in the schema as in the validator.
_ONE_ACTION: JsonDict = {
    "oneOf": [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
        for name in ("callback_data", "url", "web_app")
    ]
}


class InlineButton(BaseModel):
    """An inline keyboard button: exactly one of a callback (at most 64 bytes of UTF-8),
    a link or a Mini App."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_ONE_ACTION)

    text: Annotated[str, StringConstraints(min_length=1, max_length=256), SINGLE_LINE]
    callback_data: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_CALLBACK_BYTES), SINGLE_LINE]
        | None
    ) = None
    url: ButtonLink | None = None
    web_app: WebAppInfo | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        actions = [self.callback_data, self.url, self.web_app]
        if sum(action is not None for action in actions) != 1:
            raise ValueError("a button has exactly one of callback_data, url, web_app")
        if self.callback_data and len(self.callback_data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback_data is over {MAX_CALLBACK_BYTES} bytes")
        return self


class InlineKeyboard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inline_keyboard: list[Annotated[list[InlineButton], Field(min_length=1, max_length=8)]] = Field(
        min_length=1, max_length=100
    )


class MessagePayload(BaseModel):
    """What the bot sends: ``sendMessage``'s text, parse_mode and inline keyboard."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_PLAIN_TEXT_LENGTH)

    text: MessageText
    parse_mode: ParseMode | None = None
    reply_markup: InlineKeyboard | None = None
    edit_message_id: JsonInt | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="Edit this earlier message of the chat (editMessageText) instead of "
        "sending a new one",
    )

    @model_validator(mode="after")
    def _fits_telegram(self) -> Self:
        check_message_text(self.text, self.parse_mode)
        return self


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dedup_key: DedupKey = Field(description="The same key twice is one notification")
    chat_id: ChatId
    kind: Kind = Field(description="What it is about, for example market.listing_approved")
    payload: MessagePayload


class AdminAlertCreate(BaseModel):
    """One message to every admin who can be reached: each gets a notification keyed
    ``<dedup_key>:<admin's telegram id>``, so the same alert twice reaches nobody twice."""

    model_config = ConfigDict(extra="forbid")

    dedup_key: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE]
    kind: Kind
    payload: MessagePayload


class AdminAlertQueued(BaseModel):
    admins: int = Field(description="Admins the alert is for")
    queued: int = Field(description="Notifications queued now (the rest had the key already)")


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dedup_key: str
    chat_id: int
    kind: str
    payload: MessagePayload
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    broadcast_id: int | None
    created_at: datetime


# --- the relay's side ---------------------------------------------------------------


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: JsonInt = Field(100, ge=1, le=MAX_CLAIM)
    lease_s: float = Field(60.0, ge=1.0, le=MAX_LEASE_S)


class ClaimedNotification(BaseModel):
    """A notification leased to the caller until ``lease_until``: send it, then report."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    chat_id: int
    kind: str
    payload: MessagePayload
    attempts: int
    lease_until: datetime


class ClaimedBatch(BaseModel):
    items: list[ClaimedNotification]


# retry_after_s comes with rate_limited, and only then: in the schema as in the validator.
_RETRY_AFTER_WHEN_LIMITED: JsonDict = {
    "if": {"properties": {"outcome": {"const": "rate_limited"}}, "required": ["outcome"]},
    "then": {"required": ["retry_after_s"], "properties": {"retry_after_s": {"type": "number"}}},
    "else": {"properties": {"retry_after_s": {"type": "null"}}},
}


class DeliveryReport(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_RETRY_AFTER_WHEN_LIMITED)

    id: BodyRowId
    outcome: DeliveryOutcome
    retry_after_s: float | None = Field(None, gt=0, le=MAX_RETRY_AFTER_S)
    message_id: JsonInt | None = Field(
        None, ge=1, le=2**31 - 1, description="The sent message's id in its chat (sent only)"
    )
    error: Annotated[str, StringConstraints(max_length=MAX_ERROR_LENGTH), MULTI_LINE] | None = None

    @model_validator(mode="after")
    def _retry_after_only_when_limited(self) -> Self:
        limited = self.outcome == DeliveryOutcome.RATE_LIMITED
        if limited != (self.retry_after_s is not None):
            raise ValueError("retry_after_s is given with outcome rate_limited, and only then")
        return self


class ReportBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reports: list[DeliveryReport] = Field(min_length=1, max_length=MAX_REPORT)


class ReportSummary(BaseModel):
    applied: int = Field(description="Reports that changed a notification")
    ignored: int = Field(description="Unknown ids, or notifications no longer leased")


class ChatBlocked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    blocked: StrictBool


# --- broadcasts ---------------------------------------------------------------------


class Audience(BaseModel):
    """Who gets a broadcast: every user who has not blocked the bot, narrowed by these."""

    model_config = ConfigDict(extra="forbid")

    role: UserRole | None = None
    status: UserStatus | None = None


class BroadcastCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_PLAIN_TEXT_LENGTH)

    text: MessageText
    parse_mode: ParseMode | None = None
    audience: Audience = Field(default_factory=Audience)

    def payload(self) -> MessagePayload:
        return MessagePayload(text=self.text, parse_mode=self.parse_mode)

    @model_validator(mode="after")
    def _fits_telegram(self) -> Self:
        check_message_text(self.text, self.parse_mode)
        return self


class BroadcastProgress(BaseModel):
    pending: int = 0
    leased: int = 0
    sent: int = 0
    dead: int = 0
    skipped: int = 0

    @property
    def finished(self) -> int:
        return self.sent + self.dead + self.skipped


class BroadcastRead(BaseModel):
    id: int
    text: str
    audience: Audience
    total: int
    created_by: int
    created_at: datetime
    progress: BroadcastProgress
    done: bool = Field(description="Every recipient's notification is sent, dead or skipped")
