"""Webhook delivery to a real HTTP receiver: secret header, redelivery with backoff,
per-chat order, Retry-After, and what getWebhookInfo reports."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

SECRET = "s3cr3t_token-1"


@pytest.fixture
async def fast_sandbox(start_sandbox):
    return await start_sandbox(webhook_retry_base_s=0.1, webhook_retry_cap_s=0.4)


class TestDelivery:
    async def test_update_is_posted_with_the_secret_header(self, sandbox, receiver):
        await sandbox.ok("setWebhook", url=receiver.url, secret_token=SECRET)
        sent = await sandbox.user_says(42, "hello")
        (delivery,) = await receiver.wait_for(1)
        assert delivery.headers["x-telegram-bot-api-secret-token"] == SECRET
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.update["update_id"] == sent["update_id"]
        assert delivery.update["message"]["text"] == "hello"
        await asyncio.sleep(0.05)
        info = await sandbox.ok("getWebhookInfo")
        assert (info["url"], info["pending_update_count"], info["max_connections"]) == (
            receiver.url,
            0,
            40,
        )
        assert "last_error_date" not in info
        assert (await sandbox.stats())["webhook"]["deliveries"] == 1

    async def test_no_secret_no_header(self, sandbox, receiver):
        await sandbox.ok("setWebhook", url=receiver.url)
        await sandbox.user_says(42, "hello")
        (delivery,) = await receiver.wait_for(1)
        assert "x-telegram-bot-api-secret-token" not in delivery.headers

    async def test_updates_queued_before_the_webhook_are_delivered(self, sandbox, receiver):
        await sandbox.user_says(42, "early")
        await sandbox.ok("setWebhook", url=receiver.url)
        (delivery,) = await receiver.wait_for(1)
        assert delivery.text == "early"

    async def test_drop_pending_updates(self, sandbox, receiver):
        await sandbox.user_says(42, "old")
        await sandbox.ok("setWebhook", url=receiver.url, drop_pending_updates=True)
        await sandbox.user_says(42, "new")
        await receiver.wait_for(1)
        await asyncio.sleep(0.1)
        assert [d.text for d in receiver.deliveries] == ["new"]


class TestRedelivery:
    async def test_500_then_200_is_redelivered_with_backoff(self, fast_sandbox, receiver):
        answers = iter([500, 500, 200])

        async def respond(delivery):
            return next(answers), {}

        receiver.responder = respond
        await fast_sandbox.ok("setWebhook", url=receiver.url)
        sent = await fast_sandbox.user_says(42, "retry me")
        deliveries = await receiver.wait_for(3)
        assert {d.update_id for d in deliveries} == {sent["update_id"]}
        first_gap = deliveries[1].at - deliveries[0].at
        second_gap = deliveries[2].at - deliveries[1].at
        assert 0.09 < first_gap < 2, "waited the base backoff (0.1 s)"
        assert 0.19 < second_gap < 2, "then twice that"
        await asyncio.sleep(0.05)
        info = await fast_sandbox.ok("getWebhookInfo")
        assert (
            info["last_error_message"]
            == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert isinstance(info["last_error_date"], int)
        assert info["pending_update_count"] == 0
        stats = (await fast_sandbox.stats())["webhook"]
        assert stats == {"deliveries": 1, "failures": 2}

    async def test_retry_after_is_honoured(self, fast_sandbox, receiver):
        answers = iter([(429, {"Retry-After": "1"}), (200, {})])

        async def respond(delivery):
            return next(answers)

        receiver.responder = respond
        await fast_sandbox.ok("setWebhook", url=receiver.url)
        await fast_sandbox.user_says(42, "later")
        first, second = await receiver.wait_for(2, timeout=4)
        assert second.at - first.at >= 0.95, "waited as asked, not the 0.1 s backoff"

    async def test_retry_after_is_clamped(self, start_sandbox, receiver):
        sandbox = await start_sandbox(webhook_retry_after_cap_s=0.3)
        answers = iter([(503, {"Retry-After": "100000"}), (200, {})])

        async def respond(delivery):
            return next(answers)

        receiver.responder = respond
        await sandbox.ok("setWebhook", url=receiver.url)
        await sandbox.user_says(42, "clamped")
        first, second = await receiver.wait_for(2, timeout=3)
        assert 0.25 < second.at - first.at < 2

    async def test_dropped_connection(self, fast_sandbox):
        connections = 0

        async def hang_up(reader, writer):
            nonlocal connections
            connections += 1
            await reader.read(100)
            writer.close()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            await fast_sandbox.ok("setWebhook", url=f"http://127.0.0.1:{port}/hook")
            await fast_sandbox.user_says(42, "anyone?")
            await asyncio.sleep(0.5)
            info = await fast_sandbox.ok("getWebhookInfo")
            assert info["last_error_message"].startswith("Connection reset by peer")
            assert info["pending_update_count"] == 1
            assert connections >= 2, "the update was offered again"
        finally:
            await fast_sandbox.ok("deleteWebhook")
            server.close()
            await server.wait_closed()

    async def test_unreachable_receiver(self, fast_sandbox):
        await fast_sandbox.ok("setWebhook", url="http://127.0.0.1:9/hook")
        await fast_sandbox.user_says(42, "lost?")
        await asyncio.sleep(0.3)
        info = await fast_sandbox.ok("getWebhookInfo")
        assert info["last_error_message"] == "Connection refused"
        assert info["pending_update_count"] == 1
        await fast_sandbox.ok("deleteWebhook")
        assert [u["message"]["text"] for u in await fast_sandbox.ok("getUpdates")] == ["lost?"]

    async def test_timeout_counts_as_failure(self, start_sandbox, receiver):
        sandbox = await start_sandbox(webhook_timeout_s=0.2, webhook_retry_base_s=0.1)
        slow = asyncio.Event()

        async def respond(delivery):
            if not slow.is_set():
                slow.set()
                await asyncio.sleep(0.5)
            return 200, {}

        receiver.responder = respond
        await sandbox.ok("setWebhook", url=receiver.url)
        await sandbox.user_says(42, "slow")
        await receiver.wait_for(2)
        info = await sandbox.ok("getWebhookInfo")
        assert info["last_error_message"] == "Read timeout expired"


class TestPerChatOrder:
    async def test_a_failing_chat_waits_while_others_go_on(self, fast_sandbox, receiver):
        failures = Counter()

        async def respond(delivery):
            chat = delivery.update["message"]["chat"]["id"]
            if chat == 1 and failures[chat] < 3:
                failures[chat] += 1
                return 503, {}
            return 200, {}

        receiver.responder = respond
        await fast_sandbox.ok("setWebhook", url=receiver.url)
        for text in ("a1", "a2", "a3"):
            await fast_sandbox.user_says(1, text)
        for text in ("b1", "b2", "b3"):
            await fast_sandbox.user_says(2, text)
        await receiver.wait_for(9)
        succeeded = [d.text for d in receiver.deliveries if d.update["message"]["chat"]["id"] != 1]
        assert succeeded == ["b1", "b2", "b3"]
        chat_one = [d.text for d in receiver.deliveries if d.update["message"]["chat"]["id"] == 1]
        assert chat_one == ["a1", "a1", "a1", "a1", "a2", "a3"], "head-of-line: a2 waits for a1"
        order = [d.text for d in receiver.deliveries]
        assert order.index("b3") < order.index("a2"), "chat 2 was not held up by chat 1"

    async def test_one_chat_is_sequential_and_chats_are_parallel(self, sandbox, receiver):
        in_flight = Counter()
        peak = Counter()
        release = asyncio.Event()

        async def respond(delivery):
            chat = delivery.update["message"]["chat"]["id"]
            in_flight[chat] += 1
            in_flight["all"] += 1
            peak[chat] = max(peak[chat], in_flight[chat])
            peak["all"] = max(peak["all"], in_flight["all"])
            await release.wait()
            in_flight[chat] -= 1
            in_flight["all"] -= 1
            return 200, {}

        receiver.responder = respond
        await sandbox.ok("setWebhook", url=receiver.url, max_connections=2)
        for chat in (1, 2, 3):
            for n in range(2):
                await sandbox.user_says(chat, f"{chat}-{n}")
        await receiver.wait_for(2)
        await asyncio.sleep(0.1)
        assert len(receiver.deliveries) == 2, "max_connections caps parallel deliveries"
        release.set()
        deliveries = await receiver.wait_for(6)
        assert peak["all"] == 2
        assert all(peak[chat] == 1 for chat in (1, 2, 3))
        for chat in (1, 2, 3):
            assert [d.text for d in deliveries if d.text.startswith(f"{chat}-")] == [
                f"{chat}-0",
                f"{chat}-1",
            ]


class TestSetWebhook:
    async def test_validation_and_clamping(self, sandbox):
        _, body = await sandbox.error("setWebhook", url="ftp://x.org/hook")
        assert body["description"].startswith("Bad Request: bad webhook")
        _, body = await sandbox.error("setWebhook", url="http://x.org/h", secret_token="bad token!")
        assert body["description"] == "Bad Request: secret token contains unallowed characters"
        _, body = await sandbox.error("setWebhook", url="http://x.org/h", secret_token="a" * 257)
        assert body["description"] == "Bad Request: secret token is too long"
        await sandbox.ok("setWebhook", url="http://127.0.0.1:9/h", max_connections=1000)
        assert (await sandbox.ok("getWebhookInfo"))["max_connections"] == 100

    async def test_info_without_webhook(self, sandbox):
        assert await sandbox.ok("getWebhookInfo") == {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def test_empty_url_removes_the_webhook(self, sandbox):
        await sandbox.ok("setWebhook", url="http://127.0.0.1:9/h")
        await sandbox.ok("setWebhook", url="")
        assert (await sandbox.ok("getWebhookInfo"))["url"] == ""
