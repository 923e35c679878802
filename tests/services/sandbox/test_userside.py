"""The user side and the controls: messages, button presses, history, blocking, faults,
bulk users, groups, statistics, Mini App launch data, reset."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from urllib.parse import parse_qsl, unquote

import orjson
import pytest

USER = 42
KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "answer:yes"}]]}


async def updates(sandbox):
    return await sandbox.ok("getUpdates")


class TestUserMessages:
    async def test_first_contact_creates_user_and_chat(self, sandbox):
        sent = await sandbox.user_says(
            USER, "hello", first_name="Ann", username="ann", language_code="ru"
        )
        assert (sent["message_id"], sent["text"]) == (1, "hello")
        assert sent["from"] == {
            "id": USER,
            "is_bot": False,
            "first_name": "Ann",
            "username": "ann",
            "language_code": "ru",
        }
        assert sent["chat"] == {
            "id": USER,
            "first_name": "Ann",
            "username": "ann",
            "type": "private",
        }
        (update,) = await updates(sandbox)
        assert update["update_id"] == sent["update_id"]
        assert update["message"]["text"] == "hello"

    async def test_start_payload_gets_a_bot_command_entity(self, sandbox):
        sent = await sandbox.user_says(USER, "/start ref_abc")
        assert sent["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]

    async def test_update_ids_are_sequential_per_bot(self, sandbox):
        ids = [(await sandbox.user_says(user, "x"))["update_id"] for user in (1, 2, 3)]
        assert ids == [ids[0], ids[0] + 1, ids[0] + 2]

    async def test_a_restarted_sandbox_does_not_number_updates_as_before(self, sandbox):
        """Like Telegram after a long pause, it starts from a random id: a bot that keeps
        the ids it has seen (for 48 h) must not take new updates for old ones."""
        before = []
        for _ in range(20):
            before.append((await sandbox.user_says(USER, "x"))["update_id"])
            await sandbox.http.post("/sandbox/reset", params={"bots": "true"})
        assert len(set(before)) == 20
        assert all(1 <= update_id < 2**31 for update_id in before)

    async def test_invalid_bodies(self, sandbox):
        assert (
            await sandbox.http.post("/sandbox/users/1/messages", json={"text": ""})
        ).status_code == 422
        response = await sandbox.http.post("/sandbox/users/0/messages", json={"text": "x"})
        assert response.status_code == 422
        response = await sandbox.http.post("/sandbox/users/1/messages", json={"text": "x" * 4097})
        assert response.status_code == 422

    async def test_without_bot_id_the_last_active_bot_hears_it(self, sandbox):
        other = "987654321:AAF_other-token-0123456789abcdefghij"
        await sandbox.call("getMe", token=other)
        assert (await sandbox.user_says(USER, "hi"))["bot_id"] == 987654321
        response = await sandbox.http.post(
            "/sandbox/users/42/messages", params={"bot_id": 123456789}, json={"text": "yo"}
        )
        assert response.json()["bot_id"] == 123456789
        response = await sandbox.http.get("/sandbox/chats/42/messages", params={"bot_id": 5})
        assert response.status_code == 404


class TestButtonPresses:
    async def keyboard_message(self, sandbox):
        await sandbox.user_says(USER, "/start")
        return await sandbox.ok("sendMessage", chat_id=USER, text="Sure?", reply_markup=KEYBOARD)

    async def test_press_creates_a_callback_query_update(self, sandbox):
        message = await self.keyboard_message(sandbox)
        press = await sandbox.press(USER, message["message_id"], "answer:yes")
        assert press.status_code == 200
        body = press.json()
        assert body["id"] == body["callback_query_id"]
        assert body["update_id"] == (await updates(sandbox))[0]["update_id"] + 1
        query = (await updates(sandbox))[-1]["callback_query"]
        assert query["id"] == body["id"]
        assert query["data"] == "answer:yes"
        assert query["from"]["id"] == USER
        assert query["message"]["message_id"] == message["message_id"]
        assert isinstance(query["chat_instance"], str)

    @pytest.mark.parametrize(
        ("message_id", "data"), [(99, "answer:yes"), (None, "answer:no"), (1, "answer:yes")]
    )
    async def test_only_existing_buttons_can_be_pressed(self, sandbox, message_id, data):
        message = await self.keyboard_message(sandbox)
        press = await sandbox.press(USER, message_id or message["message_id"], data)
        assert press.status_code == 400
        assert press.json()["status_code"] == 400

    async def test_unknown_user_cannot_press(self, sandbox):
        message = await self.keyboard_message(sandbox)
        assert (await sandbox.press(7, message["message_id"], "answer:yes")).status_code == 400

    async def test_callback_status(self, sandbox):
        message = await self.keyboard_message(sandbox)
        query_id = (await sandbox.press(USER, message["message_id"], "answer:yes")).json()["id"]
        status = (await sandbox.http.get(f"/sandbox/callbacks/{query_id}")).json()
        assert (status["answered"], status["data"], status["message_id"]) == (
            False,
            "answer:yes",
            message["message_id"],
        )
        await sandbox.ok(
            "answerCallbackQuery", callback_query_id=query_id, text="Saved", show_alert=True
        )
        status = (await sandbox.http.get(f"/sandbox/callbacks/{query_id}")).json()
        assert (status["answered"], status["text"], status["show_alert"]) == (True, "Saved", True)
        assert (await sandbox.http.get("/sandbox/callbacks/nope")).status_code == 404


class TestHistory:
    async def test_shape_order_edits_and_deletes(self, sandbox):
        await sandbox.user_says(USER, "hi")
        first = await sandbox.ok("sendMessage", chat_id=USER, text="one", reply_markup=KEYBOARD)
        second = await sandbox.ok("sendMessage", chat_id=USER, text="two")
        await sandbox.ok(
            "editMessageText", chat_id=USER, message_id=first["message_id"], text="uno"
        )
        await sandbox.ok("deleteMessage", chat_id=USER, message_id=second["message_id"])
        history = await sandbox.history(USER)
        assert [
            {key: row[key] for key in ("message_id", "from", "text", "reply_markup")}
            for row in history
        ] == [
            {"message_id": 1, "from": "user", "text": "hi", "reply_markup": None},
            {"message_id": 2, "from": "bot", "text": "uno", "reply_markup": None},
        ]
        assert {"message_id", "from", "text", "reply_markup", "date", "edit_date"} <= history[
            0
        ].keys()
        assert history[0]["edit_date"] is None
        assert isinstance(history[1]["edit_date"], int)

    async def test_unknown_chat(self, sandbox):
        assert (await sandbox.http.get("/sandbox/chats/555/messages")).status_code == 404


class TestBlocking:
    async def test_block_and_unblock_tell_the_bot(self, sandbox):
        await sandbox.user_says(USER, "hi")
        assert (await sandbox.http.post(f"/sandbox/users/{USER}/block")).json()["blocked"] is True
        status, _ = await sandbox.error("sendMessage", chat_id=USER, text="x")
        assert status == 403
        await sandbox.http.post(f"/sandbox/users/{USER}/unblock")
        await sandbox.ok("sendMessage", chat_id=USER, text="back")
        member_updates = [
            u["my_chat_member"] for u in await updates(sandbox) if "my_chat_member" in u
        ]
        assert [u["new_chat_member"]["status"] for u in member_updates] == ["kicked", "member"]

    async def test_writing_again_unblocks(self, sandbox):
        await sandbox.user_says(USER, "hi")
        await sandbox.http.post(f"/sandbox/users/{USER}/block")
        await sandbox.user_says(USER, "/start")
        await sandbox.ok("sendMessage", chat_id=USER, text="welcome back")

    async def test_unknown_user(self, sandbox):
        assert (await sandbox.http.post("/sandbox/users/9/block")).status_code == 404


class TestBulkUsersAndGroups:
    async def test_silent_users_can_be_messaged(self, sandbox):
        response = await sandbox.http.post(
            "/sandbox/users", json={"ids": list(range(1000, 1100)), "language_code": "de"}
        )
        assert response.json()["created"] == 100
        assert await updates(sandbox) == []
        message = await sandbox.ok("sendMessage", chat_id=1050, text="news")
        assert message["chat"]["first_name"] == "User 1050"

    async def test_group_chat(self, sandbox):
        response = await sandbox.http.post(
            "/sandbox/groups", json={"chat_id": -100123, "title": "Club"}
        )
        assert response.json() == {"id": -100123, "title": "Club", "type": "supergroup"}
        message = await sandbox.ok("sendMessage", chat_id=-100123, text="hello all")
        assert message["chat"]["type"] == "supergroup"
        await sandbox.user_says(USER, "hi group", chat_id=-100123)
        assert [row["text"] for row in await sandbox.history(-100123)] == ["hello all", "hi group"]
        bad = await sandbox.http.post("/sandbox/groups", json={"chat_id": 5, "title": "No"})
        assert bad.status_code == 422


class TestFaults:
    async def test_injected_429_then_success(self, sandbox):
        await sandbox.user_says(USER, "hi")
        fault = await sandbox.http.post(
            "/sandbox/faults",
            json={"chat_id": USER, "method": "sendMessage", "error_code": 429, "retry_after": 5},
        )
        assert fault.status_code == 200
        status, body = await sandbox.error("sendMessage", chat_id=USER, text="x")
        assert (status, body["parameters"]) == (429, {"retry_after": 5})
        assert body["description"] == "Too Many Requests: retry after 5"
        await sandbox.ok("sendMessage", chat_id=USER, text="x")
        assert (await sandbox.stats())["too_many_requests"]["injected"] == 1

    async def test_matching_by_method_and_chat_and_times(self, sandbox):
        await sandbox.user_says(USER, "hi")
        await sandbox.user_says(7, "hi")
        await sandbox.http.post(
            "/sandbox/faults",
            json={"chat_id": USER, "error_code": 403, "times": 2, "description": "Forbidden: x"},
        )
        await sandbox.ok("sendMessage", chat_id=7, text="other chat")
        await sandbox.ok("getMe")
        for _ in range(2):
            status, body = await sandbox.error("sendChatAction", chat_id=USER, action="typing")
            assert (status, body["description"]) == (403, "Forbidden: x")
        await sandbox.ok("sendChatAction", chat_id=USER, action="typing")

    async def test_list_and_clear(self, sandbox):
        await sandbox.http.post("/sandbox/faults", json={"error_code": 500, "method": "getMe"})
        assert len((await sandbox.http.get("/sandbox/faults")).json()) == 1
        await sandbox.http.delete("/sandbox/faults")
        await sandbox.ok("getMe")

    async def test_an_outage_fails_every_call_for_its_seconds(self, sandbox):
        await sandbox.user_says(USER, "hi")
        fault = {"error_code": 502, "seconds": 0.6}
        assert (await sandbox.http.post("/sandbox/faults", json=fault)).status_code == 200
        for method, params in [("getMe", {}), ("sendMessage", {"chat_id": USER, "text": "x"})] * 3:
            status, body = await sandbox.error(method, **params)
            assert (status, body["description"]) == (502, "Bad Gateway")
        listed = (await sandbox.http.get("/sandbox/faults")).json()
        assert listed[0]["times_left"] is None
        assert 0 < listed[0]["seconds_left"] <= 0.6
        await asyncio.sleep(0.7)
        await sandbox.ok("sendMessage", chat_id=USER, text="after the outage")
        assert (await sandbox.http.get("/sandbox/faults")).json() == []
        stats = await sandbox.stats()
        assert stats["faults"] == {"502": 6}
        assert stats["calls"]["sendMessage"] == 4

    async def test_a_delay_without_an_error_makes_the_call_slow(self, sandbox):
        await sandbox.user_says(USER, "hi")
        fault = {"delay_s": 0.5, "method": "sendMessage", "chat_id": USER}
        assert (await sandbox.http.post("/sandbox/faults", json=fault)).status_code == 200
        started = time.monotonic()
        await sandbox.ok("sendMessage", chat_id=USER, text="slow")
        assert time.monotonic() - started >= 0.5
        started = time.monotonic()
        await sandbox.ok("sendMessage", chat_id=USER, text="quick")
        assert time.monotonic() - started < 0.5

    async def test_a_fault_that_does_nothing_is_refused(self, sandbox):
        response = await sandbox.http.post("/sandbox/faults", json={"method": "getMe"})
        assert response.status_code == 422


class TestWebApp:
    async def test_init_data_is_signed_like_telegram(self, sandbox):
        await sandbox.user_says(USER, "hi", first_name="Ann", language_code="ru")
        response = await sandbox.http.get(
            f"/sandbox/users/{USER}/webapp", params={"url": "http://localhost:8080/app/"}
        )
        body = response.json()
        fields = dict(parse_qsl(body["init_data"]))
        check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
        secret = hmac.new(b"WebAppData", sandbox.token.encode(), hashlib.sha256).digest()
        assert hmac.new(secret, check.encode(), hashlib.sha256).hexdigest() == fields["hash"]
        user = orjson.loads(fields["user"])
        assert (user["id"], user["first_name"], user["language_code"]) == (USER, "Ann", "ru")
        assert abs(int(fields["auth_date"]) - time.time()) < 5
        assert fields["query_id"]
        prefix = "http://localhost:8080/app/#tgWebAppData="
        assert body["launch_url"].startswith(prefix)
        data, rest = body["launch_url"].removeprefix(prefix).split("&", 1)
        assert unquote(data) == body["init_data"]
        assert rest == "tgWebAppVersion=8.0&tgWebAppPlatform=web"

    async def test_a_user_the_sandbox_has_not_seen_gets_the_profile_asked_for(self, sandbox):
        """How make dev's demo data signs its users in to the api."""
        params = {"url": "http://localhost:8080/app/", "first_name": "Alice",
                  "last_name": "Liddell", "username": "alice", "language_code": "en"}  # fmt: skip
        response = await sandbox.http.get("/sandbox/users/424242/webapp", params=params)
        user = orjson.loads(dict(parse_qsl(response.json()["init_data"]))["user"])
        assert {k: user[k] for k in ("id", "first_name", "last_name", "username")} == {
            "id": 424242, "first_name": "Alice", "last_name": "Liddell", "username": "alice"
        }  # fmt: skip
        assert user["language_code"] == "en"

    async def test_a_bad_username_is_refused(self, sandbox):
        params = {"url": "http://localhost:8080/app/", "username": "no spaces"}
        response = await sandbox.http.get("/sandbox/users/424242/webapp", params=params)
        assert response.status_code == 422


class TestStatsResetAndBots:
    async def test_stats(self, sandbox):
        await sandbox.user_says(USER, "hi")
        for text in ("a", "b"):
            await sandbox.ok("sendMessage", chat_id=USER, text=text)
        stats = await sandbox.stats()
        assert stats["messages_sent"] == 2
        assert stats["max_per_second"][str(USER)] == 2
        assert stats["too_many_requests"]["total"] == 0
        assert stats["webhook"] == {"deliveries": 0, "failures": 0}

    async def test_reset_forgets_the_world_but_not_the_bots_setup(self, sandbox):
        await sandbox.ok("setWebhook", url="http://127.0.0.1:9/hook")
        await sandbox.ok("setMyCommands", commands=[{"command": "start", "description": "Go"}])
        first = await sandbox.user_says(USER, "hi")
        await sandbox.ok("sendMessage", chat_id=USER, text="hello")
        assert (await sandbox.http.post("/sandbox/reset")).json() == {"ok": True}
        status, body = await sandbox.error("sendMessage", chat_id=USER, text="x")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")
        assert (await sandbox.stats())["messages_sent"] == 0
        info = await sandbox.ok("getWebhookInfo")
        assert (info["url"], info["pending_update_count"]) == ("http://127.0.0.1:9/hook", 0)
        assert len(await sandbox.ok("getMyCommands")) == 1
        again = (await sandbox.user_says(USER, "again"))["update_id"]
        assert again == first["update_id"] + 1, "ids never repeat"

    async def test_full_reset_forgets_the_bots(self, sandbox):
        await sandbox.user_says(USER, "hi")
        await sandbox.http.post("/sandbox/reset", params={"bots": "true"})
        assert (await sandbox.http.get("/sandbox/stats")).json() == {"bots": {}}
        status, _ = await sandbox.error("sendMessage", chat_id=USER, text="x")
        assert status == 400

    async def test_bots_and_chat_info(self, sandbox):
        await sandbox.user_says(USER, "hi")
        (bot,) = (await sandbox.http.get("/sandbox/bots")).json()
        assert (bot["id"], bot["active"], bot["pending_update_count"]) == (123456789, True, 1)
        info = (await sandbox.http.get(f"/sandbox/chats/{USER}")).json()
        assert (info["blocked"], info["action"], info["menu_button"]) == (
            False,
            None,
            {"type": "commands"},
        )

    async def test_menu_button(self, sandbox):
        await sandbox.user_says(USER, "hi")
        button = {
            "type": "web_app",
            "text": "Open",
            "web_app": {"url": "http://localhost:8080/app/"},
        }
        assert await sandbox.ok("setChatMenuButton", menu_button=button) is True
        assert await sandbox.ok("getChatMenuButton", chat_id=USER) == button
        info = (await sandbox.http.get(f"/sandbox/chats/{USER}")).json()
        assert info["menu_button"] == button


class TestCommandsSeenByTheUser:
    async def test_language_and_scope_resolution(self, sandbox):
        await sandbox.user_says(USER, "hi", language_code="ru")
        general = [{"command": "start", "description": "Start"}]
        russian = [{"command": "start", "description": "Начать"}]
        private = [{"command": "menu", "description": "Menu"}]
        await sandbox.ok("setMyCommands", commands=general)
        assert (await sandbox.http.get(f"/sandbox/chats/{USER}")).json()["commands"] == general
        await sandbox.ok("setMyCommands", commands=russian, language_code="ru")
        assert (await sandbox.http.get(f"/sandbox/chats/{USER}")).json()["commands"] == russian
        await sandbox.ok("setMyCommands", commands=private, scope={"type": "all_private_chats"})
        assert (await sandbox.http.get(f"/sandbox/chats/{USER}")).json()["commands"] == private


class TestWebAppData:
    async def test_send_data_becomes_a_message(self, sandbox):
        await sandbox.user_says(USER, "hi")
        response = await sandbox.http.post(
            f"/sandbox/users/{USER}/webapp_data", json={"data": '{"a":1}', "button_text": "Form"}
        )
        assert response.json()["web_app_data"] == {"data": '{"a":1}', "button_text": "Form"}
        assert (await updates(sandbox))[-1]["message"]["web_app_data"]["data"] == '{"a":1}'


GROUP = -100777


class TestPrivacyMode:
    """In a group a bot is sent, by default, only what is meant for it (Telegram's privacy
    mode); BotFather's /setprivacy, here a control, makes it hear everything."""

    async def group(self, sandbox):
        me = await sandbox.ok("getMe")
        await sandbox.http.post("/sandbox/groups", json={"chat_id": GROUP, "title": "Flat hunt"})
        return me

    async def heard(self, sandbox):
        """The messages sent to the bot since the last look (acknowledged on the way)."""
        found = await updates(sandbox)
        if found:
            await sandbox.ok("getUpdates", offset=found[-1]["update_id"] + 1)
        return [update["message"]["text"] for update in found]

    async def test_by_default_only_commands_mentions_and_replies_arrive(self, sandbox):
        me = await self.group(sandbox)
        assert me["can_read_all_group_messages"] is False
        bot_said = await sandbox.ok("sendMessage", chat_id=GROUP, text="I am here")
        said = [
            "всем привет, кто сдаёт квартиру?",
            "/search квартира",
            f"/search@{me['username']} квартира",
            "/search@someone_elses_bot квартира",
            f"@{me['username'].upper()} ищу квартиру",
            "@someone_else ищу квартиру",
            "mail me at a@b.example",
        ]
        sent = [await sandbox.user_says(USER, line, chat_id=GROUP) for line in said]
        reply = await sandbox.user_says(
            USER, "a reply to the bot", chat_id=GROUP, reply_to_message_id=bot_said["message_id"]
        )
        await sandbox.user_says(
            USER, "a reply to a person", chat_id=GROUP, reply_to_message_id=sent[0]["message_id"]
        )
        assert await self.heard(sandbox) == [
            "/search квартира",
            f"/search@{me['username']} квартира",
            f"@{me['username'].upper()} ищу квартиру",
            "a reply to the bot",
        ]
        assert [s["update_id"] for s in sent] == [None, *[ANY_ID] * 2, None, ANY_ID, None, None]
        assert reply["update_id"] is not None
        history = [row["text"] for row in await sandbox.history(GROUP)]
        assert len(history) == 1 + len(said) + 2  # people still see every message

    async def test_with_privacy_off_every_group_message_arrives(self, sandbox):
        me = await self.group(sandbox)
        response = await sandbox.http.post(
            f"/sandbox/bots/{me['id']}/privacy", json={"enabled": False}
        )
        assert response.json() == {"bot_id": me["id"], "privacy_mode": False}
        assert (await sandbox.ok("getMe"))["can_read_all_group_messages"] is True
        await sandbox.user_says(USER, "всем привет, кто сдаёт квартиру?", chat_id=GROUP)
        await sandbox.user_says(USER, "/search@someone_elses_bot x", chat_id=GROUP)
        assert await self.heard(sandbox) == [
            "всем привет, кто сдаёт квартиру?",
            "/search@someone_elses_bot x",
        ]
        await sandbox.http.post(f"/sandbox/bots/{me['id']}/privacy", json={"enabled": True})
        await sandbox.user_says(USER, "and now?", chat_id=GROUP)
        assert await self.heard(sandbox) == []

    async def test_private_chats_are_not_affected(self, sandbox):
        await self.group(sandbox)
        await sandbox.user_says(USER, "just chatting")
        assert await self.heard(sandbox) == ["just chatting"]


class _AnyId:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, int)


ANY_ID = _AnyId()
