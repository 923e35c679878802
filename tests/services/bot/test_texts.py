"""Every text the bot shows exists in Russian and English: the same keys and placeholders,
Russian written in Russian; no handler sends a user-facing literal of its own; /help and
the command menu describe each command with the same words; the error codes the market's
api answers with are said in both languages."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from concierge.bot.core.handlers import (
    ADMIN_COMMANDS,
    COMMANDS,
    command_descriptions,
    help_body,
)
from concierge.bot.texts import GERMAN, TEXTS, WATCH_DE, text, watch_text
from concierge.contracts.errors import ErrorCode
from concierge.contracts.identity import Language

BOT = Path(__file__).resolve().parents[3] / "services/bot/concierge/bot"
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
# Texts that read the same in both languages (a name, a symbol).
SAME_IN_BOTH = {"search_listing_line", "listing_card", "moderation_card", "watch_line"}
# Calls whose arguments a user reads.
SHOWN = {"send_message", "InlineKeyboardButton", "MenuButtonWebApp", "BotCommand",
         "edit_in_place", "webapp_button", "_reply", "_send", "tell", "edit_message_text",
         "answer", "reply_text"}  # fmt: skip
LETTER = re.compile(r"[^\W\d_]")
# The market errors the bot meets (conversations, buttons, moderation) and says itself.
BOT_SAYS = {
    ErrorCode.OWN_LISTING, ErrorCode.LISTING_SOLD, ErrorCode.LISTING_NOT_FOUND,
    ErrorCode.SELLER_BLOCKED_YOU, ErrorCode.TOO_MANY_INQUIRIES, ErrorCode.INQUIRY_CLOSED,
    ErrorCode.INQUIRY_NOT_FOUND, ErrorCode.TOO_MANY_MESSAGES, ErrorCode.ONLY_THE_SELLER,
    ErrorCode.ALREADY_REPORTED, ErrorCode.LISTING_NOT_PUBLISHED,
    ErrorCode.LISTING_NOT_RENEWABLE, ErrorCode.LISTING_NOT_PENDING, ErrorCode.LISTING_CHANGED,
}  # fmt: skip


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class TestBothLanguages:
    def test_the_same_keys(self) -> None:
        assert TEXTS[Language.RU].keys() == TEXTS[Language.EN].keys()

    @pytest.mark.parametrize("key", sorted(TEXTS[Language.EN]))
    def test_the_same_placeholders_and_russian_in_russian(self, key: str) -> None:
        english, russian = TEXTS[Language.EN][key], TEXTS[Language.RU][key]
        assert english.strip()
        assert russian.strip()
        assert placeholders(english) == placeholders(russian)
        if key in SAME_IN_BOTH or key.startswith("button_language"):
            return
        assert CYRILLIC.search(russian), f"{key} is not Russian: {russian!r}"
        assert not CYRILLIC.search(english), f"{key} is not English: {english!r}"

    @pytest.mark.parametrize("code", sorted(BOT_SAYS))
    def test_every_market_error_the_bot_meets_is_said_in_both(self, code: ErrorCode) -> None:
        for language in Language:
            assert f"market_error_{code.value}" in TEXTS[language]


def literal_texts() -> list[str]:
    """User-facing string literals passed to the calls that show text, in the bot."""
    found = []
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "texts.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in SHOWN:
                continue
            # The text is the first argument (the second of Bot.send_message(chat_id, …)).
            reads = node.args[:2] if name == "send_message" else node.args[:1]
            shown = [*reads, *(k.value for k in node.keywords if k.arg == "text")]
            for argument in shown:
                literals = [argument] if isinstance(argument, ast.Constant) else []
                if isinstance(argument, ast.JoinedStr):
                    literals = [v for v in argument.values if isinstance(v, ast.Constant)]
                for literal in literals:
                    if isinstance(literal.value, str) and LETTER.search(literal.value):
                        found.append(f"{path.relative_to(BOT)}:{node.lineno} {literal.value!r}")
    return found


class TestWatchInGerman:
    def test_every_watch_text_in_german(self) -> None:
        watch = {key for key in TEXTS[Language.EN] if key.startswith("watch_")}
        assert set(WATCH_DE) == watch

    @pytest.mark.parametrize("key", sorted(WATCH_DE))
    def test_the_same_placeholders_and_no_cyrillic(self, key: str) -> None:
        assert placeholders(WATCH_DE[key]) == placeholders(TEXTS[Language.EN][key])
        assert not CYRILLIC.search(WATCH_DE[key])

    def test_german_falls_back_to_english_and_others_are_unchanged(self) -> None:
        assert watch_text(GERMAN, "watch_none").startswith("Sie beobachten")
        assert watch_text(GERMAN, "menu") == text(Language.EN, "menu")
        assert watch_text("ru", "watch_none") == text(Language.RU, "watch_none")


def test_no_handler_shows_a_literal_of_its_own() -> None:
    assert literal_texts() == []


class TestHelpAndTheCommandMenu:
    @pytest.mark.parametrize("language", list(Language))
    def test_help_describes_each_command_as_the_menu_does(self, language: Language) -> None:
        body = help_body(language, admin=False)
        menu = command_descriptions(language)  # what publish_commands sends Telegram
        assert [command for command, _ in menu] == list(COMMANDS)
        for command, description in menu:
            assert f"/{command} — {description}\n" in body + "\n"
        assert text(language, "help_admin_header") not in body

    @pytest.mark.parametrize("language", list(Language))
    def test_admins_get_their_section(self, language: Language) -> None:
        body = help_body(language, admin=True)
        assert text(language, "help_admin_header") in body
        for command in ADMIN_COMMANDS:
            assert f"/{command} — {text(language, f'command_{command}')}" in body
