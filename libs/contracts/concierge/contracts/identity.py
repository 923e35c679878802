"""Identity models shared by ``api`` (which serves them) and its callers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from concierge.contracts.ids import JsonInt
from concierge.contracts.text import SINGLE_LINE


class UserStatus(StrEnum):
    NEW = "new"
    ONBOARDING = "onboarding"
    TRAINING = "training"
    TRAINED = "trained"
    ACTIVE = "active"
    CHURNED = "churned"


class UserRole(StrEnum):
    USER = "user"
    ADMIN = "admin"


class Language(StrEnum):
    RU = "ru"
    EN = "en"


TelegramId = Annotated[JsonInt, Field(gt=0, lt=2**52, description="Telegram user id")]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SINGLE_LINE
]
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]{1,32}$")]
LanguageCode = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
]


class UserRegister(BaseModel):
    """What Telegram tells us about a user; registering again updates these fields."""

    model_config = ConfigDict(extra="forbid")

    telegram_id: TelegramId
    username: Username | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    language_code: LanguageCode | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language | None = None


class UserStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: UserStatus


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    last_name: str | None
    language_code: str | None
    language: Language | None
    role: UserRole
    status: UserStatus
    created_at: datetime
    last_seen_at: datetime
    blocked_at: datetime | None = None

    @property
    def display_language(self) -> Language:
        """The language to talk to this user in: chosen, else Telegram's, else English."""
        if self.language:
            return self.language
        return language_from_code(self.language_code)


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    limit: int
    offset: int


def language_from_code(language_code: str | None) -> Language:
    if language_code and language_code.lower().startswith("ru"):
        return Language.RU
    return Language.EN
