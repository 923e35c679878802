"""A person's media settings (onboarding), their indexers and seedbox connections, and
what they watched.

Credentials (an indexer's API key, a seedbox's password) are stored encrypted with the
deployment's key ring (``concierge.common.secret_box``, MultiFernet): ``*_secret``
columns hold Fernet tokens, never the secret. A seedbox on a private (LAN) address is
allowed only when the person marked it as theirs (``on_my_lan``): the one documented
exception to the address guard, for that one ``host:port``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from concierge.db import Base, TimestampMixin

__all__ = ["MediaIndexer", "MediaPreferences", "MediaSeedbox", "MediaWatched"]


class MediaPreferences(Base):
    __tablename__ = "media_preferences"
    __table_args__ = (
        CheckConstraint("quality IN (0, 480, 720, 1080, 2160)", name="quality_allowed"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quality: Mapped[int] = mapped_column(SmallInteger, default=1080, server_default=sql("1080"))
    audio: Mapped[list[str]] = mapped_column(
        ARRAY(String(8)), default=lambda: ["ru"], server_default=sql("'{ru}'")
    )
    genres: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), default=list, server_default=sql("'{}'")
    )
    notify_done: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    onboarded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    updated_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))


class MediaIndexer(TimestampMixin, Base):
    __tablename__ = "media_indexers"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(2048))
    apikey_secret: Mapped[str] = mapped_column(Text)  # a Fernet token


class MediaSeedbox(TimestampMixin, Base):
    __tablename__ = "media_seedboxes"
    __table_args__ = (
        CheckConstraint("kind IN ('transmission', 'qbittorrent', 'deluge')", name="kind_allowed"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    username: Mapped[str | None] = mapped_column(String(200))
    password_secret: Mapped[str | None] = mapped_column(Text)  # a Fernet token
    on_my_lan: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    deluge_host_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(100))  # what the test connection said


class MediaWatched(Base):
    __tablename__ = "media_watched"
    __table_args__ = (
        CheckConstraint("kind IN ('movie', 'tv')", name="kind_allowed"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="rating_range"),
        UniqueConstraint("user_id", "source", "title_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # "tmdb" | "kinopoisk"
    title_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(500))
    rating: Mapped[int | None] = mapped_column(Integer)
    watched_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
