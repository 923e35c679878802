"""getUpdates: long polling, offsets, limits, allowed_updates and its conflicts."""

from __future__ import annotations

import asyncio
import time

USER = 42


class TestLongPolling:
    async def test_returns_as_soon_as_a_message_arrives(self, sandbox):
        started = time.monotonic()
        poll = asyncio.create_task(sandbox.ok("getUpdates", timeout=10))
        await asyncio.sleep(0.2)
        assert not poll.done()
        await sandbox.user_says(USER, "ping")
        updates = await asyncio.wait_for(poll, 2)
        assert time.monotonic() - started < 1.5
        assert [u["message"]["text"] for u in updates] == ["ping"]

    async def test_times_out_empty(self, sandbox):
        started = time.monotonic()
        assert await sandbox.ok("getUpdates", timeout=1) == []
        assert 0.9 < time.monotonic() - started < 2

    async def test_timeout_is_capped_at_fifty_seconds(self, sandbox):
        await sandbox.user_says(USER, "there already")
        assert len(await sandbox.ok("getUpdates", timeout=500)) == 1

    async def test_older_poll_is_terminated_by_a_newer_one(self, sandbox):
        older = asyncio.create_task(sandbox.call("getUpdates", timeout=10))
        await asyncio.sleep(0.2)
        newer = asyncio.create_task(sandbox.ok("getUpdates", timeout=10))
        response = await asyncio.wait_for(older, 2)
        assert response.status_code == 409
        assert response.json()["description"] == (
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running"
        )
        await sandbox.user_says(USER, "for the newer")
        assert len(await asyncio.wait_for(newer, 2)) == 1


class TestOffsets:
    async def test_offset_confirms_earlier_updates(self, sandbox):
        for text in ("a", "b", "c"):
            await sandbox.user_says(USER, text)
        updates = await sandbox.ok("getUpdates")
        first = updates[0]["update_id"]
        assert [u["update_id"] for u in updates] == [first, first + 1, first + 2]
        assert await sandbox.ok("getUpdates") == updates
        third = [first + 2]
        assert [u["update_id"] for u in await sandbox.ok("getUpdates", offset=first + 2)] == third
        assert [u["update_id"] for u in await sandbox.ok("getUpdates")] == third
        assert await sandbox.ok("getUpdates", offset=first + 3) == []
        assert (await sandbox.ok("getWebhookInfo"))["pending_update_count"] == 0

    async def test_negative_offset_keeps_the_last_ones(self, sandbox):
        ids = [(await sandbox.user_says(USER, text))["update_id"] for text in ("a", "b", "c")]
        assert [u["update_id"] for u in await sandbox.ok("getUpdates", offset=-2)] == ids[1:]
        assert [u["update_id"] for u in await sandbox.ok("getUpdates")] == ids[1:]

    async def test_limit(self, sandbox):
        for text in ("a", "b", "c"):
            await sandbox.user_says(USER, text)
        assert len(await sandbox.ok("getUpdates", limit=2)) == 2
        assert len(await sandbox.ok("getUpdates", limit=0)) == 1


class TestAllowedUpdates:
    async def test_unwanted_kinds_are_not_queued(self, sandbox):
        await sandbox.ok("getUpdates", allowed_updates=["message"])
        await sandbox.user_says(USER, "hi")
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        sent = await sandbox.ok("sendMessage", chat_id=USER, text="x", reply_markup=markup)
        press = await sandbox.press(USER, sent["message_id"], "a")
        assert press.json()["update_id"] is None
        assert [list(u)[1] for u in await sandbox.ok("getUpdates")] == ["message"]
        assert (await sandbox.ok("getWebhookInfo"))["allowed_updates"] == ["message"]


class TestWebhookConflict:
    async def test_get_updates_while_webhook_is_set(self, sandbox):
        await sandbox.ok("setWebhook", url="http://127.0.0.1:9/hook")
        status, body = await sandbox.error("getUpdates")
        assert status == 409
        assert body["description"] == (
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first"
        )
        await sandbox.ok("deleteWebhook")
        assert await sandbox.ok("getUpdates") == []

    async def test_setting_a_webhook_ends_a_waiting_poll(self, sandbox):
        poll = asyncio.create_task(sandbox.call("getUpdates", timeout=10))
        await asyncio.sleep(0.2)
        await sandbox.ok("setWebhook", url="http://127.0.0.1:9/hook")
        assert (await asyncio.wait_for(poll, 2)).status_code == 409
