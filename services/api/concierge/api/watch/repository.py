"""Every query of the watch desk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.repository import UserRepository
from concierge.contracts.watch import CatalogUpdate
from concierge.domain.identity.models import User
from concierge.domain.watch.models import (
    Watch,
    WatchHeld,
    WatchOffice,
    WatchPreferences,
    WatchProvider,
    WatchService,
    WatchSlot,
    WatchTarget,
)

# A watch with everything shown about it.
WatchRow = tuple[Watch, WatchTarget, WatchProvider, WatchOffice, WatchService]
TargetRow = tuple[WatchTarget, WatchProvider, WatchOffice, WatchService]


def _watch_row(row: Any) -> WatchRow:
    return (row[0], row[1], row[2], row[3], row[4])


def _search_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class WatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def now(self) -> datetime:
        now = await self.session.scalar(select(func.now()))
        assert now is not None
        return now

    # --- providers and their catalog -------------------------------------------------

    async def providers(self) -> Sequence[WatchProvider]:
        query = select(WatchProvider).where(WatchProvider.enabled).order_by(WatchProvider.slug)
        return (await self.session.scalars(query)).all()

    async def provider(self, slug: str) -> WatchProvider | None:
        return await self.session.scalar(select(WatchProvider).where(WatchProvider.slug == slug))

    async def add_provider(self, values: dict[str, Any]) -> WatchProvider | None:
        statement = (
            insert(WatchProvider)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[WatchProvider.slug])
            .returning(WatchProvider)
        )
        return await self.session.scalar(statement)

    async def offices(
        self, provider_id: int, query: str | None, limit: int, offset: int = 0
    ) -> Sequence[WatchOffice]:
        statement = select(WatchOffice).where(WatchOffice.provider_id == provider_id)
        if query:
            pattern = _search_pattern(query)
            statement = statement.where(
                or_(WatchOffice.name.ilike(pattern), WatchOffice.external_id == query)
            )
        statement = statement.order_by(WatchOffice.name, WatchOffice.id).limit(limit).offset(offset)
        return (await self.session.scalars(statement)).all()

    async def office(self, provider_id: int, external_id: str) -> WatchOffice | None:
        return await self.session.scalar(
            select(WatchOffice).where(
                WatchOffice.provider_id == provider_id, WatchOffice.external_id == external_id
            )
        )

    async def services(
        self, provider_id: int, external_ids: Sequence[str] | None
    ) -> Sequence[WatchService]:
        statement = select(WatchService).where(WatchService.provider_id == provider_id)
        if external_ids is not None:
            statement = statement.where(WatchService.external_id.in_(external_ids))
        return (await self.session.scalars(statement.order_by(WatchService.name))).all()

    async def service(self, provider_id: int, external_id: str) -> WatchService | None:
        return await self.session.scalar(
            select(WatchService).where(
                WatchService.provider_id == provider_id, WatchService.external_id == external_id
            )
        )

    async def save_catalog(self, provider: WatchProvider, catalog: CatalogUpdate) -> None:
        """Upsert what the provider offers; offices and services it dropped stay (their
        watches keep their names) until an admin removes the provider."""
        by_service = {s.id: s for s in catalog.services}  # one row each: the last counts
        by_office = {o.id: o for o in catalog.offices}
        if by_service:
            services = insert(WatchService).values(
                [
                    {"provider_id": provider.id, "external_id": s.id, "name": s.name}
                    for s in by_service.values()
                ]
            )
            await self.session.execute(
                services.on_conflict_do_update(
                    index_elements=[WatchService.provider_id, WatchService.external_id],
                    set_={"name": services.excluded.name},
                )
            )
        if by_office:
            offices = insert(WatchOffice).values(
                [
                    {
                        "provider_id": provider.id,
                        "external_id": o.id,
                        "name": o.name,
                        "service_ids": o.service_ids,
                    }
                    for o in by_office.values()
                ]
            )
            await self.session.execute(
                offices.on_conflict_do_update(
                    index_elements=[WatchOffice.provider_id, WatchOffice.external_id],
                    set_={
                        "name": offices.excluded.name,
                        "service_ids": offices.excluded.service_ids,
                    },
                )
            )
        provider.catalog_updated_at = await self.now()
        await self.session.flush()

    # --- targets ----------------------------------------------------------------------

    async def target_for(
        self, provider: WatchProvider, office: WatchOffice, service: WatchService
    ) -> WatchTarget:
        """The one target of (office, service), made on first use."""
        await self.session.execute(
            insert(WatchTarget)
            .values(provider_id=provider.id, office_id=office.id, service_id=service.id)
            .on_conflict_do_nothing(index_elements=[WatchTarget.office_id, WatchTarget.service_id])
        )
        target = await self.session.scalar(
            select(WatchTarget).where(
                WatchTarget.office_id == office.id, WatchTarget.service_id == service.id
            )
        )
        assert target is not None
        return target

    def _targets(self) -> Any:
        return (
            select(WatchTarget, WatchProvider, WatchOffice, WatchService)
            .join(WatchProvider, WatchProvider.id == WatchTarget.provider_id)
            .join(WatchOffice, WatchOffice.id == WatchTarget.office_id)
            .join(WatchService, WatchService.id == WatchTarget.service_id)
        )

    async def target_row(self, target_id: int) -> TargetRow | None:
        row = (
            await self.session.execute(self._targets().where(WatchTarget.id == target_id))
        ).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    async def target_for_update(self, target_id: int) -> TargetRow | None:
        """The target, locked: reports of one target are applied one after another."""
        query = self._targets().where(WatchTarget.id == target_id).with_for_update(of=WatchTarget)
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    async def targets(self) -> Sequence[tuple[TargetRow, int]]:
        """Every target with its number of active watchers (the admins' view)."""
        watchers = (
            select(func.count())
            .where(Watch.target_id == WatchTarget.id, Watch.paused_at.is_(None))
            .scalar_subquery()
        )
        query = self._targets().add_columns(watchers).order_by(WatchTarget.id)
        rows = (await self.session.execute(query)).all()
        return [((row[0], row[1], row[2], row[3]), int(row[4])) for row in rows]

    # --- slots ------------------------------------------------------------------------

    async def open_slots(self, target_ids: Sequence[int]) -> dict[int, list[datetime]]:
        query = (
            select(WatchSlot.target_id, WatchSlot.starts_at)
            .where(WatchSlot.target_id.in_(target_ids), WatchSlot.gone_at.is_(None))
            .order_by(WatchSlot.starts_at)
        )
        found: dict[int, list[datetime]] = {target_id: [] for target_id in target_ids}
        for target_id, starts_at in (await self.session.execute(query)).all():
            found[target_id].append(starts_at)
        return found

    async def mark_gone(self, target_id: int, slots: Sequence[datetime], now: datetime) -> None:
        if slots:
            await self.session.execute(
                update(WatchSlot)
                .where(WatchSlot.target_id == target_id, WatchSlot.starts_at.in_(slots))
                .values(gone_at=now)
            )

    async def mark_open(self, target_id: int, slots: Sequence[datetime], now: datetime) -> None:
        """Record slots as open (a slot seen again after it had gone opens again)."""
        if slots:
            statement = insert(WatchSlot).values(
                [{"target_id": target_id, "starts_at": s, "first_seen_at": now} for s in slots]
            )
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[WatchSlot.target_id, WatchSlot.starts_at],
                    set_={"gone_at": None, "first_seen_at": now},
                )
            )

    # --- watches ----------------------------------------------------------------------

    def _watches(self) -> Any:
        return (
            select(Watch, WatchTarget, WatchProvider, WatchOffice, WatchService)
            .join(WatchTarget, WatchTarget.id == Watch.target_id)
            .join(WatchProvider, WatchProvider.id == WatchTarget.provider_id)
            .join(WatchOffice, WatchOffice.id == WatchTarget.office_id)
            .join(WatchService, WatchService.id == WatchTarget.service_id)
        )

    async def watches_of(self, user_id: int) -> Sequence[WatchRow]:
        query = self._watches().where(Watch.user_id == user_id).order_by(Watch.id)
        return [_watch_row(row) for row in (await self.session.execute(query)).all()]

    async def watch_of(self, user_id: int, watch_id: int) -> WatchRow | None:
        query = self._watches().where(Watch.user_id == user_id, Watch.id == watch_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else _watch_row(row)

    async def count_of(self, user_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Watch).where(Watch.user_id == user_id)
        )
        return int(count or 0)

    async def add_watch(self, values: dict[str, Any]) -> Watch:
        watch = Watch(**values)
        self.session.add(watch)
        await self.session.flush()
        await self.session.refresh(watch)
        return watch

    async def delete_watch(self, watch: Watch) -> None:
        await self.session.delete(watch)
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()

    async def active_watchers(self, target_id: int) -> list[tuple[Watch, User]]:
        """The target's unpaused watches with their people."""
        query = (
            select(Watch, User)
            .join(User, User.id == Watch.user_id)
            .where(Watch.target_id == target_id, Watch.paused_at.is_(None))
            .order_by(Watch.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def pause_blocked(self, target_id: int, now: datetime) -> int:
        """Pause the target's watches whose person blocked the bot."""
        blocked = select(User.id).where(User.blocked_at.is_not(None))
        result: Any = await self.session.execute(
            update(Watch)
            .where(
                and_(
                    Watch.target_id == target_id,
                    Watch.paused_at.is_(None),
                    Watch.user_id.in_(blocked),
                )
            )
            .values(paused_at=now, paused_reason="blocked")
        )
        return int(result.rowcount)

    async def users_by_telegram_id(self, telegram_ids: set[int]) -> dict[int, User]:
        if not telegram_ids:
            return {}
        rows = await self.session.scalars(select(User).where(User.telegram_id.in_(telegram_ids)))
        return {user.telegram_id: user for user in rows.all()}

    async def admins(self) -> Sequence[User]:
        return await UserRepository(self.session).reachable_admins()

    # --- preferences, held messages, digests -------------------------------------------

    async def preferences(self, user_id: int) -> WatchPreferences | None:
        return await self.session.get(WatchPreferences, user_id)

    async def preferences_of(self, user_ids: Sequence[int]) -> dict[int, WatchPreferences]:
        if not user_ids:
            return {}
        rows = await self.session.scalars(
            select(WatchPreferences).where(WatchPreferences.user_id.in_(user_ids))
        )
        return {row.user_id: row for row in rows.all()}

    async def save_preferences(self, user_id: int, values: dict[str, Any]) -> WatchPreferences:
        statement = (
            insert(WatchPreferences)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=[WatchPreferences.user_id], set_=values)
            .returning(WatchPreferences)
            .execution_options(populate_existing=True)
        )
        row = await self.session.scalar(statement)
        assert row is not None
        return row

    async def hold(self, rows: Sequence[dict[str, Any]]) -> None:
        """Held messages (a repeated one is kept as it was)."""
        if rows:
            await self.session.execute(
                insert(WatchHeld).values(list(rows)).on_conflict_do_nothing()
            )

    async def drop_held(
        self,
        target_id: int,
        slots: Sequence[datetime],
        *,
        user_id: int | None = None,
        repeats_only: bool = False,
    ) -> int:
        """Forget held messages about these slots (they went, or the person saw them)."""
        if not slots:
            return 0
        statement = delete(WatchHeld).where(
            WatchHeld.target_id == target_id, WatchHeld.starts_at.in_(slots)
        )
        if user_id is not None:
            statement = statement.where(WatchHeld.user_id == user_id)
        if repeats_only:
            statement = statement.where(WatchHeld.repeat > 0)
        return int((await self.session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def take_due_held(self, now: datetime, limit: int) -> Sequence[WatchHeld]:
        """Due held messages, deleted and returned (locked rows of another caller are left)."""
        due = (
            select(WatchHeld.id)
            .where(WatchHeld.due_at <= now)
            .order_by(WatchHeld.due_at, WatchHeld.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self.session.scalars(
            delete(WatchHeld).where(WatchHeld.id.in_(due)).returning(WatchHeld)
        )
        return rows.all()

    async def open_pairs(self, pairs: Sequence[tuple[int, datetime]]) -> set[tuple[int, datetime]]:
        """Which (target, slot) pairs are still open."""
        if not pairs:
            return set()
        rows = await self.session.execute(
            select(WatchSlot.target_id, WatchSlot.starts_at).where(
                tuple_(WatchSlot.target_id, WatchSlot.starts_at).in_(list(set(pairs))),
                WatchSlot.gone_at.is_(None),
            )
        )
        return {(row[0], row[1]) for row in rows.all()}

    async def active_watch(self, user_id: int, target_id: int) -> tuple[Watch, User] | None:
        row = (
            await self.session.execute(
                select(Watch, User)
                .join(User, User.id == Watch.user_id)
                .where(
                    Watch.user_id == user_id,
                    Watch.target_id == target_id,
                    Watch.paused_at.is_(None),
                    User.blocked_at.is_(None),
                )
                .order_by(Watch.id)
                .limit(1)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def digest_candidates(self) -> Sequence[tuple[WatchPreferences, User]]:
        """People who get a daily digest (asked for it, or chose digest mode)."""
        rows = await self.session.execute(
            select(WatchPreferences, User)
            .join(User, User.id == WatchPreferences.user_id)
            .where(
                or_(WatchPreferences.daily_digest, WatchPreferences.mode == "digest"),
                User.blocked_at.is_(None),
            )
            .order_by(WatchPreferences.user_id)
            .with_for_update(of=WatchPreferences, skip_locked=True)
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def slots_since(self, target_ids: Sequence[int], since: datetime) -> Sequence[WatchSlot]:
        """Slots of these targets that opened or went since ``since``."""
        if not target_ids:
            return []
        rows = await self.session.scalars(
            select(WatchSlot)
            .where(
                WatchSlot.target_id.in_(target_ids),
                or_(WatchSlot.first_seen_at >= since, WatchSlot.gone_at >= since),
            )
            .order_by(WatchSlot.target_id, WatchSlot.starts_at)
        )
        return rows.all()
