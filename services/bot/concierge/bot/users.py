"""The bot's view of users: registration through api and each user's language.

The language is needed for every reply, so it is cached in Redis for an hour;
changing it through the bot refreshes the cache.
"""

from __future__ import annotations

import telegram
from redis.asyncio import Redis

from concierge.contracts.api_client import ApiClient
from concierge.contracts.identity import (
    Language,
    UserRead,
    UserRegister,
    UserRole,
    UserStatus,
    UserUpdate,
    language_from_code,
)

LANGUAGE_TTL_S = 3600
KNOWN_TTL_S = 86_400
ROLE_TTL_S = 3600


def registration_of(user: telegram.User) -> UserRegister:
    return UserRegister.model_validate(
        {
            "telegram_id": user.id,
            "username": user.username,
            "first_name": (user.first_name or "")[:64] or None,
            "last_name": (user.last_name or "")[:64] or None,
            "language_code": user.language_code,
        }
    )


class UserDirectory:
    def __init__(self, api: ApiClient, redis: Redis) -> None:
        self.api = api
        self.redis = redis

    async def register(self, user: telegram.User) -> UserRead:
        """Register (or refresh) the user; a new user moves on to onboarding."""
        record = await self.api.register_user(registration_of(user))
        if record.status == UserStatus.NEW:
            record = await self.api.change_status(user.id, UserStatus.ONBOARDING)
        await self._remember(user.id, record.display_language)
        await self.redis.set(self._role_key(user.id), record.role.value, ex=ROLE_TTL_S)
        await self.redis.set(self._known_key(user.id), "1", ex=KNOWN_TTL_S)
        return record

    async def ensure_registered(self, user: telegram.User) -> None:
        """Register the user unless the bot did lately (a button press may come from a
        user api has not met: one who never sent /start)."""
        if not await self.redis.exists(self._known_key(user.id)):
            await self.register(user)

    async def known_admin(self, telegram_id: int) -> bool:
        """Whether the bot knows the user as an admin without asking api (their role is
        kept for an hour after /start or a menu): for what must not wait for api."""
        return bool(await self.redis.get(self._role_key(telegram_id)) == UserRole.ADMIN)

    async def is_admin(self, telegram_id: int) -> bool:
        """Whether the user is an admin (kept for an hour: asked for every menu)."""
        cached = await self.redis.get(self._role_key(telegram_id))
        if cached is not None:
            return bool(cached == UserRole.ADMIN)
        record = await self.api.get_user(telegram_id)
        role = record.role if record is not None else UserRole.USER
        await self.redis.set(self._role_key(telegram_id), role.value, ex=ROLE_TTL_S)
        return role == UserRole.ADMIN

    async def language_of(self, user: telegram.User | None) -> Language:
        if user is None:
            return Language.EN
        cached = await self.redis.get(self._key(user.id))
        if cached in (Language.RU, Language.EN):
            return Language(cached)
        record = await self.api.get_user(user.id)
        language = record.display_language if record else language_from_code(user.language_code)
        await self._remember(user.id, language)
        return language

    async def set_language(self, user: telegram.User, language: Language) -> None:
        if await self.api.get_user(user.id) is None:
            await self.register(user)
        await self.api.update_user(user.id, UserUpdate(language=language))
        await self._remember(user.id, language)

    async def set_blocked(self, chat_id: int, blocked: bool) -> None:
        """The user blocked the bot (or came back): api stops (or resumes) notifying them."""
        await self.api.set_chat_blocked(chat_id, blocked)

    async def _remember(self, telegram_id: int, language: Language) -> None:
        await self.redis.set(self._key(telegram_id), language.value, ex=LANGUAGE_TTL_S)

    @staticmethod
    def _key(telegram_id: int) -> str:
        return f"bot:lang:{telegram_id}"

    @staticmethod
    def _known_key(telegram_id: int) -> str:
        return f"bot:known:{telegram_id}"

    @staticmethod
    def _role_key(telegram_id: int) -> str:
        return f"bot:role:{telegram_id}"
