"""Settings shared by every service.

Each service declares one subclass with its own ``env_prefix``; the fields here are
read from unprefixed variables because every service shares them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["dev", "test", "prod"]

# Values that ship in .env.example and in code defaults. They are fine on a laptop
# and fatal anywhere else.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "change-me",
        "changeme",
        "dev-service-token",
        "dev-webhook-secret",
        "dev-jwt-secret-for-local-development-only",
        "secret",
    }
)


# The sandbox accepts any well-formed token; this one is used when no real token is set.
SANDBOX_BOT_TOKEN = "7000000001:SandboxTokenForLocalDevelopment0000"  # noqa: S105 (not a secret)


def shared(name: str) -> AliasChoices:
    """Read a field from an unprefixed variable shared by all services."""
    return AliasChoices(name)


class ServiceSettings(BaseSettings):
    """Fields every service reads. Subclasses set ``env_prefix``."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Environment = Field("dev", validation_alias=shared("CONCIERGE_ENV"))
    log_level: str = Field("INFO", validation_alias=shared("LOG_LEVEL"))
    log_json: bool = Field(True, validation_alias=shared("LOG_JSON"))
    service_token: SecretStr = Field(
        SecretStr("dev-service-token"), validation_alias=shared("SERVICE_TOKEN")
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        validation_alias=shared("FORWARDED_ALLOW_IPS"),
        description="Proxies (nginx) whose X-Forwarded-For is trusted for the client IP",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_048_576

    @property
    def is_dev(self) -> bool:
        return self.environment in ("dev", "test")

    def secret_fields(self) -> dict[str, SecretStr]:
        return {
            name: value for name, value in self.__dict__.items() if isinstance(value, SecretStr)
        }

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.is_dev:
            return self
        weak = [
            name
            for name, value in self.secret_fields().items()
            if value.get_secret_value() in PLACEHOLDER_SECRETS or len(value.get_secret_value()) < 16
        ]
        if weak:
            raise ValueError(
                f"refusing to start in {self.environment} mode with placeholder or short "
                f"secrets: {', '.join(sorted(weak))} (set them to 16+ random characters)"
            )
        return self


class DatabaseSettingsMixin(BaseSettings):
    database_url: str = Field(
        "postgresql+asyncpg://concierge:concierge@127.0.0.1:5432/concierge",
        validation_alias=shared("DATABASE_URL"),
    )
    database_pool_size: int = Field(5, validation_alias=shared("DATABASE_POOL_SIZE"))


class RedisSettingsMixin(BaseSettings):
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=shared("REDIS_URL"))


class StorageSettingsMixin(BaseSettings):
    """Where photos live, read from unprefixed STORAGE_* variables by api and worker alike
    (the api stores uploads and re-encoded images, the worker reads them for thumbnails).

    ``local``: files under ``storage_local_dir`` (make dev; the api serves them).
    ``s3``: a bucket on S3 or MinIO (compose).
    """

    storage_backend: Literal["local", "s3"] = Field(
        "local", validation_alias=shared("STORAGE_BACKEND")
    )
    storage_local_dir: str = Field(
        ".dev/uploads",
        validation_alias=shared("STORAGE_LOCAL_DIR"),
        description="The local backend's folder",
    )
    storage_s3_endpoint_url: str = Field(
        "",
        validation_alias=shared("STORAGE_S3_ENDPOINT_URL"),
        description="The S3 API as the services reach it (MinIO: http://minio:9000); empty: AWS",
    )
    storage_s3_public_url: str = Field(
        "",
        validation_alias=shared("STORAGE_S3_PUBLIC_URL"),
        description="The S3 API as browsers reach it (upload and image URLs); empty: the endpoint",
    )
    storage_s3_bucket: str = Field("concierge", validation_alias=shared("STORAGE_S3_BUCKET"))
    storage_s3_region: str = Field("us-east-1", validation_alias=shared("STORAGE_S3_REGION"))
    storage_s3_access_key: str = Field("", validation_alias=shared("STORAGE_S3_ACCESS_KEY"))
    storage_s3_secret_key: SecretStr | None = Field(
        None, validation_alias=shared("STORAGE_S3_SECRET_KEY")
    )

    @field_validator("storage_s3_secret_key", mode="before")
    @classmethod
    def _no_empty_s3_secret(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _s3_needs_credentials(self) -> StorageSettingsMixin:
        if self.storage_backend == "s3" and not (
            self.storage_s3_access_key and self.storage_s3_secret_key and self.storage_s3_bucket
        ):
            raise ValueError(
                "STORAGE_BACKEND=s3 needs STORAGE_S3_BUCKET, STORAGE_S3_ACCESS_KEY and "
                "STORAGE_S3_SECRET_KEY"
            )
        return self


class TelegramBotSettingsMixin(BaseSettings):
    """The bot's token (the bot talks with it, api checks Mini App launch data with it;
    empty means the sandbox's bot) and the Mini App both link to."""

    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias=shared("TELEGRAM_BOT_TOKEN")
    )
    webapp_url: str = Field(
        "http://127.0.0.1:8000/app/",
        validation_alias=shared("WEBAPP_URL"),
        description="The Mini App's public address (https:// for a real Telegram)",
    )

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_means_sandbox(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def uses_sandbox(self) -> bool:
        return self.telegram_bot_token is None

    @property
    def token(self) -> str:
        if self.telegram_bot_token is None:
            return SANDBOX_BOT_TOKEN
        return self.telegram_bot_token.get_secret_value()

    @property
    def webapp_buttons_url(self) -> str | None:
        """The Mini App's address for web_app buttons, or None when none can be opened:
        Telegram opens only https Mini Apps (the sandbox opens any)."""
        if self.uses_sandbox or self.webapp_url.lower().startswith("https://"):
            return self.webapp_url
        return None
