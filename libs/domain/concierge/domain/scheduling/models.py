from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Float, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from concierge.db import Base, TimestampMixin


class Schedule(TimestampMixin, Base):
    """A job enqueued every ``interval_s`` seconds or on a ``cron`` expression (UTC)."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("(interval_s IS NULL) <> (cron IS NULL)", name="interval_or_cron"),
        CheckConstraint("interval_s IS NULL OR interval_s > 0", name="interval_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    job_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    interval_s: Mapped[float | None] = mapped_column(Float)
    cron: Mapped[str | None] = mapped_column(String(128))
    next_run_at: Mapped[datetime] = mapped_column(index=True)
    last_run_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
