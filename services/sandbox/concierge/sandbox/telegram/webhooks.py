"""Webhook delivery, the way Telegram does it.

One sender per bot POSTs each update as JSON (with the secret header when one
is set). Updates are queued per chat: a chat's next update waits until the
previous one got a 2xx, while other chats go on in parallel, up to the
webhook's ``max_connections``. A non-2xx answer, a timeout or a dropped
connection puts the chat on hold: the wait doubles from the base to the cap,
or follows the receiver's ``Retry-After`` (clamped to an hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from http import HTTPStatus

import httpx
import orjson

from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram.bots import BotState
from concierge.sandbox.telegram.models import Update, WebhookConfig

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


class WebhookDispatcher:
    """Owns the HTTP client and one sender task per bot with a webhook."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None
        self._senders: dict[int, asyncio.Task[None]] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.webhook_timeout_s),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=200),
                trust_env=False,
            )
        return self._client

    def start(self, bot: BotState) -> None:
        """Make sure the bot's sender runs (it stops by itself once the webhook is gone)."""
        running = self._senders.get(bot.id)
        if running is None or running.done():
            sender = WebhookSender(bot, self.client, self.settings)
            self._senders[bot.id] = asyncio.create_task(sender.run(), name=f"webhook-{bot.id}")

    async def stop_all(self) -> None:
        senders = list(self._senders.values())
        self._senders.clear()
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)

    async def close(self) -> None:
        await self.stop_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class WebhookSender:
    def __init__(self, bot: BotState, client: httpx.AsyncClient, settings: SandboxSettings) -> None:
        self.bot = bot
        self.client = client
        self.settings = settings
        self.version = -1
        self.ready: dict[int, None] = {}
        self.in_flight: set[int] = set()
        self.hold_until: dict[int, float] = {}
        self.failures: dict[int, int] = {}
        self.deliveries: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        try:
            while not self.bot.closed and self.bot.webhook is not None:
                config = self.bot.webhook
                if config.version != self.version:
                    self._restart(config)
                self._collect()
                self._launch(config)
                await self.bot.updates.changed.wait(self._sleep_time())
        except asyncio.CancelledError:
            for task in self.deliveries:
                task.cancel()
            raise

    def _restart(self, config: WebhookConfig) -> None:
        """A new webhook: every chat with pending updates is ready to go now."""
        self.version = config.version
        self.hold_until.clear()
        self.failures.clear()
        self.bot.updates.drain_touched()
        self.ready = dict.fromkeys(self.bot.updates.chat_keys())

    def _collect(self) -> None:
        now = time.monotonic()
        for chat_key in self.bot.updates.drain_touched():
            if chat_key not in self.hold_until:
                self.ready[chat_key] = None
        for chat_key, until in list(self.hold_until.items()):
            if until <= now:
                del self.hold_until[chat_key]
                self.ready[chat_key] = None

    def _launch(self, config: WebhookConfig) -> None:
        while self.ready and len(self.in_flight) < config.max_connections:
            chat_key = next(iter(self.ready))
            del self.ready[chat_key]
            update = self.bot.updates.head(chat_key)
            if update is None or chat_key in self.in_flight:
                continue
            self.in_flight.add(chat_key)
            task = asyncio.create_task(self._deliver(chat_key, update, config))
            self.deliveries.add(task)
            task.add_done_callback(self.deliveries.discard)

    def _sleep_time(self) -> float | None:
        if not self.hold_until:
            return None
        return max(0.0, min(self.hold_until.values()) - time.monotonic())

    async def _deliver(self, chat_key: int, update: Update, config: WebhookConfig) -> None:
        try:
            error, retry_after = await self._post(update, config)
            if error is None:
                self._delivered(chat_key, update)
            else:
                self._failed(chat_key, error, retry_after)
        finally:
            self.in_flight.discard(chat_key)
            self.bot.updates.changed.notify()

    async def _post(self, update: Update, config: WebhookConfig) -> tuple[str | None, float | None]:
        """POST one update; (None, None) on a 2xx, else (error text, Retry-After)."""
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        try:
            response = await self.client.post(
                config.url, content=orjson.dumps(update.to_json()), headers=headers
            )
        except httpx.TimeoutException:
            return "Read timeout expired", None
        except httpx.ConnectError:
            return "Connection refused", None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return f"Connection reset by peer ({type(exc).__name__})", None
        if response.is_success:
            return None, None
        reason = _reason_phrase(response.status_code)
        return f"Wrong response from the webhook: {response.status_code} {reason}", _retry_after(
            response
        )

    def _delivered(self, chat_key: int, update: Update) -> None:
        self.bot.updates.acknowledge(update)
        self.bot.stats.webhook_deliveries += 1
        self.failures.pop(chat_key, None)
        if self.bot.updates.head(chat_key) is not None:
            self.ready[chat_key] = None

    def _failed(self, chat_key: int, error: str, retry_after: float | None) -> None:
        attempt = self.failures.get(chat_key, 0) + 1
        self.failures[chat_key] = attempt
        if retry_after is not None:
            delay = min(retry_after, self.settings.webhook_retry_after_cap_s)
        else:
            backoff = self.settings.webhook_retry_base_s * 2 ** (attempt - 1)
            delay = min(backoff, self.settings.webhook_retry_cap_s)
        self.hold_until[chat_key] = time.monotonic() + delay
        self.bot.stats.webhook_failures += 1
        self.bot.record_webhook_error(error)
        log.info(
            "webhook delivery failed, retrying in %.2fs",
            delay,
            extra={"bot_id": self.bot.id, "chat": chat_key, "error": error},
        )


def _reason_phrase(status: int) -> str:
    with contextlib.suppress(ValueError):
        return HTTPStatus(status).phrase
    return "Unknown"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
