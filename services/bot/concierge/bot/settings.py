from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from concierge.common.settings import (
    SANDBOX_BOT_TOKEN,  # noqa: F401 (re-exported: tests and benches import it from here)
    RedisSettingsMixin,
    ServiceSettings,
    TelegramBotSettingsMixin,
    shared,
)

WEBHOOK_PATH = "/tg/webhook"


class UpdateSource(StrEnum):
    """Where updates come from."""

    WEBHOOK = "webhook"  # Telegram (or the sandbox) POSTs them to WEBHOOK_PATH
    POLLING = "polling"  # we fetch them with getUpdates


class BotSettings(TelegramBotSettingsMixin, RedisSettingsMixin, ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8001
    sandbox_url: str = Field("http://127.0.0.1:8010", validation_alias=shared("SANDBOX_URL"))
    api_server_url: str = Field(
        "https://api.telegram.org",
        description="Bot API server for a real token (a self-hosted telegram-bot-api works too)",
    )
    api_url: str = Field("http://127.0.0.1:8000", validation_alias=shared("API_URL"))
    public_url: str | None = Field(
        None, description="Public https base URL that Telegram can reach (nginx serves /tg/)"
    )
    webhook_url: str | None = Field(
        None, description="Where the sandbox delivers updates (sandbox mode only)"
    )
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    update_stream: str = Field("tg:updates", description="Prefix; the bot's id is appended")
    consumer_name: str = "bot"
    dedup_ttl_s: int = 48 * 3600
    # An update whose handler failed for a passing reason (api or Telegram away, a 429) is
    # tried again, with backoff up to handling_max_backoff_s, while it is younger than
    # update_lifetime_s (Telegram keeps an undelivered update for 24 h).
    update_lifetime_s: float = Field(86_400.0, ge=1, le=86_400)
    handling_max_backoff_s: float = Field(10.0, gt=0, le=3600)
    # Repeated presses of one button on one message within this window are handled once.
    tap_window_s: float = Field(2.0, ge=0.1, le=60)
    # One bot process per token: the lock in Redis lives this long without a refresh.
    instance_lock_ttl_s: float = Field(10.0, ge=1, le=600)

    # Telegram's limits, kept on our side (replies and notifications share them).
    # 28.8 rather than 29: an evenly spaced 28.8/s stays under 30 in every second even when
    # the far side stamps one request up to 40 ms late (a pause on Telegram's side).
    messages_per_second: float = Field(
        28.8, gt=0, le=1000, description="Messages the bot sends per second, all chats together"
    )
    private_chat_interval_s: float = Field(
        1.05, ge=0, le=3600, description="Seconds between notifications to one private chat"
    )
    group_chat_interval_s: float = Field(
        3.15, ge=0, le=3600, description="Seconds between notifications to one group (20/min)"
    )
    # The outbox relay (notifications from api).
    notify_enabled: bool = True
    notify_batch_size: int = Field(100, ge=1, le=500)
    notify_lease_s: float = Field(60.0, ge=2, le=3600)
    notify_poll_interval_s: float = Field(0.25, gt=0, le=60)
    notify_report_interval_s: float = Field(0.2, gt=0, le=60)
    # When Telegram (or the way to it) is down, the relay pauses every send: first for
    # this long, doubling after each failed probe up to the longest pause.
    notify_outage_first_pause_s: float = Field(1.0, gt=0, le=60)
    notify_outage_max_pause_s: float = Field(30.0, gt=0, le=3600)
    # Incoming flood control: more messages than this in the window get one "slow down".
    flood_limit: int = Field(20, ge=1, le=10_000)
    flood_window_s: float = Field(60.0, gt=0, le=86_400)

    @property
    def bot_api_base_url(self) -> str:
        server = self.sandbox_url if self.uses_sandbox else self.api_server_url
        return f"{server.rstrip('/')}/bot"

    @property
    def bot_api_file_url(self) -> str:
        return self.bot_api_base_url.replace("/bot", "/file/bot", 1)

    @property
    def update_source(self) -> UpdateSource:
        """A real token without a public URL can only poll; everything else gets a webhook."""
        if self.uses_sandbox or self.public_url:
            return UpdateSource.WEBHOOK
        return UpdateSource.POLLING

    @property
    def resolved_webhook_url(self) -> str:
        if not self.uses_sandbox and self.public_url:
            return f"{self.public_url.rstrip('/')}{WEBHOOK_PATH}"
        if self.webhook_url:
            return self.webhook_url
        return f"http://{self.host}:{self.port}{WEBHOOK_PATH}"
