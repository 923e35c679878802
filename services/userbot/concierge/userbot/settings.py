"""User-bot settings, read from ``USERBOT_*`` variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from concierge.common.settings import ServiceSettings, shared


class Backend(StrEnum):
    TELETHON = "telethon"  # Telegram itself, as the logged-in user account
    SANDBOX = "sandbox"  # the sandbox's MTProto stand-in (make dev, tests)


class UserbotSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="USERBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8003
    backend: Backend = Backend.SANDBOX
    sandbox_url: str = Field("http://127.0.0.1:8010", validation_alias=shared("SANDBOX_URL"))
    api_url: str = Field("http://127.0.0.1:8000", validation_alias=shared("API_URL"))
    # Telegram's application credentials (my.telegram.org) for the Telethon backend.
    api_id: int = 0
    api_hash: SecretStr | None = None
    # The session: a SQLite file on a volume (Telethon's SQLiteSession), never only a
    # string. The channel cache and the process lock live beside it.
    session_path: Path = Path(".dev/userbot/concierge.session")
    # Flood waits up to this long Telethon sleeps through itself; longer ones pause that
    # kind of request and are answered 503 flood_wait meanwhile.
    flood_sleep_threshold_s: int = Field(5, ge=0, le=3600)
    # Joins are spread out: at least this long between two.
    join_interval_s: float = Field(20.0, ge=0, le=3600)
    # Reading: messages per MTProto call (Telegram gives at most 100).
    read_chunk: int = Field(100, ge=1, le=100)

    @model_validator(mode="after")
    def _telethon_needs_credentials(self) -> UserbotSettings:
        if self.backend == Backend.TELETHON and not (
            self.api_id and self.api_hash and self.api_hash.get_secret_value()
        ):
            raise ValueError("USERBOT_BACKEND=telethon needs USERBOT_API_ID and USERBOT_API_HASH")
        return self

    @field_validator("api_hash", mode="before")
    @classmethod
    def _no_empty_hash(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def cache_path(self) -> Path:
        return self.session_path.with_name(self.session_path.name + ".channels.json")

    @property
    def lock_path(self) -> Path:
        return self.session_path.with_name(self.session_path.name + ".lock")

    @property
    def state_path(self) -> Path:
        return self.session_path.with_name(self.session_path.name + ".state.json")
