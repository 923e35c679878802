"""Every query of the notify desk: the outbox, broadcasts, and recipients who blocked the bot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from concierge.api.identity.repository import UserRepository
from concierge.contracts.notify import Audience, MessagePayload, NotificationCreate
from concierge.db.repository import Repository
from concierge.domain.identity.models import User
from concierge.domain.notify.models import Broadcast, Outbox, OutboxStatus

BLOCKED_REASON = "the recipient blocked the bot"
BROADCAST_KIND = "broadcast"
NO_SYNC = {"synchronize_session": False}


def unfinished(status: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """``status IN ('pending', 'leased')`` with the values inline, as the partial indexes
    say it: the planner cannot match a partial index against bound parameters."""
    values = (OutboxStatus.PENDING.value, OutboxStatus.LEASED.value)
    return status.in_([literal(value, literal_execute=True) for value in values])


def _blocked_recipient(chat_id: int) -> ColumnElement[bool]:
    return exists().where(User.telegram_id == chat_id, User.blocked_at.is_not(None))


class OutboxRepository(Repository[Outbox]):
    model = Outbox

    async def insert(self, notification: NotificationCreate) -> Outbox | None:
        """Add the row unless its dedup key exists (then None). A recipient who blocked
        the bot gets the row as skipped, so the record shows it was not sent."""
        blocked = _blocked_recipient(notification.chat_id)
        statement: Any = (
            insert(Outbox)
            .values(
                dedup_key=notification.dedup_key,
                chat_id=notification.chat_id,
                kind=notification.kind,
                payload=notification.payload.model_dump(mode="json", exclude_none=True),
                status=case(
                    (blocked, OutboxStatus.SKIPPED.value), else_=OutboxStatus.PENDING.value
                ),
                last_error=case((blocked, BLOCKED_REASON), else_=None),
            )
            .on_conflict_do_nothing(index_elements=[Outbox.dedup_key])
            .returning(Outbox)
        )
        return await self.session.scalar(statement)

    @staticmethod
    def due_in(seconds: float) -> Any:
        """A time ``seconds`` after the database's now, to assign to a row's column."""
        return func.now() + timedelta(seconds=seconds)

    async def get_by_dedup_key(self, dedup_key: str) -> Outbox | None:
        return await self.session.scalar(select(Outbox).where(Outbox.dedup_key == dedup_key))

    async def claim(self, limit: int, lease_s: float) -> Sequence[Outbox]:
        """Lease up to ``limit`` due rows, each the first unfinished row of its chat.

        Due: pending and next_attempt_at passed, or leased and the lease ran out (a
        leased row's next_attempt_at is its lease_until). Rows other relays hold are
        skipped, not waited for. A chat whose first row waits (leased, or paused by a
        429) offers nothing, so one chat's messages go out one at a time, in order.
        """
        earlier = aliased(Outbox)
        has_earlier = exists().where(
            earlier.chat_id == Outbox.chat_id, unfinished(earlier.status), earlier.id < Outbox.id
        )
        due = (
            select(Outbox.id)
            .where(
                unfinished(Outbox.status),
                Outbox.next_attempt_at <= func.now(),
                or_(Outbox.status == OutboxStatus.PENDING, Outbox.lease_until < func.now()),
                ~has_earlier,
            )
            .order_by(Outbox.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Outbox)
            .cte("due")
        )
        lease_until = func.now() + timedelta(seconds=lease_s)
        statement = (
            update(Outbox)
            .where(Outbox.id == due.c.id)
            .values(
                status=OutboxStatus.LEASED, lease_until=lease_until, next_attempt_at=lease_until
            )
            .returning(Outbox)
            .execution_options(**NO_SYNC, populate_existing=True)
        )
        rows = (await self.session.scalars(statement)).all()
        return sorted(rows, key=lambda row: row.id)

    async def mark_sent(self, ids: Sequence[int]) -> int:
        """Sent is the truth whatever the row says now (a late report of a real send)."""
        statement = (
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status != OutboxStatus.SENT)
            .values(status=OutboxStatus.SENT, sent_at=func.now(), lease_until=None, last_error=None)
        )
        return await self._rowcount(statement)

    async def note_message_ids(self, message_ids: dict[int, int]) -> None:
        """Keep the chat's message id of sent rows (a later notification may edit it)."""
        if message_ids:
            await self.session.execute(
                update(Outbox),
                [{"id": row_id, "message_id": mid} for row_id, mid in message_ids.items()],
            )

    async def sent_messages(self, kind: str, key_patterns: Sequence[str]) -> Sequence[Outbox]:
        """Sent rows of this kind whose dedup keys match and whose message id is known."""
        if not key_patterns:
            return []
        rows = await self.session.scalars(
            select(Outbox)
            .where(
                Outbox.status == OutboxStatus.SENT,
                Outbox.kind == kind,
                Outbox.message_id.is_not(None),
                or_(*(Outbox.dedup_key.like(pattern) for pattern in key_patterns)),
            )
            .order_by(Outbox.id)
        )
        return rows.all()

    async def release(self, ids: Sequence[int]) -> int:
        """Give leased rows back untried: due again at once, no attempt counted."""
        statement = (
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == OutboxStatus.LEASED)
            .values(status=OutboxStatus.PENDING, next_attempt_at=func.now(), lease_until=None)
        )
        return await self._rowcount(statement)

    async def leased_for_update(self, ids: Sequence[int]) -> Sequence[Outbox]:
        """The rows still leased among ``ids``, locked for this transaction."""
        rows = await self.session.scalars(
            select(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == OutboxStatus.LEASED)
            .order_by(Outbox.id)
            .with_for_update()
        )
        return rows.all()

    async def skip_chat(self, chat_id: int, reason: str) -> int:
        """Every unfinished row of the chat becomes skipped (the recipient is unreachable)."""
        statement = (
            update(Outbox)
            .where(Outbox.chat_id == chat_id, unfinished(Outbox.status))
            .values(status=OutboxStatus.SKIPPED, lease_until=None, last_error=reason)
        )
        return await self._rowcount(statement)

    async def skip_pending(self, kind: str, key_patterns: Sequence[str], reason: str) -> int:
        """Rows of this kind not yet taken by the relay whose dedup key matches one of the
        LIKE patterns become skipped (what they announce is no longer true)."""
        if not key_patterns:
            return 0
        statement = (
            update(Outbox)
            .where(
                Outbox.status == OutboxStatus.PENDING,
                Outbox.kind == kind,
                or_(*(Outbox.dedup_key.like(pattern) for pattern in key_patterns)),
            )
            .values(status=OutboxStatus.SKIPPED, last_error=reason)
        )
        return await self._rowcount(statement)

    async def add_broadcast(self, broadcast: Broadcast, payload: MessagePayload) -> int:
        """One row per recipient of the broadcast's audience, in one INSERT … SELECT."""
        audience = Audience.model_validate(broadcast.audience)
        recipients = select(
            literal(f"{BROADCAST_KIND}:{broadcast.id}:") + cast(User.telegram_id, String),
            User.telegram_id,
            literal(BROADCAST_KIND),
            literal(payload.model_dump(mode="json", exclude_none=True), JSONB),
            literal(OutboxStatus.PENDING.value),
            literal(broadcast.id),
        ).where(User.blocked_at.is_(None))
        if audience.role is not None:
            recipients = recipients.where(User.role == audience.role)
        if audience.status is not None:
            recipients = recipients.where(User.status == audience.status)
        columns = ["dedup_key", "chat_id", "kind", "payload", "status", "broadcast_id"]
        statement = (
            insert(Outbox)
            .from_select(columns, recipients.order_by(User.id))
            .on_conflict_do_nothing(index_elements=[Outbox.dedup_key])
        )
        return await self._rowcount(statement)

    async def count_by_status(self, broadcast_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(Outbox.status, func.count())
            .where(Outbox.broadcast_id == broadcast_id)
            .group_by(Outbox.status)
        )
        return {status: count for status, count in rows}

    async def _rowcount(self, statement: Any) -> int:
        result: Any = await self.session.execute(statement, execution_options=NO_SYNC)
        return int(result.rowcount)


class BroadcastRepository(Repository[Broadcast]):
    model = Broadcast

    async def create(self, created_by: int, text: str, audience: dict[str, Any]) -> Broadcast:
        broadcast = await self.add(
            Broadcast(created_by=created_by, text=text, audience=audience, total=0)
        )
        await self.session.refresh(broadcast)  # created_at comes from the database
        return broadcast

    async def set_total(self, broadcast: Broadcast, total: int) -> None:
        broadcast.total = total
        await self.session.flush()


class RecipientRepository:
    """Users seen as notification recipients: whether they blocked the bot."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def admins(self) -> Sequence[User]:
        """Admins who have not blocked the bot."""
        return await UserRepository(self.session).reachable_admins()

    async def set_blocked(self, telegram_id: int, blocked: bool) -> int:
        """Mark (or clear) the user's block; the first block time is kept."""
        if blocked:
            condition = User.blocked_at.is_(None)
            value: Any = func.now()
        else:
            condition, value = User.blocked_at.is_not(None), None
        statement = (
            update(User)
            .where(User.telegram_id == telegram_id, condition)
            .values(blocked_at=value)
            .execution_options(**NO_SYNC)
        )
        result: Any = await self.session.execute(statement)
        return int(result.rowcount)
