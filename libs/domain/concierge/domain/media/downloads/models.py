"""Downloads: a torrent the person added to their seedbox through the media desk, followed
by the worker's watcher (``media.downloads.*`` jobs) until it completes, stalls for long,
or disappears from the seedbox.

The person is told once per event: the outbox row's dedup key is
``media.download:<download id>:<event>`` (``done`` / ``stalled``), and the row's state
changes in a guarded update (``WHERE status = 'active'``), so however many workers check
the same torrent at once, one message goes out.

``seedbox_id`` names the person's seedbox connection (the media desk's own table, added
by migration 0013_media; the foreign key, added by 0018_media_links, deletes a
connection's downloads with it).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from concierge.db import Base, TimestampMixin

__all__ = ["DownloadStatus", "MediaDownload"]


class DownloadStatus(StrEnum):
    ACTIVE = "active"  # followed by the watcher
    DONE = "done"  # complete; the person was told
    REMOVED = "removed"  # gone from the seedbox before completing (no message)
    CANCELLED = "cancelled"  # the person stopped following it (removed through us)


class MediaDownload(TimestampMixin, Base):
    __tablename__ = "media_downloads"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'done', 'removed', 'cancelled')", name="status_allowed"
        ),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        CheckConstraint("infohash ~ '^[0-9a-f]{40}$'", name="infohash_hex"),
        CheckConstraint(
            "title_kind IS NULL OR title_kind IN ('movie', 'tv')", name="title_kind_allowed"
        ),
        UniqueConstraint("user_id", "seedbox_id", "infohash"),
        # The watcher's claim: active downloads whose check is due.
        Index(
            "ix_media_downloads_due",
            "next_check_at",
            postgresql_where=sql("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seedbox_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("media_seedboxes.id", ondelete="CASCADE"), index=True
    )
    infohash: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(Text)  # the release's title as shown when it was added
    # The film or series (TMDB's id and kind) when the release named it: the "done" message
    # asks for a rating of it, and the rating goes to the person's history.
    title_id: Mapped[int | None] = mapped_column(BigInteger)
    title_kind: Mapped[str | None] = mapped_column(String(8))
    size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=DownloadStatus.ACTIVE)
    progress: Mapped[float] = mapped_column(Float, default=0.0, server_default=sql("0"))
    # When progress last moved (or the download was added): "stalled" counts from here.
    progress_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
    next_check_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
    checks_failed: Mapped[int] = mapped_column(Integer, default=0, server_default=sql("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    stall_told_at: Mapped[datetime | None]
