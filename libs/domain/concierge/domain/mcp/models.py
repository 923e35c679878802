"""The MCP surface: people's bearer tokens for AI agents (stored hashed, revocable, with
scopes) and the audit of every tool call (tool, caller, outcome, duration; never the
arguments or the token)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from concierge.db import Base, TimestampMixin

OUTCOMES = ("ok", "error", "invalid", "denied")


class McpToken(TimestampMixin, Base):
    __tablename__ = "mcp_tokens"
    __table_args__ = (
        # One live token of a name per person; a revoked name may be used again.
        Index(
            "uq_mcp_tokens_user_id_name_live",
            "user_id",
            "name",
            unique=True,
            postgresql_where=sql("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    # SHA-256 of the whole token (hex): tokens are 256 random bits, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class McpCall(Base):
    __tablename__ = "mcp_calls"
    __table_args__ = (
        CheckConstraint(
            "outcome IN (" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")", name="outcome_allowed"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(ForeignKey("mcp_tokens.id", ondelete="SET NULL"))
    tool: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(64))
    duration_ms: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
