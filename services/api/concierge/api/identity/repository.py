from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import insert

from concierge.contracts.identity import UserRegister, UserRole, UserStatus
from concierge.db.repository import Repository
from concierge.domain.identity.models import User, UserLog


class UserRepository(Repository[User]):
    model = User

    async def reachable_admins(self) -> Sequence[User]:
        """Admins who have not blocked the bot: who the desks tell what needs an admin."""
        rows = await self.session.scalars(
            select(User)
            .where(User.role == UserRole.ADMIN, User.blocked_at.is_(None))
            .order_by(User.id)
        )
        return rows.all()

    async def get_by_telegram_id(self, telegram_id: int) -> User | None:
        return await self.session.scalar(select(User).where(User.telegram_id == telegram_id))

    async def upsert(self, data: UserRegister, role: UserRole | None) -> tuple[User, bool]:
        """Insert or refresh a user by telegram_id; returns the row and whether it is new."""
        profile = data.model_dump(exclude={"telegram_id"}, exclude_unset=True)
        granted = {"role": role} if role is not None else {}
        inserting = insert(User).values(
            telegram_id=data.telegram_id,
            status=UserStatus.NEW,
            role=role or UserRole.USER,
            **profile,
        )
        statement: Any = inserting.on_conflict_do_update(
            index_elements=[User.telegram_id],
            set_={**profile, **granted, "last_seen_at": func.now()},
        ).returning(User, literal_column("xmax = 0").label("inserted"))
        result = await self.session.execute(
            statement, execution_options={"populate_existing": True}
        )
        user, inserted = result.one()
        return user, bool(inserted)

    async def list_filtered(
        self, *, role: UserRole | None, status: UserStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        query = select(User).order_by(User.id)
        if role is not None:
            query = query.where(User.role == role)
        if status is not None:
            query = query.where(User.status == status)
        return await self.paginate(query, limit=limit, offset=offset)

    async def log(self, user: User, action: str, details: dict[str, Any] | None = None) -> None:
        self.session.add(UserLog(user_id=user.id, action=action, details=details or {}))
        await self.session.flush()

    async def logs_of(self, user: User) -> Sequence[UserLog]:
        rows = await self.session.scalars(
            select(UserLog).where(UserLog.user_id == user.id).order_by(UserLog.id)
        )
        return rows.all()
