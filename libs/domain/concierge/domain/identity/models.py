from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from concierge.contracts.identity import UserRole, UserStatus
from concierge.db import Base, TimestampMixin


def _enum_check(column: str, values: type[UserRole] | type[UserStatus]) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (_enum_check("role", UserRole), _enum_check("status", UserStatus))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str | None] = mapped_column(String(64))
    last_name: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(35))
    language: Mapped[str | None] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.USER, index=True)
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.NEW, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set when Telegram says the user blocked the bot (403); nothing is sent to them then.
    blocked_at: Mapped[datetime | None]


class UserLog(Base):
    __tablename__ = "user_logs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
