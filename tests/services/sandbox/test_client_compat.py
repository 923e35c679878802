"""Client libraries work against the sandbox unchanged: python-telegram-bot 22, and a
raw HTTP client speaking query strings and forms."""

from __future__ import annotations

import datetime as dtm

import orjson
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

USER = 42


@pytest.fixture(autouse=True)
def _ptb_time_periods_as_timedelta(monkeypatch):
    # PTB 22 warns when a time period (RetryAfter.retry_after) is read as an int.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def make_bot(sandbox, token=None) -> Bot:
    return Bot(
        token or sandbox.token,
        base_url=f"{sandbox.url}/bot",
        base_file_url=f"{sandbox.url}/file/bot",
    )


@pytest.fixture
async def bot(sandbox):
    async with make_bot(sandbox) as bot:
        yield bot


@pytest.fixture
async def chat(sandbox):
    await sandbox.user_says(USER, "/start", first_name="Ann")
    return USER


class TestPythonTelegramBot:
    async def test_get_me(self, bot):
        me = await bot.get_me()
        assert (me.id, me.is_bot, me.username) == (123456789, True, "sandbox_123456789_bot")
        assert bot.username == "sandbox_123456789_bot"

    async def test_malformed_token(self, sandbox):
        with pytest.raises(InvalidToken):
            async with make_bot(sandbox, token="123:nope"):
                pass

    async def test_send_edit_delete(self, bot, chat, sandbox):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        message = await bot.send_message(
            chat, "<b>Hi</b> Ann", parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
        assert message.text == "Hi Ann"
        assert message.text_html == "<b>Hi</b> Ann"
        assert message.reply_markup == keyboard
        assert message.chat.id == chat
        assert message.from_user.is_bot
        edited = await bot.edit_message_text("Bye", chat_id=chat, message_id=message.message_id)
        assert isinstance(edited, type(message))
        assert edited.edit_date is not None
        assert edited.reply_markup is None
        assert await bot.delete_message(chat, message.message_id) is True
        assert [row["message_id"] for row in await sandbox.history(chat)] == [1]

    async def test_updates_and_callback_answer(self, bot, chat, sandbox):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        message = await bot.send_message(chat, "Sure?", reply_markup=keyboard)
        query_id = (await sandbox.press(chat, message.message_id, "yes")).json()["id"]
        updates = await bot.get_updates(timeout=1)
        assert updates[0].message.text == "/start"
        assert updates[0].message.entities[0].type == "bot_command"
        query = updates[1].callback_query
        assert (query.id, query.data, query.message.message_id) == (
            query_id,
            "yes",
            message.message_id,
        )
        assert await query.answer("Saved") is True
        status = (await sandbox.http.get(f"/sandbox/callbacks/{query_id}")).json()
        assert (status["answered"], status["text"]) == (True, "Saved")
        assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()

    async def test_webhook(self, bot, sandbox):
        assert await bot.set_webhook(
            "http://127.0.0.1:9/tg", secret_token="abc_123", max_connections=5
        )
        info = await bot.get_webhook_info()
        assert (info.url, info.max_connections, info.pending_update_count) == (
            "http://127.0.0.1:9/tg",
            5,
            0,
        )
        assert await bot.delete_webhook() is True
        assert (await bot.get_webhook_info()).url == ""

    async def test_photo_upload_get_file_and_download(self, bot, chat, make_png):
        image = make_png(4, 3)
        message = await bot.send_photo(chat, image, caption="A pixel", filename="p.png")
        photo = message.photo[-1]
        assert (photo.width, photo.height) == (4, 3)
        assert message.caption == "A pixel"
        file = await bot.get_file(photo.file_id)
        assert bytes(await file.download_as_bytearray()) == image
        again = await bot.send_photo(chat, photo.file_id)
        assert again.photo[-1].file_unique_id == photo.file_unique_id

    async def test_commands(self, bot):
        from telegram import BotCommand

        commands = [BotCommand("start", "Start"), BotCommand("help", "Help")]
        assert await bot.set_my_commands(commands)
        assert await bot.get_my_commands() == tuple(commands)

    async def test_errors_map_to_ptb_exceptions(self, bot, chat, sandbox):
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(999, "hi")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(chat, "")
        for text in ("1", "2", "3"):
            await bot.send_message(chat, text)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(chat, "4")
        assert caught.value.retry_after == dtm.timedelta(seconds=1)
        await sandbox.http.post(f"/sandbox/users/{chat}/block")
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_chat_action(chat, "typing")

    async def test_callback_answer_too_late_is_bad_request(self, bot):
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query("404")


class TestRawHttp:
    async def test_query_strings_and_forms(self, sandbox, chat):
        http, base = sandbox.http, f"/bot{sandbox.token}"
        me = (await http.get(f"{base}/getMe")).json()
        assert me["ok"] is True
        sent = await http.get(
            f"{base}/sendMessage",
            params={
                "chat_id": chat,
                "text": "*Hi*",
                "parse_mode": "MarkdownV2",
                "reply_markup": orjson.dumps(
                    {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
                ).decode(),
            },
        )
        message = sent.json()["result"]
        assert message["entities"] == [{"offset": 0, "length": 2, "type": "bold"}]
        edited = await http.post(
            f"{base}/editMessageText",
            data={"chat_id": str(chat), "message_id": str(message["message_id"]), "text": "Ho"},
        )
        assert edited.json()["result"]["text"] == "Ho"
        polled = await http.post(f"{base}/getUpdates", data={"offset": "-1", "timeout": "0"})
        assert polled.json()["result"][0]["message"]["text"] == "/start"
        refused = await http.post(f"{base}/sendMessage", data={"chat_id": "1", "text": "x"})
        assert (refused.status_code, refused.json()["description"]) == (
            400,
            "Bad Request: chat not found",
        )
