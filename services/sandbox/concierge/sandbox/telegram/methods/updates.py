"""getUpdates (long polling) and the webhook methods."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from concierge.sandbox.telegram.errors import (
    POLL_TERMINATED,
    WEBHOOK_ACTIVE,
    bad_request,
    conflict,
)
from concierge.sandbox.telegram.methods.context import BotCall, Handler
from concierge.sandbox.telegram.models import Update, WebhookConfig

MAX_POLL_TIMEOUT_S = 50
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]*$")


def _clamp(value: int | None, default: int, low: int, high: int) -> int:
    return default if value is None else min(max(value, low), high)


def _read_allowed_updates(call: BotCall) -> None:
    """``allowed_updates`` replaces the bot's choice when given, as in Telegram."""
    if "allowed_updates" not in call.params:
        return
    allowed = call.params.json("allowed_updates", "allowed updates")
    if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
        raise bad_request("can't parse allowed updates JSON object")
    call.bot.allowed_updates = allowed


def _confirm(call: BotCall, offset: int) -> None:
    if offset < 0:
        call.bot.updates.keep_last(-offset)
    elif offset > 0:
        call.bot.updates.confirm_before(offset)


async def get_updates(call: BotCall) -> list[dict[str, Any]]:
    bot = call.bot
    if bot.webhook is not None:
        raise conflict(WEBHOOK_ACTIVE)
    offset = call.params.integer("offset") or 0
    limit = _clamp(call.params.integer("limit"), 100, 1, 100)
    timeout = _clamp(call.params.integer("timeout"), 0, 0, MAX_POLL_TIMEOUT_S)
    _read_allowed_updates(call)
    _confirm(call, offset)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.updates.changed.notify()  # an older poll still waiting ends with 409
    found = await _wait_for_updates(call, max(offset, 0), limit, timeout, generation)
    return [update.to_json() for update in found]


async def _wait_for_updates(
    call: BotCall, offset: int, limit: int, wait_s: int, generation: int
) -> list[Update]:
    bot = call.bot
    deadline = time.monotonic() + wait_s
    while True:
        found = bot.updates.from_offset(offset, limit)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0 or bot.closed:
            return found
        await bot.updates.changed.wait(remaining)
        if bot.poll_generation != generation:
            raise conflict(POLL_TERMINATED)
        if bot.webhook is not None:
            raise conflict(WEBHOOK_ACTIVE)


def _webhook_url(raw: str) -> str:
    # Like a local Bot API server, plain HTTP on any port is fine.
    try:
        parts = urlsplit(raw)
        has_host = bool(parts.hostname)
        _ = parts.port
    except ValueError:
        raise bad_request("bad webhook: invalid webhook URL specified") from None
    if parts.scheme.lower() not in ("http", "https") or not has_host:
        raise bad_request("bad webhook: invalid webhook URL specified")
    return raw


def _secret_token(call: BotCall) -> str | None:
    secret = call.params.text("secret_token")
    if not secret:
        return None
    if len(secret) > 256:
        raise bad_request("secret token is too long")
    if not SECRET_PATTERN.match(secret):
        raise bad_request("secret token contains unallowed characters")
    return secret


async def set_webhook(call: BotCall) -> bool:
    bot = call.bot
    url = (call.params.text("url") or "").strip()
    if not url:
        return await delete_webhook(call)
    url = _webhook_url(url)
    secret = _secret_token(call)
    max_connections = _clamp(call.params.integer("max_connections"), 40, 1, 100)
    _read_allowed_updates(call)
    if call.params.boolean("drop_pending_updates"):
        bot.updates.clear()
    if bot.webhook is None or bot.webhook.url != url:
        bot.last_webhook_error = None
    bot.webhook_version += 1
    bot.webhook = WebhookConfig(url, secret, max_connections, bot.webhook_version)
    bot.updates.changed.notify()
    call.state.webhooks.start(bot)
    return True


async def delete_webhook(call: BotCall) -> bool:
    bot = call.bot
    if call.params.boolean("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = None
    bot.updates.changed.notify()
    return True


async def get_webhook_info(call: BotCall) -> dict[str, Any]:
    bot = call.bot
    webhook = bot.webhook
    info: dict[str, Any] = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if webhook is not None:
        info["ip_address"] = "127.0.0.1"
    if bot.last_webhook_error is not None:
        info["last_error_date"], info["last_error_message"] = bot.last_webhook_error
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
    if bot.allowed_updates:
        info["allowed_updates"] = bot.allowed_updates
    return info


HANDLERS: dict[str, Handler] = {
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
