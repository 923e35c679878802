"""Notifications end to end: api's outbox, the bot's relay, the sandbox's limits."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.contracts.api_client import ACTING_USER_HEADER
from tests.e2e.conftest import BOT_ID
from tests.e2e.outbox import (
    api_client,
    create_chats,
    eventually,
    notify,
    outbox_rows,
    sandbox_stats,
    statuses,
)
from tests.e2e.test_bot_flow import stored_user
from tests.support.sandbox import SandboxUser
from tests.support.stack import ADMIN_ID, Stack


class TestDelivery:
    async def test_a_notification_reaches_the_chat(
        self, stack: Stack, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        key = f"e2e:hello:{user.id}"
        async with api_client(stack) as api:
            created = await notify(api, user.id, key, "Your listing is live")
        assert created["status"] == "pending"
        message = await user.wait_for_reply()
        assert message["text"] == "Your listing is live"

        async def marked_sent() -> bool:
            return await statuses(e2e_db, key) == ["sent"]

        await eventually(marked_sent)

    async def test_a_repeated_key_is_sent_once(self, stack: Stack, user: SandboxUser) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        key = f"e2e:once:{user.id}"
        async with api_client(stack) as api:
            await notify(api, user.id, key)
            await notify(api, user.id, key)
        await user.wait_for_reply()
        await asyncio.sleep(1)
        assert len(await user.bot_messages()) == 1

    async def test_html_and_an_inline_keyboard(self, stack: Stack, user: SandboxUser) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        keyboard = {"inline_keyboard": [[{"text": "Open menu", "callback_data": "menu:home"}]]}
        async with api_client(stack) as api:
            await notify(
                api,
                user.id,
                f"e2e:html:{user.id}",
                "<b>New slot</b> at 10:00",
                parse_mode="HTML",
                reply_markup=keyboard,
            )
        message = await user.wait_for_reply()
        assert message["text"] == "New slot at 10:00"
        assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "menu:home"

    async def test_one_chat_gets_its_messages_in_order_a_second_apart(
        self, stack: Stack, user: SandboxUser
    ) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        before = await sandbox_stats(stack, BOT_ID)
        async with api_client(stack) as api:
            for n in range(4):
                await notify(api, user.id, f"e2e:order:{user.id}:{n}", f"message {n}")
        messages = await user.wait_for(lambda ms: len(ms) == 4, timeout_s=15)
        assert [m["text"] for m in messages] == [f"message {n}" for n in range(4)]
        after = await sandbox_stats(stack, BOT_ID)
        assert after["max_per_second"][str(user.id)] == 1  # never two within a second
        refused = after["too_many_requests"]["total"] - before["too_many_requests"]["total"]
        assert refused == 0


class TestRefusals:
    async def test_a_chat_telegram_does_not_know_is_dead_with_the_reason(
        self, stack: Stack, e2e_db: AsyncEngine
    ) -> None:
        async with api_client(stack) as api:
            await notify(api, 899_999_001, "e2e:nochat")

        async def dead() -> bool:
            return await statuses(e2e_db, "e2e:nochat") == ["dead"]

        await eventually(dead)
        (row,) = await outbox_rows(e2e_db, "e2e:nochat")
        assert "chat not found" in row["last_error"].lower()
        assert row["attempts"] == 0

    async def test_a_403_marks_the_user_and_skips_the_chat(
        self, stack: Stack, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        fault = {"error_code": 403, "chat_id": user.id, "method": "sendMessage", "bot_id": BOT_ID}
        (await user.http.post("/sandbox/faults", json=fault)).raise_for_status()
        prefix = f"e2e:forbidden:{user.id}"
        async with api_client(stack) as api:
            await api.post("/api/v1/users", json={"telegram_id": user.id})
            await notify(api, user.id, f"{prefix}:1")
            await notify(api, user.id, f"{prefix}:2")

        async def skipped() -> bool:
            return await statuses(e2e_db, prefix) == ["skipped", "skipped"]

        await eventually(skipped)
        assert (await stored_user(e2e_db, user.id) or {})["blocked_at"] is not None
        assert await user.bot_messages() == []

    async def test_blocking_the_bot_stops_notifications(
        self, stack: Stack, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        await user.send("/start")
        await user.wait_for_reply()
        (await user.http.post(f"/sandbox/users/{user.id}/block")).raise_for_status()

        async def blocked() -> bool:
            return (await stored_user(e2e_db, user.id) or {}).get("blocked_at") is not None

        await eventually(blocked)  # the bot heard my_chat_member and told api
        async with api_client(stack) as api:
            created = await notify(api, user.id, f"e2e:blocked:{user.id}")
        assert created["status"] == "skipped"
        await user.send("/help")  # writing again unblocks the bot

        async def unblocked() -> bool:
            return (await stored_user(e2e_db, user.id) or {}).get("blocked_at") is None

        await eventually(unblocked)


class TestBroadcast:
    async def test_an_admin_broadcast_reaches_its_audience(
        self, stack: Stack, e2e_db: AsyncEngine
    ) -> None:
        async with SandboxUser.connect(stack.url("sandbox"), ADMIN_ID, BOT_ID) as admin:
            await create_chats(stack, [ADMIN_ID], BOT_ID)
            async with api_client(stack) as api:
                await api.post("/api/v1/users", json={"telegram_id": ADMIN_ID})
                headers = {ACTING_USER_HEADER: str(ADMIN_ID)}
                body = {"text": "Maintenance tonight", "audience": {"role": "admin"}}
                created = await api.post("/api/v1/admin/broadcasts", json=body, headers=headers)
                assert created.status_code == 201, created.text
                broadcast = created.json()
                assert broadcast["total"] == 1
                # Other tests' notices to the admin (new listings to moderate) may come too.
                await admin.wait_for(lambda ms: any(m["text"] == "Maintenance tonight" for m in ms))

                async def done() -> bool:
                    progress = await api.get(
                        f"/api/v1/admin/broadcasts/{broadcast['id']}", headers=headers
                    )
                    return bool(progress.json()["done"])

                await eventually(done)
        async with e2e_db.connect() as conn:
            sent = await conn.scalar(
                text("SELECT count(*) FROM outbox WHERE broadcast_id = :id AND status = 'sent'"),
                {"id": broadcast["id"]},
            )
        assert sent == 1
