from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr
from telegram.error import RetryAfter

from concierge.bot.callback_data import CallbackDataTooLong, pack, unpack
from concierge.bot.core.handlers import COMMANDS
from concierge.bot.core.keyboards import language_picker, main_menu
from concierge.bot.retry_after import seconds_to_wait
from concierge.bot.settings import BotSettings, UpdateSource
from concierge.bot.texts import TEXTS
from concierge.contracts.identity import Language, language_from_code


class TestCallbackData:
    def test_round_trip(self) -> None:
        assert unpack(pack("lang", "set", "ru")) == ("lang", ["set", "ru"])

    def test_refuses_more_than_64_bytes(self) -> None:
        pack("x", "я" * 31)  # 1 + 1 + 62 bytes
        with pytest.raises(CallbackDataTooLong):
            pack("x", "я" * 32)

    @pytest.mark.parametrize("language", list(Language))
    def test_every_button_fits(self, language: Language) -> None:
        for markup in (main_menu(language), language_picker()):
            for row in markup.inline_keyboard:
                for button in row:
                    assert isinstance(button.callback_data, str)
                    assert 1 <= len(button.callback_data.encode()) <= 64

    @pytest.mark.parametrize("language", list(Language))
    def test_the_menu_with_the_mini_app_keeps_its_callbacks(self, language: Language) -> None:
        buttons = [b for row in main_menu(language, "https://x.test/app/").inline_keyboard
                   for b in row]  # fmt: skip
        callbacks = [b.callback_data for b in buttons if b.web_app is None]
        assert callbacks == [b.callback_data for row in main_menu(language).inline_keyboard
                             for b in row]  # fmt: skip
        urls = [b.web_app.url for b in buttons if b.web_app is not None]
        assert urls == ["https://x.test/app/?startapp=new", "https://x.test/app/?startapp=mine"]


class TestTexts:
    def test_both_languages_have_every_text(self) -> None:
        assert TEXTS[Language.RU].keys() == TEXTS[Language.EN].keys()

    @pytest.mark.parametrize("command", COMMANDS)
    def test_every_command_is_described(self, command: str) -> None:
        for language in Language:
            assert 1 <= len(TEXTS[language][f"command_{command}"]) <= 256


class TestLanguage:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [("ru", Language.RU), ("ru-RU", Language.RU), ("en", Language.EN), ("de", Language.EN),
         (None, Language.EN)],
    )  # fmt: skip
    def test_from_telegram_code(self, code: str | None, expected: Language) -> None:
        assert language_from_code(code) == expected


class TestModes:
    def test_no_token_means_sandbox_with_webhook(self) -> None:
        settings = BotSettings(telegram_bot_token=None, sandbox_url="http://sb:8010")
        assert settings.uses_sandbox
        assert settings.bot_api_base_url == "http://sb:8010/bot"
        assert settings.bot_api_file_url == "http://sb:8010/file/bot"
        assert settings.update_source == UpdateSource.WEBHOOK

    def test_real_token_without_public_url_polls(self) -> None:
        settings = BotSettings(telegram_bot_token=SecretStr("123:real"))
        assert settings.bot_api_base_url == "https://api.telegram.org/bot"
        assert settings.update_source == UpdateSource.POLLING

    def test_real_token_with_public_url_uses_a_webhook(self) -> None:
        settings = BotSettings(
            telegram_bot_token=SecretStr("123:real"), public_url="https://bot.example.com/"
        )
        assert settings.update_source == UpdateSource.WEBHOOK
        assert settings.resolved_webhook_url == "https://bot.example.com/tg/webhook"

    def test_empty_token_variable_means_sandbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
        assert BotSettings().uses_sandbox


class TestRetryAfter:
    @pytest.mark.parametrize("wait", [5, timedelta(seconds=5)])
    def test_seconds_either_way(self, wait: int | timedelta) -> None:
        assert seconds_to_wait(RetryAfter(wait)) == 5.0
