from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from concierge.common.settings import DatabaseSettingsMixin, ServiceSettings, shared


class ApiSettings(DatabaseSettingsMixin, ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="API_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8000
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), description="Telegram ids that get the admin role on registration"
    )
    migrate_on_start: bool = False
    worker_url: str = Field(
        "http://127.0.0.1:8002",
        validation_alias=shared("WORKER_URL"),
        description="Where the api finds the worker (query embeddings)",
    )

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value
