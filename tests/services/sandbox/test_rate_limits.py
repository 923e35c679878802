"""Telegram's limits over HTTP: 429 with retry_after, and the call succeeds after waiting."""

from __future__ import annotations

import asyncio

USER = 42


async def flood(sandbox, chat_id, count):
    """Send ``count`` messages as fast as possible; the responses in order."""
    return [await sandbox.call("sendMessage", chat_id=chat_id, text=f"m{i}") for i in range(count)]


class TestPrivateChat:
    async def test_burst_gets_429_then_succeeds_after_retry_after(self, sandbox):
        await sandbox.user_says(USER, "hi")
        responses = await flood(sandbox, USER, 4)
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        body = responses[-1].json()
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        await asyncio.sleep(body["parameters"]["retry_after"])
        await sandbox.ok("sendMessage", chat_id=USER, text="again")
        stats = await sandbox.stats()
        assert stats["too_many_requests"]["private_chat"] == 1
        assert stats["messages_sent"] == 4

    async def test_edits_count_but_answers_actions_and_deletes_do_not(self, sandbox):
        await sandbox.user_says(USER, "hi")
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        sent = await sandbox.ok("sendMessage", chat_id=USER, text="x", reply_markup=markup)
        query_id = (await sandbox.press(USER, sent["message_id"], "a")).json()["id"]
        await sandbox.ok(
            "editMessageText",
            chat_id=USER,
            message_id=sent["message_id"],
            text="y",
            reply_markup=markup,
        )
        await sandbox.ok("sendMessage", chat_id=USER, text="z")
        for _ in range(5):
            await sandbox.ok("sendChatAction", chat_id=USER, action="typing")
        await sandbox.ok("answerCallbackQuery", callback_query_id=query_id)
        await sandbox.ok("deleteMessage", chat_id=USER, message_id=1)
        status, _ = await sandbox.error(
            "editMessageReplyMarkup", chat_id=USER, message_id=sent["message_id"]
        )
        assert status == 429
        assert (await sandbox.stats())["edits"] == 1


class TestGlobalLimit:
    async def test_thirty_per_second_across_chats(self, sandbox):
        users = list(range(1, 32))
        await sandbox.http.post("/sandbox/users", json={"ids": users})
        responses = [await sandbox.call("sendMessage", chat_id=user, text="news") for user in users]
        assert [r.status_code for r in responses].count(200) == 30
        refused = responses[-1].json()
        assert refused["error_code"] == 429
        assert refused["parameters"]["retry_after"] == 1
        await asyncio.sleep(1)
        await sandbox.ok("sendMessage", chat_id=31, text="news")
        stats = await sandbox.stats()
        assert stats["too_many_requests"]["global"] == 1
        assert stats["max_per_second_overall"] == 30


class TestGroups:
    async def test_twenty_per_window(self, start_sandbox):
        sandbox = await start_sandbox(group_chat_window_s=1.5)
        await sandbox.http.post("/sandbox/groups", json={"chat_id": -500, "title": "G"})
        responses = await flood(sandbox, -500, 21)
        assert [r.status_code for r in responses].count(200) == 20
        refused = responses[-1].json()
        assert refused["error_code"] == 429
        assert 1 <= refused["parameters"]["retry_after"] <= 2
        await asyncio.sleep(refused["parameters"]["retry_after"])
        await sandbox.ok("sendMessage", chat_id=-500, text="later")
        assert (await sandbox.stats())["too_many_requests"]["group_chat"] == 1

    async def test_default_window_is_a_minute(self, sandbox):
        await sandbox.http.post("/sandbox/groups", json={"chat_id": -501, "title": "G"})
        responses = await flood(sandbox, -501, 21)
        assert responses[-1].json()["parameters"]["retry_after"] >= 59
