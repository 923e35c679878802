"""A real token without a public URL: the bot polls getUpdates instead of a webhook.

The sandbox stands in for api.telegram.org (BOT_API_SERVER_URL), as a self-hosted
Bot API server would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from concierge.embedded import ServiceProcess, free_port
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

POLLING_TOKEN = "7000000002:PollingBotTokenForTheEndToEndTests0"
POLLING_BOT_ID = 7000000002


@pytest.fixture(scope="module")
def polling_bot(stack: Stack, scratch: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    env = {
        **stack.env(),
        "TELEGRAM_BOT_TOKEN": POLLING_TOKEN,
        "BOT_API_SERVER_URL": stack.url("sandbox"),
        "BOT_PORT": str(port),
        "BOT_PUBLIC_URL": "",
    }
    bot = ServiceProcess("bot", port, env, scratch / "e2e-logs" / "polling-bot.log").start()
    yield bot
    bot.stop()


class TestPolling:
    async def test_the_polling_bot_answers(self, stack: Stack, polling_bot: ServiceProcess) -> None:
        async with SandboxUser.connect(stack.url("sandbox"), 830_001, POLLING_BOT_ID) as user:
            await user.send("/start", language_code="en")
            welcome = await user.wait_for_reply()
        assert "Hello" in welcome["text"]

    async def test_no_webhook_is_set(self, stack: Stack, polling_bot: ServiceProcess) -> None:
        async with SandboxUser.connect(stack.url("sandbox"), 830_002, POLLING_BOT_ID) as user:
            info = await user.http.get(f"/bot{POLLING_TOKEN}/getWebhookInfo")
        assert info.json()["result"]["url"] == ""
