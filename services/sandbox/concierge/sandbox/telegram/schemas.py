"""Request bodies of the sandbox's own routes (user side and controls)."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from concierge.sandbox.telegram.bots import UserProfile
from concierge.sandbox.telegram.text import MAX_TEXT_LENGTH


class UserProfileFields(BaseModel):
    first_name: str | None = Field(None, min_length=1, max_length=64)
    last_name: str | None = Field(None, max_length=64)
    username: str | None = Field(None, pattern=r"^[A-Za-z0-9_]{1,32}$")
    language_code: str | None = Field(None, max_length=35)

    def profile(self) -> UserProfile:
        return UserProfile(self.first_name, self.last_name, self.username, self.language_code)


class UserMessageIn(UserProfileFields):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    chat_id: int | None = None
    reply_to_message_id: int | None = None


class CallbackPressIn(BaseModel):
    message_id: int
    data: str = Field(min_length=1, max_length=256)
    chat_id: int | None = None


class WebAppDataIn(BaseModel):
    data: str = Field(min_length=1, max_length=4096)
    button_text: str = Field("", max_length=256)


class UsersIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=1_000_000)
    first_name: str | None = Field(None, min_length=1, max_length=64)
    language_code: str | None = Field(None, max_length=35)

    def profile(self) -> UserProfile:
        return UserProfile(first_name=self.first_name, language_code=self.language_code)


class GroupIn(BaseModel):
    chat_id: int = Field(lt=0)
    title: str = Field(min_length=1, max_length=128)


class PrivacyIn(BaseModel):
    enabled: bool


class FaultIn(BaseModel):
    error_code: int | None = Field(
        None, ge=400, le=599, description="The error to answer; none: the call is only slow"
    )
    chat_id: int | None = None
    method: str | None = Field(None, max_length=64)
    retry_after: int | None = Field(None, ge=1, le=86_400)
    times: int = Field(1, ge=1, le=1_000_000)
    seconds: float | None = Field(
        None, gt=0, le=86_400, description="Every matching call fails for this long (not times)"
    )
    delay_s: float = Field(0.0, ge=0, le=60, description="The answer comes this much later")
    description: str | None = Field(None, max_length=1024)
    bot_id: int | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Self:
        if self.error_code is None and self.delay_s == 0:
            raise ValueError("a fault needs an error_code, a delay_s or both")
        return self
