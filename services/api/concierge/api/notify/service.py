"""Notify rules: the outbox other desks write to, the relay's claims and reports, broadcasts.

Other desks queue a notification in their own transaction, next to the change that
causes it, with ``NotifyService.for_session(session).enqueue(...)``. The bot's relay
claims due rows under a lease and reports what Telegram said; the rules below turn
each outcome into the row's next state.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.notify.repository import (
    BLOCKED_REASON,
    BroadcastRepository,
    OutboxRepository,
    RecipientRepository,
)
from concierge.common.errors import NotFound
from concierge.contracts.notify import (
    AdminAlertCreate,
    AdminAlertQueued,
    BroadcastCreate,
    BroadcastProgress,
    BroadcastRead,
    DeliveryOutcome,
    DeliveryReport,
    NotificationCreate,
    ReportSummary,
)
from concierge.domain.identity.models import User
from concierge.domain.notify.models import Broadcast, Outbox, OutboxStatus

# Failed attempts before a notification is dead: failures about this message (Telegram
# choking on it while answering others). An outage (UNAVAILABLE) costs none.
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 900.0


def backoff_s(failed_attempts: int) -> float:
    """Full-jitter exponential backoff after the n-th failed attempt: up to 2 s, 4 s, … 15 min."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (failed_attempts - 1)))


def _error(report: DeliveryReport, default: str) -> str:
    return report.error or default


class NotifyService:
    def __init__(
        self,
        outbox: OutboxRepository,
        broadcasts: BroadcastRepository,
        recipients: RecipientRepository,
    ) -> None:
        self.outbox = outbox
        self.broadcasts = broadcasts
        self.recipients = recipients

    @classmethod
    def for_session(cls, session: AsyncSession) -> NotifyService:
        return cls(
            OutboxRepository(session), BroadcastRepository(session), RecipientRepository(session)
        )

    # --- queueing ---------------------------------------------------------------------

    async def enqueue(self, notification: NotificationCreate) -> Outbox | None:
        """Write the notification in the caller's transaction; None if the key was used.

        This is how other desks notify: call it next to the change that causes the
        notification, in the same session, and both commit (or neither does).
        """
        return await self.outbox.insert(notification)

    async def create(self, notification: NotificationCreate) -> tuple[Outbox, bool]:
        """Queue a notification; a repeated dedup key returns the first one, unchanged."""
        row = await self.outbox.insert(notification)
        if row is not None:
            return row, True
        existing = await self.outbox.get_by_dedup_key(notification.dedup_key)
        if existing is None:  # inserted and deleted between our two statements: never
            raise NotFound(f"Notification {notification.dedup_key!r} vanished")
        return existing, False

    async def tell_admins(self, alert: AdminAlertCreate) -> AdminAlertQueued:
        """One notification per reachable admin, keyed by the alert's key and the admin."""
        admins = await self.recipients.admins()
        queued = 0
        for admin in admins:
            row = await self.outbox.insert(
                NotificationCreate(
                    dedup_key=f"{alert.dedup_key}:{admin.telegram_id}",
                    chat_id=admin.telegram_id,
                    kind=alert.kind,
                    payload=alert.payload,
                )
            )
            queued += row is not None
        return AdminAlertQueued(admins=len(admins), queued=queued)

    async def withdraw(self, kind: str, key_patterns: Sequence[str], reason: str) -> int:
        """Skip queued notifications of ``kind`` whose dedup keys match (LIKE patterns) and
        the relay has not taken yet: what they say stopped being true."""
        return await self.outbox.skip_pending(kind, key_patterns, reason)

    async def sent(self, kind: str, key_patterns: Sequence[str]) -> Sequence[Outbox]:
        """What was sent of ``kind`` under these keys (LIKE patterns), with message ids:
        the messages a desk may edit now that what they said stopped being true."""
        return await self.outbox.sent_messages(kind, key_patterns)

    # --- the relay --------------------------------------------------------------------

    async def claim(self, limit: int, lease_s: float) -> Sequence[Outbox]:
        return await self.outbox.claim(limit, lease_s)

    async def report(self, reports: Sequence[DeliveryReport]) -> ReportSummary:
        """Apply what the relay saw. Reports only move leased rows (a sent one moves any
        row), so a report applied twice, or after the lease moved on, changes nothing."""
        unique = _last_per_id(reports)
        by_outcome: dict[DeliveryOutcome, list[DeliveryReport]] = defaultdict(list)
        for report in unique:
            by_outcome[report.outcome].append(report)
        sent = by_outcome[DeliveryOutcome.SENT]
        applied = await self.outbox.mark_sent([r.id for r in sent])
        await self.outbox.note_message_ids({r.id: r.message_id for r in sent if r.message_id})
        applied += await self.outbox.release([r.id for r in by_outcome[DeliveryOutcome.RELEASED]])
        failures = [
            report
            for outcome, group in by_outcome.items()
            if outcome not in (DeliveryOutcome.SENT, DeliveryOutcome.RELEASED)
            for report in group
        ]
        applied += await self._apply_failures(failures)
        return ReportSummary(applied=applied, ignored=len(unique) - applied)

    async def _apply_failures(self, reports: Sequence[DeliveryReport]) -> int:
        if not reports:
            return 0
        rows = {row.id: row for row in await self.outbox.leased_for_update([r.id for r in reports])}
        for report in reports:
            if report.id in rows:
                await self._apply_failure(rows[report.id], report)
        await self.outbox.flush()
        return len(rows)

    async def _apply_failure(self, row: Outbox, report: DeliveryReport) -> None:
        row.lease_until = None
        if report.outcome == DeliveryOutcome.RATE_LIMITED:
            # Telegram asked this chat to wait: not the notification's fault, no attempt used.
            assert report.retry_after_s is not None
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = self.outbox.due_in(report.retry_after_s)
            row.last_error = _error(report, f"429: retry after {report.retry_after_s:g} s")
        elif report.outcome == DeliveryOutcome.UNAVAILABLE:
            # Telegram (or the way to it) was down for every chat, not for this message:
            # no attempt used; the relay, which paused, takes it again when Telegram is back.
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = self.outbox.due_in(0)
            row.last_error = _error(report, "Telegram unavailable")
        elif report.outcome == DeliveryOutcome.FAILED:
            row.attempts += 1
            row.last_error = _error(report, "failed")
            if row.attempts >= MAX_ATTEMPTS:
                row.status = OutboxStatus.DEAD
            else:
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = self.outbox.due_in(backoff_s(row.attempts))
        elif report.outcome == DeliveryOutcome.REJECTED:
            row.status = OutboxStatus.DEAD
            row.last_error = _error(report, "400: rejected by Telegram")
        elif report.outcome == DeliveryOutcome.BLOCKED:
            row.status = OutboxStatus.SKIPPED
            row.last_error = _error(report, BLOCKED_REASON)
            await self.outbox.flush()
            await self.set_chat_blocked(row.chat_id, True)

    async def set_chat_blocked(self, chat_id: int, blocked: bool) -> None:
        """A chat that blocked the bot gets nothing more: its queued rows are skipped and
        new ones are written skipped, until the user writes to the bot again."""
        await self.recipients.set_blocked(chat_id, blocked)
        if blocked:
            await self.outbox.skip_chat(chat_id, BLOCKED_REASON)

    # --- broadcasts -------------------------------------------------------------------

    async def create_broadcast(self, admin: User, data: BroadcastCreate) -> BroadcastRead:
        audience = data.audience.model_dump(mode="json", exclude_none=True)
        broadcast = await self.broadcasts.create(admin.id, data.text, audience)
        total = await self.outbox.add_broadcast(broadcast, data.payload())
        await self.broadcasts.set_total(broadcast, total)
        return _broadcast_read(broadcast, BroadcastProgress(pending=broadcast.total))

    async def broadcast(self, broadcast_id: int) -> BroadcastRead:
        broadcast = await self.broadcasts.get(broadcast_id)
        if broadcast is None:
            raise NotFound(f"Broadcast {broadcast_id} does not exist")
        counts = await self.outbox.count_by_status(broadcast_id)
        return _broadcast_read(broadcast, BroadcastProgress.model_validate(counts))


def _last_per_id(reports: Sequence[DeliveryReport]) -> list[DeliveryReport]:
    """One report per notification: a sent report wins, else the latest one."""
    chosen: dict[int, DeliveryReport] = {}
    for report in reports:
        if chosen.get(report.id, report).outcome != DeliveryOutcome.SENT:
            chosen[report.id] = report
        chosen.setdefault(report.id, report)
    return list(chosen.values())


def _broadcast_read(broadcast: Broadcast, progress: BroadcastProgress) -> BroadcastRead:
    return BroadcastRead(
        id=broadcast.id,
        text=broadcast.text,
        audience=broadcast.audience,
        total=broadcast.total,
        created_by=broadcast.created_by,
        created_at=broadcast.created_at,
        progress=progress,
        done=progress.finished >= broadcast.total,
    )
