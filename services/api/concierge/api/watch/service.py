"""The watch desk's rules: people's watches (scoped to their owner), the catalog the
worker reads from providers, and each poll the worker reports (health, slot diffing,
who is told what)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from concierge.api.notify.service import NotifyService
from concierge.api.watch import notifications, timing
from concierge.api.watch.repository import TargetRow, WatchRepository, WatchRow
from concierge.common.errors import Conflict, Invalid, NotFound
from concierge.contracts.watch import (
    MAX_REPEATS,
    MAX_WATCH_DAYS,
    MAX_WATCHES_PER_USER,
    REPEAT_EVERY_S,
    CatalogSummary,
    CatalogUpdate,
    DeliverySummary,
    NoticeMode,
    OfficeRead,
    PollOutcome,
    PollReport,
    PollSummary,
    Preferences,
    ProviderCreate,
    ProviderKind,
    ProviderRead,
    ServiceRead,
    SlotSeen,
    TargetHealth,
    TargetState,
    WatchCreate,
    WatchRead,
    WatchUpdate,
    Window,
)
from concierge.domain.identity.models import User
from concierge.domain.watch.models import Watch, WatchPreferences, WatchProvider, WatchTarget

USER_PAUSE = "user"
BLOCKED_PAUSE = "blocked"


def weekday_mask(weekdays: Sequence[int]) -> int:
    mask = 0
    for day in weekdays:
        mask |= 1 << (day - 1)
    return mask


def weekdays_of(mask: int) -> list[int]:
    return [day for day in range(1, 8) if mask & (1 << (day - 1))]


def provider_read(provider: WatchProvider) -> ProviderRead:
    return ProviderRead(
        slug=provider.slug,
        name=provider.name,
        kind=ProviderKind(provider.kind),
        timezone=provider.timezone,
    )


def fits(watch: Watch, provider: WatchProvider, slot: datetime) -> bool:
    """Whether a slot is in the watch's dates, weekdays and hours (the office's time)."""
    local = notifications.local_time(provider, slot)
    return (
        watch.date_from <= local.date() <= watch.date_to
        and bool(watch.weekdays & (1 << local.weekday()))
        and watch.time_from <= local.time().replace(tzinfo=None) <= watch.time_to
    )


class WatchDesk:
    """What a person does with their watches and preferences, and browsing providers."""

    def __init__(self, repository: WatchRepository, notify: NotifyService) -> None:
        self.repository = repository
        self.notify = notify

    async def providers(self) -> list[ProviderRead]:
        return [provider_read(p) for p in await self.repository.providers()]

    async def _provider(self, slug: str) -> WatchProvider:
        provider = await self.repository.provider(slug)
        if provider is None or not provider.enabled:
            raise NotFound(f"There is no provider {slug!r}")
        return provider

    async def offices(
        self, slug: str, query: str | None, limit: int, offset: int = 0
    ) -> list[OfficeRead]:
        provider = await self._provider(slug)
        offices = await self.repository.offices(provider.id, query, limit, offset)
        return [OfficeRead(id=o.external_id, name=o.name) for o in offices]

    async def services(self, slug: str, office_id: str) -> list[ServiceRead]:
        provider = await self._provider(slug)
        office = await self.repository.office(provider.id, office_id)
        if office is None:
            raise NotFound(f"Provider {slug!r} has no office {office_id!r}")
        services = await self.repository.services(provider.id, office.service_ids or None)
        return [ServiceRead(id=s.external_id, name=s.name) for s in services]

    async def of_user(self, user: User) -> list[WatchRead]:
        rows = await self.repository.watches_of(user.id)
        return await self._reads(rows)

    async def create(self, user: User, data: WatchCreate) -> WatchRead:
        provider = await self._provider(data.provider)
        office = await self.repository.office(provider.id, data.office)
        if office is None:
            raise Invalid(f"Provider {data.provider!r} has no office {data.office!r}")
        service = await self.repository.service(provider.id, data.service)
        if service is None or (office.service_ids and data.service not in office.service_ids):
            raise Invalid(f"Office {data.office!r} does not offer service {data.service!r}")
        self._check_dates(data, await self._today())
        if await self.repository.count_of(user.id) >= MAX_WATCHES_PER_USER:
            raise Conflict(f"You have {MAX_WATCHES_PER_USER} watches; remove one first")
        target = await self.repository.target_for(provider, office, service)
        watch = await self.repository.add_watch(
            {"user_id": user.id, "target_id": target.id, **_window(data)}
        )
        return await self._read_one(user, watch.id)

    async def update(self, user: User, watch_id: int, data: WatchUpdate) -> WatchRead:
        row = await self._own(user, watch_id)
        watch = row[0]
        if data.window is not None:
            self._check_dates(data.window, await self._today(), keep_from=watch.date_from)
            for name, value in _window(data.window).items():
                setattr(watch, name, value)
        if data.paused is True and watch.paused_at is None:
            watch.paused_at, watch.paused_reason = await self.repository.now(), USER_PAUSE
        elif data.paused is False:
            watch.paused_at = watch.paused_reason = None
        await self.repository.flush()
        return await self._read_one(user, watch_id)

    async def delete(self, user: User, watch_id: int) -> None:
        row = await self._own(user, watch_id)
        await self.repository.delete_watch(row[0])

    async def preferences(self, user: User) -> Preferences:
        return preferences_read(await self.repository.preferences(user.id))

    async def save_preferences(self, user: User, data: Preferences) -> Preferences:
        row = await self.repository.save_preferences(user.id, data.model_dump())
        return preferences_read(row)

    async def seen(self, user: User, data: SlotSeen) -> int:
        """The person saw a slot's message: its reminders are dropped, held or queued.
        A slot of a target they do not watch is a 404."""
        watched = {row[1].id for row in await self.repository.watches_of(user.id)}
        if data.target_id not in watched:
            raise NotFound(f"You watch no target {data.target_id}")
        dropped = await self.repository.drop_held(
            data.target_id, [data.slot], user_id=user.id, repeats_only=True
        )
        return dropped + await self.notify.withdraw(
            notifications.SLOT_KIND,
            [notifications.repeats_key_pattern(user, data.target_id, data.slot)],
            "the person saw the slot",
        )

    async def _own(self, user: User, watch_id: int) -> WatchRow:
        row = await self.repository.watch_of(user.id, watch_id)
        if row is None:  # someone else's watch is as unknown as a missing one
            raise NotFound(f"You have no watch {watch_id}")
        return row

    async def _today(self) -> date:
        return (await self.repository.now()).date()

    @staticmethod
    def _check_dates(window: Window, today: date, keep_from: date | None = None) -> None:
        # A day's grace: the person's "today" may still be yesterday in UTC terms.
        earliest = today - timedelta(days=1)
        if window.date_to < earliest:
            raise Invalid("The date range is in the past")
        if window.date_from < earliest and window.date_from != keep_from:
            raise Invalid("The date range starts in the past")
        if window.date_to > today + timedelta(days=MAX_WATCH_DAYS):
            raise Invalid(f"The date range ends more than {MAX_WATCH_DAYS} days ahead")

    async def _read_one(self, user: User, watch_id: int) -> WatchRead:
        row = await self._own(user, watch_id)
        return (await self._reads([row]))[0]

    async def _reads(self, rows: Sequence[WatchRow]) -> list[WatchRead]:
        slots = await self.repository.open_slots(sorted({row[1].id for row in rows}))
        return [
            WatchRead(
                id=watch.id,
                provider=provider_read(provider),
                office=OfficeRead(id=office.external_id, name=office.name),
                service=ServiceRead(id=service.external_id, name=service.name),
                date_from=watch.date_from,
                date_to=watch.date_to,
                weekdays=weekdays_of(watch.weekdays),
                time_from=watch.time_from,
                time_to=watch.time_to,
                paused=watch.paused_at is not None,
                paused_reason=watch.paused_reason,
                booking_url=notifications.booking_url(provider, office, service),
                target_state=TargetState(target.state),
                open_slots=[s for s in slots[target.id] if fits(watch, provider, s)],
                created_at=watch.created_at,
            )
            for watch, target, provider, office, service in rows
        ]


def preferences_read(row: WatchPreferences | None) -> Preferences:
    if row is None:
        return Preferences()
    return Preferences(
        mode=NoticeMode(row.mode),
        cooldown_s=row.cooldown_s,
        quiet_from=row.quiet_from,
        quiet_to=row.quiet_to,
        timezone=row.timezone,
        repeat_until_seen=row.repeat_until_seen,
        captcha_notices=row.captcha_notices,
        daily_digest=row.daily_digest,
        digest_hour=row.digest_hour,
    )


def _window(window: Window) -> dict[str, Any]:
    return {
        "date_from": window.date_from,
        "date_to": window.date_to,
        "weekdays": weekday_mask(window.weekdays),
        "time_from": window.time_from,
        "time_to": window.time_to,
    }


class TargetDesk:
    """Targets as admins and the worker see them: providers, catalogs, poll reports."""

    def __init__(
        self,
        repository: WatchRepository,
        notify: NotifyService,
        *,
        failing_after: int,
        captcha_pause_s: float,
    ) -> None:
        self.repository = repository
        self.notify = notify
        self.failing_after = failing_after
        self.captcha_pause = timedelta(seconds=captcha_pause_s)

    async def add_provider(self, data: ProviderCreate) -> ProviderRead:
        provider = await self.repository.add_provider(data.model_dump(mode="json"))
        if provider is None:
            raise Conflict(f"Provider {data.slug!r} exists")
        return provider_read(provider)

    async def save_catalog(self, slug: str, catalog: CatalogUpdate) -> CatalogSummary:
        provider = await self.repository.provider(slug)
        if provider is None:
            raise NotFound(f"There is no provider {slug!r}")
        await self.repository.save_catalog(provider, catalog)
        return CatalogSummary(offices=len(catalog.offices), services=len(catalog.services))

    async def health(self) -> list[TargetHealth]:
        return [
            TargetHealth(
                id=target.id,
                provider=provider.slug,
                office=OfficeRead(id=office.external_id, name=office.name),
                service=ServiceRead(id=service.external_id, name=service.name),
                state=TargetState(target.state),
                watchers=watchers,
                polls=target.polls,
                last_poll_at=target.last_poll_at,
                last_success_at=target.last_success_at,
                failures_in_row=target.failures_in_row,
                last_error=target.last_error,
                paused_until=target.paused_until,
            )
            for (target, provider, office, service), watchers in await self.repository.targets()
        ]

    async def resume(self, target_id: int) -> None:
        """An admin resumes a target a captcha paused (polls start at once)."""
        row = await self._target(target_id)
        target = row[0]
        target.paused_until = None
        target.next_poll_at = await self.repository.now()
        if target.state == TargetState.CAPTCHA:
            target.state = TargetState.NEW
        await self.repository.flush()

    async def _target(self, target_id: int) -> TargetRow:
        row = await self.repository.target_for_update(target_id)
        if row is None:
            raise NotFound(f"There is no watch target {target_id}")
        return row

    async def record_poll(self, target_id: int, report: PollReport) -> PollSummary:
        """Apply one poll of a target: its health, and for an answer the slots that
        opened (announced once to each person whose window they fit) and went."""
        row = await self._target(target_id)
        target = row[0]
        now = await self.repository.now()
        target.last_poll_at = now
        target.polls += 1
        summary = PollSummary(
            target_id=target.id,
            state=TargetState.NEW,
            failures_in_row=0,
            opened=0,
            gone=0,
            notified=0,
            paused_watches=0,
        )
        if report.outcome == PollOutcome.OK:
            await self._answered(row, now)
            await self._diff(row, report.slots, now, summary)
        elif report.outcome == PollOutcome.CAPTCHA:
            await self._captcha(row, now, summary)
        else:
            await self._failed(row, report.error or report.outcome.value, now)
        await self.repository.flush()
        summary.state = TargetState(target.state)
        summary.failures_in_row = target.failures_in_row
        return summary

    async def _answered(self, row: TargetRow, now: datetime) -> None:
        target = row[0]
        if target.alerted_at is not None:
            await self._alert_admins(row, recovered=True, episode=target.alerted_at)
            target.alerted_at = None
        target.state = TargetState.HEALTHY
        target.failures_in_row = 0
        target.last_error = None
        target.last_success_at = now
        target.captcha_at = None

    async def _failed(self, row: TargetRow, error: str, now: datetime) -> None:
        """A failure is the admins' business, never the watchers': nobody is spammed."""
        target = row[0]
        target.failures_in_row += 1
        target.last_error = error[:500]
        if target.failures_in_row >= self.failing_after:
            target.state = TargetState.FAILING
            if target.alerted_at is None:
                target.alerted_at = now
                await self._alert_admins(row, recovered=False, episode=now)

    async def _captcha(self, row: TargetRow, now: datetime, summary: PollSummary) -> None:
        target = row[0]
        target.state = TargetState.CAPTCHA
        target.paused_until = now + self.captcha_pause
        target.next_poll_at = target.paused_until
        target.last_error = "the provider demands a captcha; people continue by hand"
        if target.captcha_at is None:  # a new episode: tell the watchers once
            target.captcha_at = now
        summary.paused_watches = await self.repository.pause_blocked(target.id, now)
        watchers = await self.repository.active_watchers(target.id)
        preferences = await self.repository.preferences_of([user.id for _w, user in watchers])
        for _watch, user in watchers:
            wanted = preferences.get(user.id)
            if wanted is not None and not wanted.captcha_notices:
                continue  # they asked not to hear of captchas
            notification = notifications.captcha_demanded(user, row, target.captcha_at)
            if await self.notify.enqueue(notification) is not None:
                summary.notified += 1

    async def _diff(
        self, row: TargetRow, slots: Sequence[datetime], now: datetime, summary: PollSummary
    ) -> None:
        target, provider = row[0], row[1]
        current = set(slots)
        before = set((await self.repository.open_slots([target.id]))[target.id])
        opened = sorted(current - before)
        gone = sorted(before - current)
        await self.repository.mark_gone(target.id, gone, now)
        await self.repository.mark_open(target.id, opened, now)
        summary.opened, summary.gone = len(opened), len(gone)
        summary.withdrawn = await self.notify.withdraw(
            notifications.SLOT_KIND,
            [p for slot in gone for p in notifications.slot_key_patterns(target, slot)],
            notifications.SLOT_GONE,
        )
        summary.withdrawn += await self.repository.drop_held(target.id, gone)
        summary.edited = await self._mark_gone_in_chats(target, gone)
        if not opened:
            return
        summary.paused_watches = await self.repository.pause_blocked(target.id, now)
        watchers = await self.repository.active_watchers(target.id)
        preferences = await self.repository.preferences_of([user.id for _w, user in watchers])
        for watch, user in watchers:
            wanted = preferences.get(user.id)
            if wanted is not None and wanted.mode == NoticeMode.DIGEST:
                continue  # the daily digest tells them
            fitting = [slot for slot in opened if fits(watch, provider, slot)]
            if fitting:
                summary.notified += await self._tell(row, watch, user, wanted, fitting, now)

    async def _mark_gone_in_chats(self, target: WatchTarget, gone: Sequence[datetime]) -> int:
        """Messages already sent about slots that went are edited to say so."""
        patterns = [p for slot in gone for p in notifications.slot_key_patterns(target, slot)]
        sent = await self.notify.sent(notifications.SLOT_KIND, patterns)
        people = await self.repository.users_by_telegram_id({row.chat_id for row in sent})
        edited = 0
        for row in sent:
            edit = notifications.slot_gone(row, people.get(row.chat_id))
            edited += await self.notify.enqueue(edit) is not None
        return edited

    async def _tell(
        self,
        place: TargetRow,
        watch: Watch,
        user: User,
        wanted: WatchPreferences | None,
        slots: Sequence[datetime],
        now: datetime,
    ) -> int:
        """Tell a person of slots now, or hold the message until their cooldown and
        quiet hours allow; reminders are held too when they want them."""
        repeat = wanted is not None and wanted.repeat_until_seen
        due = timing.due_at(now, watch, wanted)
        told = 0
        held: list[dict[str, Any]] = []
        for slot in slots:
            if due <= now:
                notification = notifications.slot_opened(user, place, slot, seen=repeat)
                told += await self.notify.enqueue(notification) is not None
            else:
                held.append(self._held(user, place, slot, 0, due))
            if repeat:
                held.extend(
                    self._held(user, place, slot, n, timing.after_quiet_hours(
                        due + timedelta(seconds=n * REPEAT_EVERY_S), wanted))
                    for n in range(1, MAX_REPEATS + 1)
                )  # fmt: skip
        if due <= now:
            watch.last_told_at = now
        await self.repository.hold(held)
        return told

    @staticmethod
    def _held(
        user: User, place: TargetRow, slot: datetime, repeat: int, due: datetime
    ) -> dict[str, Any]:
        return {
            "user_id": user.id,
            "target_id": place[0].id,
            "starts_at": slot,
            "repeat": repeat,
            "due_at": due,
        }

    async def deliver(self, limit: int = 1000) -> DeliverySummary:
        """Send held messages whose time came (the slot still open, the watch still on),
        and the daily digests that are due."""
        now = await self.repository.now()
        summary = DeliverySummary(released=0, dropped=0, digests=0)
        due = await self.repository.take_due_held(now, limit)
        still_open = await self.repository.open_pairs([(h.target_id, h.starts_at) for h in due])
        groups: dict[tuple[int, int], list[datetime]] = {}
        reminders = []
        for held in due:
            if (held.target_id, held.starts_at) not in still_open:
                summary.dropped += 1
            elif held.repeat:
                reminders.append(held)
            else:
                groups.setdefault((held.user_id, held.target_id), []).append(held.starts_at)
        places: dict[int, TargetRow | None] = {}
        for (user_id, target_id), slots in groups.items():
            sent = await self._release(places, user_id, target_id, now, sorted(slots))
            summary.released += sent
            summary.dropped += 0 if sent else 1
        for held in reminders:
            sent = await self._release(
                places, held.user_id, held.target_id, now, [held.starts_at], held.repeat
            )
            summary.released += sent
            summary.dropped += 0 if sent else 1
        summary.digests = await self._digests(now)
        return summary

    async def _release(
        self,
        places: dict[int, TargetRow | None],
        user_id: int,
        target_id: int,
        now: datetime,
        slots: list[datetime],
        repeat: int = 0,
    ) -> int:
        if target_id not in places:
            places[target_id] = await self.repository.target_row(target_id)
        place = places[target_id]
        found = await self.repository.active_watch(user_id, target_id)
        if place is None or found is None:
            return 0  # the watch went, or was paused, meanwhile
        watch, user = found
        wanted = await self.repository.preferences(user_id)
        seen = wanted is not None and wanted.repeat_until_seen
        if repeat:
            notification = notifications.reminder(user, place, slots[0], repeat)
        else:
            notification = notifications.slots_opened(user, place, slots, seen=seen)
            watch.last_told_at = now
        return int(await self.notify.enqueue(notification) is not None)

    async def _digests(self, now: datetime) -> int:
        """One digest a day per person who wants one, at their hour (their zone): the
        slots of the last day that opened and closed within their watches' windows."""
        queued = 0
        for wanted, user in await self.repository.digest_candidates():
            local = now.astimezone(ZoneInfo(wanted.timezone))
            if local.hour < wanted.digest_hour or wanted.last_digest_on == local.date():
                continue
            wanted.last_digest_on = local.date()
            rows = await self.repository.watches_of(user.id)
            since = now - timedelta(days=1)
            slots = await self.repository.slots_since(sorted({r[1].id for r in rows}), since)
            parts = []
            for watch, target, provider, office, service in rows:
                mine = [
                    s
                    for s in slots
                    if s.target_id == target.id and fits(watch, provider, s.starts_at)
                ]
                opened = [s.starts_at for s in mine if s.first_seen_at >= since]
                closed = [s.starts_at for s in mine if s.gone_at is not None and s.gone_at >= since]
                if opened or closed:
                    parts.append(((target, provider, office, service), opened, closed))
            if parts:
                notification = notifications.digest(user, local.date(), parts)
                queued += await self.notify.enqueue(notification) is not None
        await self.repository.flush()
        return queued

    async def _alert_admins(self, row: TargetRow, *, recovered: bool, episode: datetime) -> None:
        target, provider, office, service = row
        for admin in await self.repository.admins():
            await self.notify.enqueue(
                notifications.target_alert(
                    admin, target, provider, office, service, recovered=recovered, episode=episode
                )
            )
