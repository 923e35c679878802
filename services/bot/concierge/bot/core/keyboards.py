from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from concierge.bot.callback_data import pack
from concierge.bot.market.webapp import MINE, NEW, webapp_button
from concierge.bot.texts import LANGUAGE_NAMES, text
from concierge.contracts.identity import Language

MENU = "menu"
LANGUAGE = "lang"


def other_language(language: Language) -> Language:
    return Language.EN if language == Language.RU else Language.RU


def main_menu(
    language: Language,
    webapp_url: str | None = None,
    admin_rows: list[list[InlineKeyboardButton]] | None = None,
) -> InlineKeyboardMarkup:
    """The menu; with ``webapp_url`` (private chats only: Telegram refuses web_app buttons
    elsewhere) also the market's buttons, which open the Mini App; and ``admin_rows``
    for admins (moderation)."""
    # Desks add their buttons here as they land; a button that does nothing never shows.
    market = (
        [
            [
                webapp_button(text(language, "button_sell"), webapp_url, NEW),
                webapp_button(text(language, "button_my_listings"), webapp_url, MINE),
            ]
        ]
        if webapp_url
        else []
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text(language, "button_search"), callback_data=pack(MENU, "search")
                )
            ],
            *market,
            *(admin_rows or []),
            [
                InlineKeyboardButton(
                    text(language, "button_language"),
                    callback_data=pack(LANGUAGE, "set", other_language(language).value),
                ),
                InlineKeyboardButton(
                    text(language, "button_help"), callback_data=pack(MENU, "help")
                ),
            ],
        ]
    )


def back_to_menu(language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text(language, "button_menu"), callback_data=pack(MENU, "home"))]]
    )


def language_picker() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=pack(LANGUAGE, "set", language.value))
                for language, name in LANGUAGE_NAMES.items()
            ]
        ]
    )
