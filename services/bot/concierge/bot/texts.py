"""Every text the bot sends, in Russian and English. Texts use HTML parse mode."""

from __future__ import annotations

from concierge.contracts.identity import Language

TEXTS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "welcome": (
            "👋 Hello, {name}!\n\n"
            "I am <b>Concierge</b>, your assistant in Telegram. "
            "Pick what you need below, or type /help at any time."
        ),
        "menu": "🏠 <b>Main menu</b>\nWhat would you like to do?",
        "help": (
            "ℹ️ <b>Help</b>\n\n"
            "/start — start over and show the menu\n"
            "/menu — the main menu\n"
            "/language — switch between Russian and English\n"
            "/help — this message\n\n"
            "Buttons under my messages do the same; press one and I update the message."
        ),
        "language_prompt": "🌐 Choose the language I should talk to you in:",
        "language_set": "Done: I will speak English.",
        "unknown_command": "I don't know the command {command}. Here is what I can do:",
        "unknown_text": "I can't answer free text yet. Use the menu below or /help.",
        "unsupported": "I can only read text messages for now. Use the menu below or /help.",
        "error": "😔 Something went wrong on my side. Please try again in a minute.",
        "slow_down": (
            "🐢 You are writing faster than I can keep up with. "
            "I will read your messages again in about {seconds} s."
        ),
        "button_language": "🌐 Язык: русский",
        "button_help": "❓ Help",
        "button_menu": "⬅️ Menu",
        "command_start": "Start over and show the menu",
        "command_menu": "Main menu",
        "command_help": "How to use the bot",
        "command_language": "Change the language",
    },
    Language.RU: {
        "welcome": (
            "👋 Здравствуйте, {name}!\n\n"
            "Я <b>Concierge</b>, ваш помощник в Telegram. "
            "Выберите, что нужно, ниже или наберите /help в любой момент."
        ),
        "menu": "🏠 <b>Главное меню</b>\nЧто будем делать?",
        "help": (
            "ℹ️ <b>Помощь</b>\n\n"
            "/start — начать сначала и показать меню\n"
            "/menu — главное меню\n"
            "/language — переключить язык (русский или английский)\n"
            "/help — это сообщение\n\n"
            "Кнопки под сообщениями делают то же самое; я обновлю сообщение на месте."
        ),
        "language_prompt": "🌐 Выберите язык, на котором мне с вами говорить:",
        "language_set": "Готово: буду говорить по-русски.",
        "unknown_command": "Я не знаю команду {command}. Вот что я умею:",
        "unknown_text": "Пока я не умею отвечать на свободный текст. Откройте меню или /help.",
        "unsupported": "Пока я понимаю только текстовые сообщения. Откройте меню или /help.",
        "error": "😔 У меня что-то сломалось. Попробуйте ещё раз через минуту.",
        "slow_down": (
            "🐢 Вы пишете быстрее, чем я успеваю читать. "
            "Я снова буду отвечать примерно через {seconds} с."
        ),
        "button_language": "🌐 Language: English",
        "button_help": "❓ Помощь",
        "button_menu": "⬅️ Меню",
        "command_start": "Начать сначала и показать меню",
        "command_menu": "Главное меню",
        "command_help": "Как пользоваться ботом",
        "command_language": "Сменить язык",
    },
}

LANGUAGE_NAMES = {Language.RU: "🇷🇺 Русский", Language.EN: "🇬🇧 English"}


def text(language: Language, key: str, **values: str) -> str:
    template = TEXTS[language][key]
    return template.format(**values) if values else template
