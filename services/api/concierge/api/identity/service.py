"""Identity rules: registration, the status lifecycle, preferences, admin access."""

from __future__ import annotations

from collections.abc import Sequence

from concierge.api.identity.repository import UserRepository
from concierge.common.errors import Conflict, Forbidden, NotFound
from concierge.contracts.identity import UserRegister, UserRole, UserStatus, UserUpdate
from concierge.domain.identity.models import User

# new → onboarding → training → trained → active → churned; a churned user who
# comes back is active again. Anything else is refused.
ALLOWED_TRANSITIONS: dict[UserStatus, frozenset[UserStatus]] = {
    UserStatus.NEW: frozenset({UserStatus.ONBOARDING}),
    UserStatus.ONBOARDING: frozenset({UserStatus.TRAINING}),
    UserStatus.TRAINING: frozenset({UserStatus.TRAINED}),
    UserStatus.TRAINED: frozenset({UserStatus.ACTIVE}),
    UserStatus.ACTIVE: frozenset({UserStatus.CHURNED}),
    UserStatus.CHURNED: frozenset({UserStatus.ACTIVE}),
}


def can_transition(current: UserStatus, target: UserStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


class IdentityService:
    def __init__(self, users: UserRepository, admin_telegram_ids: frozenset[int]) -> None:
        self.users = users
        self.admin_telegram_ids = admin_telegram_ids

    async def register(self, data: UserRegister) -> User:
        """Create the user on first contact; later calls refresh the profile. Idempotent."""
        role = UserRole.ADMIN if data.telegram_id in self.admin_telegram_ids else None
        user, created = await self.users.upsert(data, role)
        if created:
            await self.users.log(user, "registered", {"role": user.role})
        return user

    async def get(self, telegram_id: int) -> User:
        user = await self.users.get_by_telegram_id(telegram_id)
        if user is None:
            raise NotFound(f"User {telegram_id} is not registered")
        return user

    async def change_status(self, telegram_id: int, target: UserStatus) -> User:
        user = await self.get(telegram_id)
        current = UserStatus(user.status)
        if current == target:
            return user  # repeating a change is harmless, so retries are safe
        if not can_transition(current, target):
            raise Conflict(f"Illegal status transition: {current} → {target}")
        user.status = target
        await self.users.log(user, "status_changed", {"from": current, "to": target})
        return user

    async def update(self, telegram_id: int, update: UserUpdate) -> User:
        user = await self.get(telegram_id)
        if "language" in update.model_fields_set and update.language != user.language:
            await self.users.log(
                user, "language_changed", {"from": user.language, "to": update.language}
            )
            user.language = update.language
        await self.users.flush()
        return user

    async def require_admin(self, telegram_id: int) -> User:
        user = await self.users.get_by_telegram_id(telegram_id)
        if user is None or user.role != UserRole.ADMIN:
            raise Forbidden("This action needs an admin")
        return user

    async def list_users(
        self, *, role: UserRole | None, status: UserStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        return await self.users.list_filtered(role=role, status=status, limit=limit, offset=offset)
