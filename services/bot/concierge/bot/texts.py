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
            "/search <i>words</i> — find posts and articles\n"
            "/ask <i>question</i> — an answer with its sources\n"
            "/sell — sell something: create a listing in the Mini App\n"
            "/language — switch between Russian and English\n"
            "/help — this message\n\n"
            "Or just write: a few words are a search, a question gets an answer.\n"
            "Buttons under my messages do the same; press one and I update the message."
        ),
        "language_prompt": "🌐 Choose the language I should talk to you in:",
        "unknown_command": "I don't know the command {command}. Here is what I can do:",
        "unknown_text": "I can't answer free text yet. Use the menu below or /help.",
        "unsupported": "I can only read text messages for now. Use the menu below or /help.",
        "error": "😔 Something went wrong on my side. Please try again in a minute.",
        "slow_down": (
            "🐢 You are writing faster than I can keep up with. "
            "I will read your messages again in about {seconds} s."
        ),
        "button_search": "🔎 Search and questions",
        "search_help": (
            "🔎 <b>Search and questions</b>\n\n"
            "Write a few words and I will find posts, articles and listings: "
            "<i>flat by the sea in Sochi</i>.\n"
            "Ask a question and I will answer with sources: "
            "<i>how much is the tourist tax in Sochi?</i>\n\n"
            "/search and /ask do the same."
        ),
        "search_header": "🔎 Results for «{query}»:",
        "search_nothing": "🔎 Nothing found for «{query}». Try other words.",
        "search_no_source": "unknown source",
        "search_also_in": "↪️ also in: {sources}",
        "search_more": "More ▸",
        "search_previous": "◂ Back",
        "search_expired": "These results are old; search again.",
        "search_invalid": "I can't search for that: the query is too long or empty.",
        "search_usage": "Write what to find after the command: /search <i>flat by the sea</i>",
        "ask_usage": "Write your question after the command: /ask <i>where to rent a flat?</i>",
        "answer_nothing": "🤷 I found nothing to answer «{question}» with.",
        "answer_extractive": "📄 <i>The best passages I found:</i>",
        "answer_sources": "<b>Sources:</b>",
        "greeting": "👋 Hello! Write what to find, ask a question, or pick from the menu.",
        "admin_only": "This command is for administrators.",
        "sources_header": "📚 <b>Sources</b> (state, documents):",
        "sources_empty": "No sources yet. Add one: /sources add <i>https://…/feed.xml</i>",
        "source_on": "on",
        "source_paused": "paused",
        "source_pause": "⏸ Pause #{id}",
        "source_resume": "▶️ Resume #{id}",
        "source_added": "✅ Added:\n{line}",
        "source_refused": "❌ Not added: {reason}",
        "source_gone": "That source no longer exists.",
        "command_search": "Find posts, articles and listings",
        "command_ask": "Ask a question",
        "command_sell": "Sell something: a new listing",
        "button_sell": "🛍 Sell",
        "button_my_listings": "📋 My listings",
        "sell_prompt": (
            "🛍 <b>Sell something</b>\n\n"
            "Open the Mini App, add photos, a price and your city, and send the listing to "
            "moderation. Once it is approved, people find it in search."
        ),
        "sell_private_only": "🛍 Write /sell to me in a private chat to create a listing.",
        "sell_unavailable": "🛍 Listings can't be created here yet: the Mini App is not set up.",
        "search_open_listing": "🛍 Open listing {n}",
        "search_listing_line": "🛍 {price} · {city}",
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
            "/search <i>слова</i> — найти посты и статьи\n"
            "/ask <i>вопрос</i> — ответ со ссылками на источники\n"
            "/sell — продать вещь: создать объявление в мини-приложении\n"
            "/language — переключить язык (русский или английский)\n"
            "/help — это сообщение\n\n"
            "Или просто напишите: несколько слов — это поиск, вопрос — получит ответ.\n"
            "Кнопки под сообщениями делают то же самое; я обновлю сообщение на месте."
        ),
        "language_prompt": "🌐 Выберите язык, на котором мне с вами говорить:",
        "unknown_command": "Я не знаю команду {command}. Вот что я умею:",
        "unknown_text": "Пока я не умею отвечать на свободный текст. Откройте меню или /help.",
        "unsupported": "Пока я понимаю только текстовые сообщения. Откройте меню или /help.",
        "error": "😔 У меня что-то сломалось. Попробуйте ещё раз через минуту.",
        "slow_down": (
            "🐢 Вы пишете быстрее, чем я успеваю читать. "
            "Я снова буду отвечать примерно через {seconds} с."
        ),
        "button_search": "🔎 Поиск и вопросы",
        "search_help": (
            "🔎 <b>Поиск и вопросы</b>\n\n"
            "Напишите несколько слов, и я найду посты, статьи и объявления: "
            "<i>квартира у моря в Сочи</i>.\n"
            "Задайте вопрос, и я отвечу со ссылками на источники: "
            "<i>сколько стоит курортный сбор в Сочи?</i>\n\n"
            "Команды /search и /ask делают то же самое."
        ),
        "search_header": "🔎 Нашлось по запросу «{query}»:",
        "search_nothing": "🔎 По запросу «{query}» ничего не нашлось. Попробуйте другие слова.",
        "search_no_source": "источник неизвестен",
        "search_also_in": "↪️ также в: {sources}",
        "search_more": "Ещё ▸",
        "search_previous": "◂ Назад",
        "search_expired": "Эти результаты устарели — поищите ещё раз.",
        "search_invalid": "Не могу это найти: запрос слишком длинный или пустой.",
        "search_usage": "Напишите после команды, что найти: /search <i>квартира у моря</i>",
        "ask_usage": "Напишите вопрос после команды: /ask <i>где снять квартиру?</i>",
        "answer_nothing": "🤷 Не нашёл, чем ответить на «{question}».",
        "answer_extractive": "📄 <i>Самое подходящее из найденного:</i>",
        "answer_sources": "<b>Источники:</b>",
        "greeting": "👋 Здравствуйте! Напишите, что найти, задайте вопрос или выберите в меню.",
        "admin_only": "Эта команда только для администраторов.",
        "sources_header": "📚 <b>Источники</b> (состояние, документов):",
        "sources_empty": "Источников пока нет. Добавьте: /sources add <i>https://…/feed.xml</i>",
        "source_on": "работает",
        "source_paused": "на паузе",
        "source_pause": "⏸ Пауза #{id}",
        "source_resume": "▶️ Включить #{id}",
        "source_added": "✅ Добавлен:\n{line}",
        "source_refused": "❌ Не добавлен: {reason}",
        "source_gone": "Этого источника уже нет.",
        "command_search": "Найти посты, статьи и объявления",
        "command_ask": "Задать вопрос",
        "command_sell": "Продать: новое объявление",
        "button_sell": "🛍 Продать",
        "button_my_listings": "📋 Мои объявления",
        "sell_prompt": (
            "🛍 <b>Продать вещь</b>\n\n"
            "Откройте мини-приложение, добавьте фото, цену и город и отправьте объявление "
            "на модерацию. После одобрения его найдут в поиске."
        ),
        "sell_private_only": "🛍 Напишите мне /sell в личном чате, чтобы создать объявление.",
        "sell_unavailable": "🛍 Объявления здесь пока не создать: мини-приложение не настроено.",
        "search_open_listing": "🛍 Объявление {n}",
        "search_listing_line": "🛍 {price} · {city}",
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
