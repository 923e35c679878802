"""An api restart loses no reply: updates whose handlers cannot reach api are retried
with backoff while it is away (other chats go on meanwhile), and answered for real when
it is back."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.conftest import BOT_ID
from tests.e2e.figures import Publish
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

API_AWAY_S = 60
APOLOGY = "Something went wrong"


class TestApiAway:
    async def test_users_who_wrote_while_api_was_away_get_real_answers(
        self, stack: Stack, figure: Publish
    ) -> None:
        url = stack.url("sandbox")
        async with (
            SandboxUser.connect(url, 851_001, BOT_ID) as ann,
            SandboxUser.connect(url, 851_002, BOT_ID) as bob,
            SandboxUser.connect(url, 851_003, BOT_ID) as eve,
            SandboxUser.connect(url, 851_004, BOT_ID) as known,
        ):
            await known.send("/start", language_code="en")  # known to the bot before
            await known.wait_for_reply()

            stack.process("api").stop()
            stopped = time.monotonic()
            try:
                await ann.send("/start", language_code="en")  # registers through api
                await bob.send("/start", language_code="ru")
                await eve.send("/menu", language_code="en")  # reads her language from api
                # Meanwhile a user whose answer needs no api is not held back.
                await known.send("/help")
                help_reply = await known.wait_for_reply(2, timeout_s=10)
                assert "Help" in help_reply["text"]
                await asyncio.sleep(API_AWAY_S - (time.monotonic() - stopped))
                for person in (ann, bob, eve):
                    assert await person.bot_messages() == []  # nobody got an apology
            finally:
                stack.process("api").start()
            back = time.monotonic()

            answers = [await person.wait_for_reply(timeout_s=60) for person in (ann, bob, eve)]
            waited = time.monotonic() - back
            await asyncio.sleep(2)
            histories = [await person.bot_messages() for person in (ann, bob, eve)]

        assert "Hello, User851001" in answers[0]["text"]
        assert "Здравствуйте" in answers[1]["text"]
        assert "Main menu" in answers[2]["text"]
        assert [len(history) for history in histories] == [1, 1, 1]
        assert not any(APOLOGY in m["text"] for history in histories for m in history)
        figure(
            f"item 8: api away {API_AWAY_S} s while 3 users wrote: {len(answers)} of 3 got the "
            f"right answer, 0 apologies, the last {waited:.1f} s after api was back"
        )
