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
        return record

    async def is_admin(self, telegram_id: int) -> bool:
        record = await self.api.get_user(telegram_id)
        return record is not None and record.role == UserRole.ADMIN

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
