"""The Avito gateway's settings, read from ``AVITO_*`` variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from concierge.common.settings import RedisSettingsMixin, ServiceSettings, shared

WEBHOOK_PREFIX = "/avito/webhook"


class AvitoSettings(RedisSettingsMixin, ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="AVITO_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8004
    api_url: str = Field("http://127.0.0.1:8000", validation_alias=shared("API_URL"))
    base_url: str = Field(
        "https://api.avito.ru", description="Avito's API (the sandbox's /avito in make dev)"
    )
    public_url: str = Field(
        "http://127.0.0.1:8004",
        description="Where Avito reaches this gateway (nginx serves /avito/); the webhook "
        "URL subscribed for each account is <public_url>/avito/webhook/<token>",
    )
    webhook_secret: SecretStr = Field(
        SecretStr("dev-webhook-secret"),
        description="Keys the per-account webhook tokens (HMAC); changing it changes every "
        "account's webhook URL (subscribe again)",
    )
    event_stream: str = "avito:events"
    consumer_name: str = "avito"
    dedup_ttl_s: int = 48 * 3600
    # A token is refreshed this long before Avito says it expires.
    token_refresh_margin_s: int = Field(600, ge=0, le=43_200)
    request_timeout_s: float = Field(10.0, gt=0, le=120)
    attempts: int = Field(4, ge=1, le=10)
    max_backoff_s: float = Field(30.0, gt=0, le=600)
    forward_batch: int = Field(100, ge=1, le=100)
