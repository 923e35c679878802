"""Identity rules: registration, the status lifecycle, preferences, admin access, and the
Mini App's sign-in (Telegram launch data in, a short-lived bearer token out)."""

from __future__ import annotations

from collections.abc import Sequence

from concierge.api.identity.repository import UserRepository
from concierge.api.identity.telegram_auth import (
    MAX_INIT_DATA_LENGTH,
    InvalidInitData,
    validate_init_data,
)
from concierge.api.identity.tokens import TokenIssuer
from concierge.common.errors import Conflict, Forbidden, NotFound, Unauthorized
from concierge.contracts.identity import (
    UserRead,
    UserRegister,
    UserRole,
    UserStatus,
    UserUpdate,
)
from concierge.contracts.market import AuthTokenRead
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


INIT_DATA_SCHEME = "tma"


def init_data_of(authorization: str | None) -> str:
    """The launch data of ``Authorization: tma <initData>``."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != INIT_DATA_SCHEME or not value.strip():
        raise Unauthorized(
            f"Send Telegram's initData as 'Authorization: {INIT_DATA_SCHEME} <initData>'"
        )
    if len(value) > MAX_INIT_DATA_LENGTH:
        raise Unauthorized("initData is too long")
    return value.strip()


def registration_of(user: dict[str, object]) -> UserRegister:
    """What Telegram's launch data says about the user, cut to our field sizes."""

    def text(key: str, limit: int) -> str | None:
        value = user.get(key)
        return value[:limit] if isinstance(value, str) and value else None

    return UserRegister(
        telegram_id=int(str(user["id"])),
        username=text("username", 32),
        first_name=text("first_name", 64),
        last_name=text("last_name", 64),
        language_code=text("language_code", 35),
    )


class SignInService:
    """Re-sending initData (while it is fresh, 1 h) refreshes the token. The user is
    registered or updated from initData, as ``/start`` does in the bot."""

    def __init__(self, identity: IdentityService, bot_token: str, tokens: TokenIssuer) -> None:
        self.identity = identity
        self.bot_token = bot_token
        self.tokens = tokens

    async def sign_in(self, authorization: str | None) -> AuthTokenRead:
        try:
            launch = validate_init_data(init_data_of(authorization), self.bot_token)
            registration = registration_of(launch.user)
        except (InvalidInitData, ValueError) as exc:
            raise Unauthorized(f"Telegram launch data refused: {exc}") from exc
        user = await self.identity.register(registration)
        issued = self.tokens.issue(user.telegram_id)
        return AuthTokenRead(
            access_token=issued.access_token,
            expires_in=issued.expires_in,
            user=UserRead.model_validate(user),
        )
