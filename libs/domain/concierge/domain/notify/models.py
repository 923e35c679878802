from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from concierge.contracts.notify import OutboxStatus
from concierge.db import Base, TimestampMixin

__all__ = ["Broadcast", "Outbox", "OutboxStatus"]


class Outbox(TimestampMixin, Base):
    """One notification to one chat, written in the transaction of the change behind it.

    While a row is leased, ``next_attempt_at`` equals ``lease_until``: the relay's next
    attempt is when the lease runs out, so one index finds both kinds of due rows.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'leased', 'sent', 'dead', 'skipped')", name="status_allowed"
        ),
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'leased')"),
        ),
        # A chat's unfinished rows in order: only the first of them may be claimed (0003).
        Index(
            "ix_outbox_chat_queue",
            "chat_id",
            "id",
            postgresql_where=text("status IN ('pending', 'leased')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(256), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # The sent message's id in its chat (so a later notification can edit it).
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )


class Broadcast(TimestampMixin, Base):
    """An admin's message to an audience; its progress is read from its outbox rows."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
