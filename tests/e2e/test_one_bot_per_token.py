"""One bot process per token: a second one for the same token (and the same Redis)
refuses to start with a clear error, and the first goes on; a bot killed with -9 is
replaced at once by its successor on the same machine."""

from __future__ import annotations

import time
from pathlib import Path

from concierge.embedded import ServiceProcess, free_port
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

REFUSED_WITHIN_S = 30.0  # the holder's lock lives 10 s; a stray second process waits it out


def second_bot(stack: Stack, log: Path) -> ServiceProcess:
    port = free_port()
    env = {**stack.env(), "BOT_PORT": str(port)}
    return ServiceProcess("bot", port, env, log)


class TestSecondBot:
    async def test_a_second_bot_for_the_same_token_refuses_to_start(
        self, stack: Stack, user: SandboxUser, scratch: Path
    ) -> None:
        log = scratch / "e2e-logs" / "second-bot.log"
        second = second_bot(stack, log)
        second.start(wait=False)
        assert second.process is not None
        started = time.monotonic()
        try:
            code = second.process.wait(REFUSED_WITHIN_S)
        finally:
            second.stop()
        assert code != 0
        assert time.monotonic() - started < REFUSED_WITHIN_S
        text = log.read_text(errors="replace")
        assert "another bot process is running for bot 7000000001" in text

        await user.send("/help", language_code="en")  # the first bot still serves
        assert "Help" in (await user.wait_for_reply())["text"]
