"""Sandbox settings, read from ``SANDBOX_*`` variables.

Every Telegram limit the sandbox enforces is a setting, so tests and benchmarks
can tighten or loosen it. A limit set to 0 is switched off.
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from concierge.common.settings import ServiceSettings

# The bot the user side talks to before any bot has called: the bot service's own
# sandbox token (concierge.bot.settings.SANDBOX_BOT_TOKEN), so both name the same bot.
DEFAULT_BOT_TOKEN = "7000000001:SandboxTokenForLocalDevelopment0000"  # noqa: S105


class SandboxSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SANDBOX_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8010
    # Telegram accepts 50 MB uploads; leave room for the multipart envelope.
    max_body_bytes: int = 52 * 1024 * 1024
    public_url: str = ""

    default_bot_token: str = DEFAULT_BOT_TOKEN
    bot_username: str = "concierge_sandbox_bot"
    bot_first_name: str = "Concierge"

    private_chat_burst: int = 3
    private_chat_per_second: float = 1.0
    group_chat_limit: int = 20
    group_chat_window_s: float = 60.0
    global_limit: int = 30
    global_window_s: float = 1.0

    webhook_retry_base_s: float = 1.0
    webhook_retry_cap_s: float = 60.0
    webhook_retry_after_cap_s: float = 3600.0
    webhook_timeout_s: float = 10.0

    callback_answer_window_s: float = 15.0

    # The media stand-ins: how long a torrent added to a stand-in seedbox takes to finish.
    media_torrent_seconds: float = 60.0

    # The Avito stand-in's access tokens live this long (Avito's own: a day).
    avito_token_ttl_s: int = 86_400

    @property
    def base_url(self) -> str:
        """Where people and other processes reach the sandbox."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"
