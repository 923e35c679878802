"""The Bot API methods over HTTP: shapes, parameters in every encoding, and errors."""

from __future__ import annotations

import asyncio

import orjson
import pytest

TOKEN_ID = 123456789
USER = 42


@pytest.fixture
async def chat(sandbox):
    """A private chat: user 42 has written to the bot."""
    await sandbox.user_says(USER, "/start", first_name="Ann", username="ann")
    return USER


class TestTokensAndRouting:
    async def test_malformed_token_is_unauthorized(self, sandbox):
        for token in ("123:short", "abc:AAE_test-token-0123456789abcdefghijk", "nocolon"):
            response = await sandbox.http.post(f"/bot{token}/getMe")
            assert response.status_code == 401
            assert response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }

    async def test_known_bot_id_with_another_secret_is_unauthorized(self, sandbox):
        forged = f"{TOKEN_ID}:AAE_forged-token-0123456789abcdefghij"
        assert (await sandbox.http.get(f"/bot{forged}/getMe")).status_code == 401

    async def test_unknown_method_is_not_found(self, sandbox):
        response = await sandbox.call("sendTelepathy")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    async def test_method_names_ignore_case(self, sandbox):
        response = await sandbox.http.get(f"/bot{sandbox.token}/GETME")
        assert response.json()["result"]["id"] == TOKEN_ID

    async def test_get_with_query_string(self, sandbox, chat):
        response = await sandbox.http.get(
            f"/bot{sandbox.token}/sendMessage", params={"chat_id": str(chat), "text": "hi"}
        )
        assert response.json()["result"]["text"] == "hi"

    async def test_form_urlencoded_with_json_string_markup(self, sandbox, chat):
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        response = await sandbox.http.post(
            f"/bot{sandbox.token}/sendMessage",
            data={
                "chat_id": str(chat),
                "text": "pick",
                "reply_markup": orjson.dumps(markup).decode(),
            },
        )
        assert response.json()["result"]["reply_markup"] == markup

    async def test_multipart_text_fields(self, sandbox, chat):
        response = await sandbox.http.post(
            f"/bot{sandbox.token}/sendMessage",
            files={"chat_id": (None, str(chat)), "text": (None, "multi")},
        )
        assert response.json()["result"]["text"] == "multi"

    async def test_bots_are_kept_apart(self, sandbox, chat):
        other = "987654321:AAF_other-token-0123456789abcdefghij"
        status, body = await sandbox.error("sendMessage", token=other, chat_id=chat, text="x")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")


class TestGetMe:
    async def test_shape(self, sandbox):
        me = await sandbox.ok("getMe")
        assert me["id"] == TOKEN_ID
        assert me["is_bot"] is True
        assert me["username"].endswith("bot")
        assert {"first_name", "can_join_groups", "supports_inline_queries"} <= me.keys()

    async def test_default_bot_uses_the_configured_username(self, start_sandbox):
        sandbox = await start_sandbox(bot_username="concierge_dev_bot")
        sandbox.token = sandbox.state.settings.default_bot_token
        assert (await sandbox.ok("getMe"))["username"] == "concierge_dev_bot"


class TestSendMessage:
    async def test_message_shape(self, sandbox, chat):
        message = await sandbox.ok(
            "sendMessage", chat_id=chat, text="Hello <b>Ann</b>", parse_mode="HTML"
        )
        assert message["message_id"] == 2
        assert message["from"] == {
            "id": TOKEN_ID,
            "is_bot": True,
            "first_name": "Concierge",
            "username": f"sandbox_{TOKEN_ID}_bot",
        }
        assert message["chat"] == {
            "id": chat,
            "first_name": "Ann",
            "username": "ann",
            "type": "private",
        }
        assert isinstance(message["date"], int)
        assert message["text"] == "Hello Ann"
        assert message["entities"] == [{"offset": 6, "length": 3, "type": "bold"}]
        assert "reply_markup" not in message

    async def test_chat_never_seen_is_not_found(self, sandbox):
        status, body = await sandbox.error("sendMessage", chat_id=777, text="hi")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")

    async def test_missing_chat_id(self, sandbox):
        _, body = await sandbox.error("sendMessage", text="hi")
        assert body["description"] == "Bad Request: chat_id is empty"

    @pytest.mark.parametrize("text", [None, "", "   ", "<b></b>"])
    async def test_empty_text(self, sandbox, chat, text):
        params = {"chat_id": chat, "parse_mode": "HTML"}
        if text is not None:
            params["text"] = text
        _, body = await sandbox.error("sendMessage", **params)
        assert body["description"] == "Bad Request: message text is empty"

    async def test_length_limit_applies_after_entity_parsing(self, sandbox, chat):
        await sandbox.ok(
            "sendMessage", chat_id=chat, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML"
        )
        _, body = await sandbox.error("sendMessage", chat_id=chat, text="x" * 4097)
        assert body["description"] == "Bad Request: message is too long"

    async def test_entity_parse_errors(self, sandbox, chat):
        _, body = await sandbox.error(
            "sendMessage", chat_id=chat, text="1.5", parse_mode="MarkdownV2"
        )
        assert body["description"] == (
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'"
        )
        _, body = await sandbox.error("sendMessage", chat_id=chat, text="<x>", parse_mode="HTML")
        assert body["description"].startswith("Bad Request: can't parse entities: Unsupported")

    @pytest.mark.parametrize("data", ["", "x" * 65, "я" * 33])
    async def test_callback_data_must_be_1_to_64_bytes(self, sandbox, chat, data):
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": data}]]}
        _, body = await sandbox.error("sendMessage", chat_id=chat, text="x", reply_markup=markup)
        assert body["description"] == "Bad Request: BUTTON_DATA_INVALID"

    async def test_inline_keyboard_kinds(self, sandbox, chat):
        markup = {
            "inline_keyboard": [
                [
                    {"text": "A", "callback_data": "я" * 32},
                    {"text": "Site", "url": "https://x.org"},
                ],
                [{"text": "App", "web_app": {"url": "http://localhost:8080/app/"}}],
            ]
        }
        message = await sandbox.ok("sendMessage", chat_id=chat, text="x", reply_markup=markup)
        assert message["reply_markup"] == markup

    async def test_button_without_action_is_refused(self, sandbox, chat):
        markup = {"inline_keyboard": [[{"text": "A"}]]}
        _, body = await sandbox.error("sendMessage", chat_id=chat, text="x", reply_markup=markup)
        assert "Text buttons are unallowed in the inline keyboard" in body["description"]

    async def test_malformed_markup(self, sandbox, chat):
        _, body = await sandbox.error("sendMessage", chat_id=chat, text="x", reply_markup="{oops")
        assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"

    @pytest.mark.parametrize(
        "markup",
        [
            {
                "keyboard": [["Yes", {"text": "No"}]],
                "resize_keyboard": True,
                "one_time_keyboard": True,
            },
            {"remove_keyboard": True},
            {"force_reply": True, "input_field_placeholder": "Your name"},
        ],
    )
    async def test_reply_keyboards_reach_the_history_not_the_message(self, sandbox, chat, markup):
        message = await sandbox.ok("sendMessage", chat_id=chat, text="x", reply_markup=markup)
        assert "reply_markup" not in message
        history = await sandbox.history(chat)
        assert history[-1]["reply_markup"][
            "keyboard" if "keyboard" in markup else next(iter(markup))
        ]

    async def test_reply_parameters_and_reply_to_message_id(self, sandbox, chat):
        first = await sandbox.ok("sendMessage", chat_id=chat, text="one")
        reply = await sandbox.ok(
            "sendMessage",
            chat_id=chat,
            text="two",
            reply_parameters={"message_id": first["message_id"]},
        )
        assert reply["reply_to_message"]["message_id"] == first["message_id"]
        legacy = await sandbox.ok("sendMessage", chat_id=chat, text="3", reply_to_message_id=1)
        assert legacy["reply_to_message"]["text"] == "/start"
        _, body = await sandbox.error(
            "sendMessage", chat_id=chat, text="x", reply_parameters={"message_id": 999}
        )
        assert body["description"] == "Bad Request: message to be replied not found"

    async def test_blocked_user(self, sandbox, chat):
        await sandbox.http.post(f"/sandbox/users/{chat}/block")
        status, body = await sandbox.error("sendMessage", chat_id=chat, text="hi")
        assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


class TestEdits:
    async def test_edit_text(self, sandbox, chat):
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        sent = await sandbox.ok("sendMessage", chat_id=chat, text="old", reply_markup=markup)
        edited = await sandbox.ok(
            "editMessageText",
            chat_id=chat,
            message_id=sent["message_id"],
            text="*new*",
            parse_mode="MarkdownV2",
            reply_markup=markup,
        )
        assert edited["text"] == "new"
        assert edited["entities"] == [{"offset": 0, "length": 3, "type": "bold"}]
        assert isinstance(edited["edit_date"], int)
        assert edited["reply_markup"] == markup
        row = (await sandbox.history(chat))[-1]
        assert (row["text"], row["edit_date"]) == ("new", edited["edit_date"])

    async def test_edit_without_markup_drops_the_keyboard(self, sandbox, chat):
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        sent = await sandbox.ok("sendMessage", chat_id=chat, text="old", reply_markup=markup)
        edited = await sandbox.ok(
            "editMessageText", chat_id=chat, message_id=sent["message_id"], text="new"
        )
        assert "reply_markup" not in edited

    async def test_not_modified(self, sandbox, chat):
        sent = await sandbox.ok("sendMessage", chat_id=chat, text="same")
        _, body = await sandbox.error(
            "editMessageText", chat_id=chat, message_id=sent["message_id"], text="same"
        )
        assert body["description"] == (
            "Bad Request: message is not modified: specified new message content and reply "
            "markup are exactly the same as a current content and reply markup of the message"
        )

    async def test_missing_and_foreign_messages(self, sandbox, chat):
        _, body = await sandbox.error("editMessageText", chat_id=chat, message_id=99, text="x")
        assert body["description"] == "Bad Request: message to edit not found"
        _, body = await sandbox.error("editMessageText", chat_id=chat, message_id=1, text="x")
        assert body["description"] == "Bad Request: message can't be edited"

    async def test_edit_reply_markup(self, sandbox, chat):
        sent = await sandbox.ok("sendMessage", chat_id=chat, text="x")
        markup = {"inline_keyboard": [[{"text": "B", "callback_data": "b"}]]}
        edited = await sandbox.ok(
            "editMessageReplyMarkup",
            chat_id=chat,
            message_id=sent["message_id"],
            reply_markup=markup,
        )
        assert edited["reply_markup"] == markup
        _, body = await sandbox.error(
            "editMessageReplyMarkup",
            chat_id=chat,
            message_id=sent["message_id"],
            reply_markup=markup,
        )
        assert body["description"].startswith("Bad Request: message is not modified")
        _, body = await sandbox.error(
            "editMessageReplyMarkup",
            chat_id=chat,
            message_id=sent["message_id"],
            reply_markup={"keyboard": [["x"]]},
        )
        assert body["description"] == "Bad Request: inline keyboard expected"


class TestDeleteAndActions:
    async def test_delete_message(self, sandbox, chat):
        sent = await sandbox.ok("sendMessage", chat_id=chat, text="bye")
        assert (
            await sandbox.ok("deleteMessage", chat_id=chat, message_id=sent["message_id"]) is True
        )
        assert [row["message_id"] for row in await sandbox.history(chat)] == [1]
        _, body = await sandbox.error("deleteMessage", chat_id=chat, message_id=sent["message_id"])
        assert body["description"] == "Bad Request: message to delete not found"

    async def test_chat_action(self, sandbox, chat):
        assert await sandbox.ok("sendChatAction", chat_id=chat, action="typing") is True
        info = (await sandbox.http.get(f"/sandbox/chats/{chat}")).json()
        assert info["action"] == "typing"
        _, body = await sandbox.error("sendChatAction", chat_id=chat, action="dancing")
        assert body["description"] == "Bad Request: wrong parameter action in request"

    async def test_message_draft(self, sandbox, chat):
        assert await sandbox.ok("sendMessageDraft", chat_id=chat, draft_id=7, text="Thinking…")
        info = (await sandbox.http.get(f"/sandbox/chats/{chat}")).json()
        assert info["draft"]["text"] == "Thinking…"
        await sandbox.ok("sendMessage", chat_id=chat, text="Done")
        assert (await sandbox.http.get(f"/sandbox/chats/{chat}")).json()["draft"] is None


class TestCommands:
    async def test_per_scope_and_language(self, sandbox):
        commands = [
            {"command": "start", "description": "Start"},
            {"command": "help", "description": "Help"},
        ]
        assert await sandbox.ok("setMyCommands", commands=commands) is True
        russian = [{"command": "start", "description": "Начать"}]
        await sandbox.ok("setMyCommands", commands=russian, language_code="ru")
        scope = {"type": "all_private_chats"}
        await sandbox.ok("setMyCommands", commands=commands[:1], scope=scope)
        assert await sandbox.ok("getMyCommands") == commands
        assert await sandbox.ok("getMyCommands", language_code="ru") == russian
        assert await sandbox.ok("getMyCommands", scope=scope) == commands[:1]
        assert await sandbox.ok("deleteMyCommands", language_code="ru") is True
        assert await sandbox.ok("getMyCommands", language_code="ru") == []

    @pytest.mark.parametrize(
        ("commands", "reason"),
        [
            ([{"command": "Start", "description": "x"}], "BOT_COMMAND_INVALID"),
            ([{"command": "x" * 33, "description": "x"}], "BOT_COMMAND_INVALID"),
            ([{"command": "ok", "description": ""}], "BOT_COMMAND_DESCRIPTION_INVALID"),
            ([{"command": "ok", "description": "d" * 257}], "BOT_COMMAND_DESCRIPTION_INVALID"),
            (
                [{"command": f"c{i}", "description": "d"} for i in range(101)],
                "BOT_COMMANDS_TOO_MUCH",
            ),
        ],
    )
    async def test_invalid_commands(self, sandbox, commands, reason):
        _, body = await sandbox.error("setMyCommands", commands=commands)
        assert body["description"] == f"Bad Request: {reason}"


class TestPhotos:
    async def test_upload_then_resend_by_file_id_then_download(self, sandbox, chat, make_png):
        image = make_png(3, 2)
        response = await sandbox.http.post(
            f"/bot{sandbox.token}/sendPhoto",
            data={"chat_id": str(chat), "caption": "<i>look</i>", "parse_mode": "HTML"},
            files={"photo": ("p.png", image, "image/png")},
        )
        message = response.json()["result"]
        (size,) = message["photo"]
        assert (size["width"], size["height"], size["file_size"]) == (3, 2, len(image))
        assert message["caption"] == "look"
        assert message["caption_entities"] == [{"offset": 0, "length": 4, "type": "italic"}]
        again = await sandbox.ok("sendPhoto", chat_id=chat, photo=size["file_id"])
        assert again["photo"][0]["file_unique_id"] == size["file_unique_id"]
        file = await sandbox.ok("getFile", file_id=size["file_id"])
        assert file["file_path"].startswith("photos/")
        download = await sandbox.http.get(f"/file/bot{sandbox.token}/{file['file_path']}")
        assert download.content == image
        row = (await sandbox.history(chat))[-1]
        assert (await sandbox.http.get(row["photo_url"])).content == image

    async def test_url_is_recorded_not_fetched(self, sandbox, chat):
        message = await sandbox.ok("sendPhoto", chat_id=chat, photo="https://example.invalid/p.jpg")
        assert message["photo"][0]["file_id"]
        assert (await sandbox.history(chat))[-1]["photo_url"] == "https://example.invalid/p.jpg"

    async def test_refusals(self, sandbox, chat, make_png):
        _, body = await sandbox.error("sendPhoto", chat_id=chat, photo="no-such-file-id")
        assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
        response = await sandbox.http.post(
            f"/bot{sandbox.token}/sendPhoto",
            data={"chat_id": str(chat)},
            files={"photo": ("p.txt", b"not an image", "text/plain")},
        )
        assert response.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
        response = await sandbox.http.post(
            f"/bot{sandbox.token}/sendPhoto",
            data={"chat_id": str(chat), "caption": "c" * 1025},
            files={"photo": ("p.png", make_png(1, 1), "image/png")},
        )
        assert response.json()["description"] == "Bad Request: message caption is too long"
        _, body = await sandbox.error("getFile", file_id="nope")
        assert body["description"] == "Bad Request: invalid file_id"


class TestAnswerCallbackQuery:
    async def press(self, sandbox, chat):
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        sent = await sandbox.ok("sendMessage", chat_id=chat, text="x", reply_markup=markup)
        response = await sandbox.press(chat, sent["message_id"], "a")
        return response.json()["callback_query_id"]

    async def test_answer_once(self, sandbox, chat):
        query_id = await self.press(sandbox, chat)
        assert (
            await sandbox.ok("answerCallbackQuery", callback_query_id=query_id, text="Done!")
            is True
        )
        status = (await sandbox.http.get(f"/sandbox/callbacks/{query_id}")).json()
        assert (status["answered"], status["text"], status["show_alert"]) == (True, "Done!", False)
        assert 0 <= status["answered_after_s"] < 1
        _, body = await sandbox.error("answerCallbackQuery", callback_query_id=query_id)
        assert body["description"] == (
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )

    async def test_unknown_and_too_long(self, sandbox, chat):
        _, body = await sandbox.error("answerCallbackQuery", callback_query_id="123")
        assert body["description"].startswith("Bad Request: query is too old")
        query_id = await self.press(sandbox, chat)
        _, body = await sandbox.error(
            "answerCallbackQuery", callback_query_id=query_id, text="x" * 201
        )
        assert body["description"] == "Bad Request: MESSAGE_TOO_LONG"

    async def test_too_late(self, start_sandbox):
        sandbox = await start_sandbox(callback_answer_window_s=0.1)
        await sandbox.user_says(USER, "hi")
        query_id = await self.press(sandbox, USER)
        await asyncio.sleep(0.2)
        _, body = await sandbox.error("answerCallbackQuery", callback_query_id=query_id)
        assert body["description"].startswith("Bad Request: query is too old")
