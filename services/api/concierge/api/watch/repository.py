"""Every query of the watch desk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.identity import UserRole
from concierge.contracts.watch import CatalogUpdate
from concierge.domain.identity.models import User
from concierge.domain.watch.models import (
    Watch,
    WatchOffice,
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
        self, provider_id: int, query: str | None, limit: int
    ) -> Sequence[WatchOffice]:
        statement = select(WatchOffice).where(WatchOffice.provider_id == provider_id)
        if query:
            pattern = _search_pattern(query)
            statement = statement.where(
                or_(WatchOffice.name.ilike(pattern), WatchOffice.external_id == query)
            )
        statement = statement.order_by(WatchOffice.name, WatchOffice.id).limit(limit)
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

    async def admins(self) -> Sequence[User]:
        rows = await self.session.scalars(
            select(User)
            .where(User.role == UserRole.ADMIN, User.blocked_at.is_(None))
            .order_by(User.id)
        )
        return rows.all()
