"""Every text the bot sends, in Russian and English. Texts use HTML parse mode.

tests/services/bot/test_texts.py holds every key to both languages (same placeholders,
Russian in Russian) and the handlers to these texts (no user-facing literal elsewhere).
"""

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
        # /help lists the commands with the descriptions of the command menu (command_*).
        "help_header": "ℹ️ <b>Help</b>",
        "help_footer": (
            "Or just write: a few words are a search, a question gets an answer, and "
            "«looking for…» searches the listings.\n"
            "Buttons under my messages do the same; press one and I update the message."
        ),
        "help_admin_header": "<b>For administrators</b>",
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
        "search_listing_line": "🛍 {price} · {city}{availability}",
        "button_language": "🌐 Язык: русский",
        "button_help": "❓ Help",
        "button_menu": "⬅️ Menu",
        "command_start": "Start over and show the menu",
        "command_menu": "Main menu",
        "command_help": "How to use the bot",
        "command_language": "Change the language",
        # --- the market desk (concierge.bot.market, groups) -------------------------------
        "thanks_reply": "😊 You are welcome! Write whenever you need something.",
        "goodbye_reply": "👋 Bye! I am here when you need me.",
        "search_too_long": (
            "✂️ That is too long for me: I read up to {limit} characters at a time. "
            "Shorten it, or write what you are looking for in a few words."
        ),
        "menu_button": "🛍 Market",
        "command_moderation": "Listings waiting for moderation",
        "command_sources": "Sources of posts and articles",
        "button_moderation": "🛡 Moderation ({count})",
        "search_write_seller": "✉️ Write to seller {n}",
        "availability_reserved": "🔒 Reserved",
        "availability_sold": "✅ Sold",
        "relay_sent_to_seller": (
            "✓ Sent to the seller. Everything you write here goes to them until you press "
            "⏹ End under my messages."
        ),
        "relay_sent_to_buyer": (
            "✓ Sent to the buyer. Everything you write here goes to them until you press "
            "⏹ End under my messages."
        ),
        "conversation_ended": "⏹ The conversation about «{title}» has ended.",
        "buyer_blocked": (
            "🚫 Buyer {number} is blocked: you will not get their messages about your listings."
        ),
        "marked_sold": "✅ «{title}» is marked as sold.",
        "marked_reserved": "🔒 «{title}» is marked as reserved.",
        "marked_available": "🟢 «{title}» is for sale again.",
        "renewed": "🔄 «{title}» stays in search until {date}.",
        "report_prompt": "⚠️ What is wrong with «{title}»?",
        "report_reason_fraud": "Fraud",
        "report_reason_prohibited": "Prohibited item",
        "report_reason_misleading": "Wrong price, photos or text",
        "report_reason_duplicate": "Duplicate",
        "report_reason_offensive": "Offensive",
        "report_reason_other": "Something else",
        "report_sent": "⚠️ Thank you: the moderators will look at «{title}».",
        "button_write_seller": "✉️ Write to the seller",
        "button_report": "⚠️ Report",
        "button_open_listing": "🛍 Open the listing",
        "listing_card": "🛍 <b>{title}</b>\n{price} · {city} · {category}",
        "listing_card_mine": "📊 Your listing: {views} people looked, {contacts} wrote.",
        "listing_gone": "😕 This listing is no longer available. Look for others: /search",
        "category_electronics": "Electronics",
        "category_vehicles": "Vehicles",
        "category_home": "Home and garden",
        "category_clothing": "Clothing",
        "category_kids": "Kids",
        "category_hobby": "Hobbies",
        "category_services": "Services",
        "category_realty": "Real estate",
        "category_other": "Other",
        "moderation_summary": "🛡 <b>Moderation</b>: {pending} waiting, {reported} reported.",
        "moderation_empty": "✅ No listing waits for moderation.",
        "moderation_card": "<b>{title}</b>\n{price} · {city} · {category}\n📷 {photos}",
        "moderation_approve": "✅ Approve",
        "moderation_reject": "❌ Reject",
        "moderation_next": "⏭ Next",
        "moderation_cancel": "↩️ Cancel",
        "moderation_open_app": "📱 Moderation in the Mini App",
        "moderation_approved": "✅ Approved: «{title}».",
        "moderation_rejected": "❌ Rejected: «{title}».",
        "moderation_reason_prompt": (
            "✍️ Write why «{title}» is rejected ({min}–{max} characters): the author reads it."
        ),
        "moderation_reason_length": (
            "The reason must be {min} to {max} characters long. Write it again."
        ),
        "moderation_reports_note": "⚠️ Reported listings are in the Mini App's moderation.",
        "market_error_own_listing": "🙂 This is your own listing.",
        "market_error_listing_sold": "😕 Sorry, it is sold already.",
        "market_error_listing_not_found": "😕 This listing is no longer available.",
        "market_error_seller_blocked_you": (
            "🙏 The seller is not taking messages from you about their listings. "
            "There are many others in search: /search"
        ),
        "market_error_too_many_inquiries": (
            "You have started {max} conversations today, the most I allow. Continue one of "
            "them, or try again tomorrow."
        ),
        "market_error_inquiry_closed": (
            "⏹ This conversation has ended. To write again, press «Write to the seller» "
            "under the listing."
        ),
        "market_error_inquiry_not_found": "This conversation no longer exists.",
        "market_error_too_many_messages": (
            "🐢 Slow down: at most {max} messages in {minutes} minutes in one conversation."
        ),
        "market_error_only_the_seller": "Only the seller can do that.",
        "market_error_already_reported": (
            "You reported this listing already: the moderators have it."
        ),
        "market_error_listing_not_published": "Only a published listing can be marked.",
        "market_error_listing_not_renewable": "This listing cannot be renewed any more.",
        "market_error_listing_not_pending": "This listing no longer waits for moderation.",
        "market_error_listing_changed": "The author changed it while you looked: here it is again.",
        "market_error_other": "😔 That did not work. Try again in the Mini App.",
        # --- watch desk: appointment slots ------------------------------------------
        "command_watch": "Watch an office for free appointment slots",
        "command_watches": "My slot watches: pause, resume, remove",
        "command_watchsettings": "How I tell you of slots: instant or digest, quiet hours",
        "command_avito_connect": "Connect an Avito account (landlords)",
        "command_calendar": "Your apartments' calendars on Avito",
        "command_close_dates": "Close dates on Avito",
        "command_open_dates": "Open dates on Avito",
        "command_house_rules": "House rules the guest assistant answers from",
        "command_faq": "Questions and answers for guests of an apartment",
        "command_guest_mode": "How the assistant answers guests: auto, drafts, off",
        "watch_settings_button": "⚙️ Notification settings",
        "watch_settings": (
            "⚙️ <b>How I tell you of slots</b>\n\n"
            "Mode: {mode}\nAt most one message per office every: {cooldown}\n"
            "Quiet hours ({zone}): {quiet}\nRemind until you tap Seen: {repeat}\n"
            "Captcha notices: {captcha}\nDaily digest: {digest}\n\n"
            "Messages in quiet hours or a cooldown wait; they are not lost."
        ),
        "watch_mode_instant": "at once",
        "watch_mode_digest": "daily digest only",
        "watch_off": "off",
        "watch_on": "on",
        "watch_set_mode": "🔔 Mode: {value}",
        "watch_set_cooldown": "⏱ Cooldown: {value}",
        "watch_set_quiet": "🌙 Quiet hours: {value}",
        "watch_set_zone": "🌍 Time zone: {value}",
        "watch_set_repeat": "🔁 Reminders: {value}",
        "watch_set_captcha": "🧩 Captcha notices: {value}",
        "watch_set_digest": "📋 Daily digest: {value}",
        "watch_seen_done": "👀 Seen: no more reminders of this slot.",
        "watch_welcome_back": (
            "🗓 Welcome back! While you had blocked me I paused {n} of your slot watches. "
            "Shall I resume them?"
        ),
        "watch_resume_all": "▶️ Resume my watches",
        "watch_edit": "✏️ Edit {n}",
        "watch_more": "More offices ▶️",
        "watch_back": "◀️ Back",
        "command_unwatch": "Stop watching an office",
        "watch_intro": (
            "🗓 I check the office's official appointment system for you and tell you the "
            "moment a slot opens that suits you, with the link to book it.\n"
            "<i>I never book for you and never solve captchas: bots that grab slots are "
            "why these systems add captchas and block clients. You book yourself, one tap "
            "from my message.</i>"
        ),
        "watch_pick_provider": "Which appointment system?",
        "watch_pick_office": (
            "Pick the office. A long list? Send <code>/watch</code> and a few letters of "
            "its name, e.g. <code>/watch pasing</code>."
        ),
        "watch_no_offices": "I found no office matching «{words}». Try other letters.",
        "watch_no_providers": "No appointment system is set up here yet.",
        "watch_pick_service": "Which service do you need?",
        "watch_pick_range": "How far ahead should I look?",
        "watch_range_days": "The next {days} days",
        "watch_pick_hours": "Which times suit you?",
        "watch_hours_any": "Any day, any time",
        "watch_hours_am": "Weekday mornings (7–12)",
        "watch_hours_pm": "Weekday afternoons (12–19)",
        "watch_created": (
            "✅ Watching: {what}\nI'll tell you when a slot opens. /watches lists your watches."
        ),
        "watch_line": "<b>{office}</b> · {service}, {dates}, {hours}{state}",
        "watch_paused": " (paused)",
        "watch_none": "You watch no office. Start with /watch.",
        "watch_list_header": "🗓 <b>Your watches</b>",
        "watch_pause": "⏸ Pause {n}",
        "watch_resume": "▶️ Resume {n}",
        "watch_remove": "🗑 Remove {n}",
        "watch_refused": "That did not work: the office or service may be gone. Try /watch again.",
        # --- feed desk: channels, training, the personal feed -------------------------
        "command_feed": "My feed: channels, training and the best new posts",
        "feed_onboarding": (
            "📰 <b>Your feed</b>\nPick channels to follow (tap to add), or add your own: "
            "<code>/feed @channel</code>.\n\nFollowing: {channels}"
        ),
        "feed_none_yet": "none yet",
        "feed_add": "➕ Add: {title}",
        "feed_start_training": "▶️ Start training",
        "feed_training": (
            "🎓 <b>Training</b>: {done} of {total} rated.\n"
            "Tell me what you like: 👍, 👎 or skip. One post at a time."
        ),
        "feed_training_post": "🎓 Training {done}/{total} · <b>{channel}</b>\n\n{post}",
        "feed_trained": (
            "✅ <b>Training done.</b> I learn from every rating: your feed gets better as "
            "you go. Next post: /feed"
        ),
        "feed_menu": (
            "📰 <b>Your feed</b> · channels: {channels} · ratings: {ratings}\nRanking: {model}."
        ),
        "feed_model_none": "newest first, until you rate posts",
        "feed_model_content": "by the posts you rated",
        "feed_model_logistic": "by a model trained on your ratings",
        "feed_post": "📰 From <b>{channel}</b>\n\n{post}",
        "feed_media_only": "🖼 (a post without text)",
        "feed_empty": "That's all for now: no unseen posts in your channels. Come back later!",
        "feed_next": "➡️ Next post",
        "feed_skip": "Skip",
        "feed_channel_not_found": "I could not find the channel {ref}.",
        "feed_channel_refused": "I can't follow {ref}: it is private or not a channel.",
        "feed_userbot_away": (
            "I can't check channels right now. Try again later, or pick a suggested one."
        ),
        "feed_userbot_wait": (
            "Telegram asks me to wait {seconds} s before checking channels. Try {ref} again "
            "then, or pick a suggested one."
        ),
        "feed_no_channels": "Pick at least one channel first.",
        "feed_too_many": "⏳ Too many ratings at once. Wait a minute, then go on.",
        # --- the MCP surface (concierge.bot.mcp): tokens for AI agents ----------------------
        "command_mcp_token": "Tokens for AI agents (MCP): make, list, revoke",
        "command_media": "Films and series: find a release, add it to your seedbox",
        "mcp_none": "🤖 You have no tokens for AI agents yet.",
        "mcp_list_header": "🤖 <b>Your tokens for AI agents</b>",
        "mcp_line": "• <b>{name}</b> ({hint}…): {scopes}",
        "mcp_revoke_button": "🗑 Revoke {name}",
        "mcp_usage": (
            "An AI agent (Claude Desktop or any MCP client) can search, answer and look "
            "through listings for you at this Concierge's <code>/mcp</code> address.\n"
            "New token: <code>/mcp_token name [scope …]</code>\n"
            "Revoke: <code>/mcp_token revoke name</code>\n"
            "Scopes: {scopes} (default: every :read one)."
        ),
        "mcp_issued": (
            "🔑 Token <b>{name}</b> ({scopes}):\n\n<code>{token}</code>\n\n"
            "Copy it into your agent's settings now: I show it only this once. Send it as "
            "<code>Authorization: Bearer …</code>; anyone who has it acts as you."
        ),
        "mcp_bad_scope": "I don't know that scope. Scopes: {scopes}.",
        "mcp_bad_name": "A name is up to 40 letters, digits, _ . or -, e.g. /mcp_token laptop",
        "mcp_refused": "❌ Not made: {reason}",
        "mcp_not_found": "You have no live token named «{name}». /mcp_token lists them.",
        "mcp_revoked": "🗑 Token <b>{name}</b> is revoked: agents using it are refused now.",
        "mcp_private_only": "🤖 Write /mcp_token to me in a private chat: a token is a secret.",
    },
    Language.RU: {
        "welcome": (
            "👋 Здравствуйте, {name}!\n\n"
            "Я <b>Concierge</b>, ваш помощник в Telegram. "
            "Выберите, что нужно, ниже или наберите /help в любой момент."
        ),
        "menu": "🏠 <b>Главное меню</b>\nЧто будем делать?",
        "help_header": "ℹ️ <b>Помощь</b>",
        "help_footer": (
            "Или просто напишите: несколько слов — это поиск, вопрос — получит ответ, "
            "а «ищу…» — поиск по объявлениям.\n"
            "Кнопки под сообщениями делают то же самое; я обновлю сообщение на месте."
        ),
        "help_admin_header": "<b>Для администраторов</b>",
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
        "search_listing_line": "🛍 {price} · {city}{availability}",
        "button_language": "🌐 Language: English",
        "button_help": "❓ Помощь",
        "button_menu": "⬅️ Меню",
        "command_start": "Начать сначала и показать меню",
        "command_menu": "Главное меню",
        "command_help": "Как пользоваться ботом",
        "command_language": "Сменить язык",
        # --- the market desk (concierge.bot.market, groups) -------------------------------
        "thanks_reply": "😊 Пожалуйста! Пишите, когда что-нибудь понадобится.",
        "goodbye_reply": "👋 До встречи! Я здесь, когда понадоблюсь.",
        "search_too_long": (
            "✂️ Это слишком длинно для меня: я читаю не больше {limit} символов за раз. "
            "Сократите текст или напишите в нескольких словах, что ищете."
        ),
        "menu_button": "🛍 Маркет",
        "command_moderation": "Объявления на модерации",
        "command_sources": "Источники постов и статей",
        "button_moderation": "🛡 Модерация ({count})",
        "search_write_seller": "✉️ Продавцу {n}",
        "availability_reserved": "🔒 Забронировано",
        "availability_sold": "✅ Продано",
        "relay_sent_to_seller": (
            "✓ Отправлено продавцу. Всё, что вы пишете здесь, уйдёт ему, пока вы не нажмёте "
            "⏹ «Завершить» под моими сообщениями."
        ),
        "relay_sent_to_buyer": (
            "✓ Отправлено покупателю. Всё, что вы пишете здесь, уйдёт ему, пока вы не "
            "нажмёте ⏹ «Завершить» под моими сообщениями."
        ),
        "conversation_ended": "⏹ Разговор о «{title}» завершён.",
        "buyer_blocked": (
            "🚫 Покупатель {number} заблокирован: его сообщения о ваших объявлениях больше "
            "не придут."
        ),
        "marked_sold": "✅ «{title}» отмечено как проданное.",
        "marked_reserved": "🔒 «{title}» отмечено как забронированное.",
        "marked_available": "🟢 «{title}» снова в продаже.",
        "renewed": "🔄 «{title}» останется в поиске до {date}.",
        "report_prompt": "⚠️ Что не так с «{title}»?",
        "report_reason_fraud": "Мошенничество",
        "report_reason_prohibited": "Запрещённый товар",
        "report_reason_misleading": "Неверные цена, фото или текст",
        "report_reason_duplicate": "Дубликат",
        "report_reason_offensive": "Оскорбительное",
        "report_reason_other": "Другое",
        "report_sent": "⚠️ Спасибо: модераторы проверят «{title}».",
        "button_write_seller": "✉️ Написать продавцу",
        "button_report": "⚠️ Пожаловаться",
        "button_open_listing": "🛍 Открыть объявление",
        "listing_card": "🛍 <b>{title}</b>\n{price} · {city} · {category}",
        "listing_card_mine": "📊 Ваше объявление: посмотрели {views}, написали {contacts}.",
        "listing_gone": "😕 Этого объявления больше нет. Поищите другие: /search",
        "category_electronics": "Электроника",
        "category_vehicles": "Транспорт",
        "category_home": "Дом и сад",
        "category_clothing": "Одежда",
        "category_kids": "Детям",
        "category_hobby": "Хобби",
        "category_services": "Услуги",
        "category_realty": "Недвижимость",
        "category_other": "Другое",
        "moderation_summary": (
            "🛡 <b>Модерация</b>: ждут проверки — {pending}, с жалобами — {reported}."
        ),
        "moderation_empty": "✅ Объявлений на модерации нет.",
        "moderation_card": "<b>{title}</b>\n{price} · {city} · {category}\n📷 {photos}",
        "moderation_approve": "✅ Одобрить",
        "moderation_reject": "❌ Отклонить",
        "moderation_next": "⏭ Следующее",
        "moderation_cancel": "↩️ Отмена",
        "moderation_open_app": "📱 Модерация в мини-приложении",
        "moderation_approved": "✅ Одобрено: «{title}».",
        "moderation_rejected": "❌ Отклонено: «{title}».",
        "moderation_reason_prompt": (
            "✍️ Напишите, почему «{title}» отклонено (от {min} до {max} символов): "
            "автор это прочитает."
        ),
        "moderation_reason_length": (
            "Причина должна быть от {min} до {max} символов. Напишите её ещё раз."
        ),
        "moderation_reports_note": "⚠️ Объявления с жалобами — в модерации мини-приложения.",
        "market_error_own_listing": "🙂 Это ваше собственное объявление.",
        "market_error_listing_sold": "😕 Увы, уже продано.",
        "market_error_listing_not_found": "😕 Этого объявления больше нет.",
        "market_error_seller_blocked_you": (
            "🙏 Продавец не принимает от вас сообщения о своих объявлениях. "
            "В поиске много других: /search"
        ),
        "market_error_too_many_inquiries": (
            "Сегодня вы начали уже {max} разговоров — больше нельзя. Продолжите один из "
            "них или попробуйте завтра."
        ),
        "market_error_inquiry_closed": (
            "⏹ Этот разговор завершён. Чтобы написать снова, нажмите «Написать продавцу» "
            "под объявлением."
        ),
        "market_error_inquiry_not_found": "Этого разговора больше нет.",
        "market_error_too_many_messages": (
            "🐢 Не так быстро: не больше {max} сообщений за {minutes} минут в одном разговоре."
        ),
        "market_error_only_the_seller": "Это может сделать только продавец.",
        "market_error_already_reported": (
            "Вы уже пожаловались на это объявление: модераторы в курсе."
        ),
        "market_error_listing_not_published": "Отметить можно только опубликованное объявление.",
        "market_error_listing_not_renewable": "Это объявление больше нельзя продлить.",
        "market_error_listing_not_pending": "Это объявление уже не ждёт модерации.",
        "market_error_listing_changed": (
            "Автор изменил объявление, пока вы смотрели: вот оно снова."
        ),
        "market_error_other": "😔 Не получилось. Попробуйте в мини-приложении.",
        # --- watch desk: appointment slots ------------------------------------------
        "command_watch": "Следить за свободными окнами записи в ведомство",
        "command_watches": "Мои наблюдения: пауза, продолжение, удаление",
        "command_watchsettings": "Как я сообщаю об окнах: сразу или сводкой, тихие часы",
        "command_avito_connect": "Подключить аккаунт Avito (для хозяев жилья)",
        "command_calendar": "Календари ваших квартир на Avito",
        "command_close_dates": "Закрыть даты на Avito",
        "command_open_dates": "Открыть даты на Avito",
        "command_house_rules": "Правила дома, по которым ассистент отвечает гостям",
        "command_faq": "Вопросы и ответы для гостей квартиры",
        "command_guest_mode": "Как ассистент отвечает гостям: сам, черновики, выключен",
        "watch_settings_button": "⚙️ Настройки уведомлений",
        "watch_settings": (
            "⚙️ <b>Как я сообщаю об окнах</b>\n\n"
            "Режим: {mode}\nНе чаще одного сообщения по ведомству раз в: {cooldown}\n"
            "Тихие часы ({zone}): {quiet}\nНапоминать, пока не нажмёте «Видел»: {repeat}\n"
            "Сообщать о капче: {captcha}\nЕжедневная сводка: {digest}\n\n"
            "Сообщения в тихие часы и в паузе ждут, а не теряются."
        ),
        "watch_mode_instant": "сразу",
        "watch_mode_digest": "только ежедневная сводка",
        "watch_off": "выкл.",
        "watch_on": "вкл.",
        "watch_set_mode": "🔔 Режим: {value}",
        "watch_set_cooldown": "⏱ Пауза: {value}",
        "watch_set_quiet": "🌙 Тихие часы: {value}",
        "watch_set_zone": "🌍 Часовой пояс: {value}",
        "watch_set_repeat": "🔁 Напоминания: {value}",
        "watch_set_captcha": "🧩 О капче: {value}",
        "watch_set_digest": "📋 Сводка: {value}",
        "watch_seen_done": "👀 Видел: больше не напоминаю об этом окне.",
        "watch_welcome_back": (
            "🗓 С возвращением! Пока я был заблокирован, я приостановил ваши наблюдения "
            "за окнами ({n}). Возобновить их?"
        ),
        "watch_resume_all": "▶️ Возобновить наблюдения",
        "watch_edit": "✏️ Изменить {n}",
        "watch_more": "Ещё ведомства ▶️",
        "watch_back": "◀️ Назад",
        "command_unwatch": "Перестать следить за ведомством",
        "watch_intro": (
            "🗓 Я проверяю официальную систему записи за вас и сообщаю, как только "
            "появится подходящее окно, со ссылкой для записи.\n"
            "<i>Я никогда не записываю за вас и не решаю капчи: из-за ботов, которые "
            "разбирают окна, такие системы и ставят капчи и блокируют клиентов. Вы "
            "записываетесь сами, в одно касание из моего сообщения.</i>"
        ),
        "watch_pick_provider": "Какая система записи?",
        "watch_pick_office": (
            "Выберите ведомство. Длинный список? Отправьте <code>/watch</code> и несколько "
            "букв названия, например <code>/watch pasing</code>."
        ),
        "watch_no_offices": "Не нашёл ведомство по запросу «{words}». Попробуйте другие буквы.",
        "watch_no_providers": "Здесь пока не настроена ни одна система записи.",
        "watch_pick_service": "Какая услуга вам нужна?",
        "watch_pick_range": "На сколько вперёд смотреть?",
        "watch_range_days": "Ближайшие {days} дней",
        "watch_pick_hours": "Какое время вам подходит?",
        "watch_hours_any": "Любой день, любое время",
        "watch_hours_am": "Будни, утро (7–12)",
        "watch_hours_pm": "Будни, день (12–19)",
        "watch_created": (
            "✅ Слежу: {what}\nСообщу, когда появится окно. Список наблюдений: /watches."
        ),
        "watch_line": "<b>{office}</b> · {service}, {dates}, {hours}{state}",
        "watch_paused": " (на паузе)",
        "watch_none": "Вы ни за чем не следите. Начните с /watch.",
        "watch_list_header": "🗓 <b>Ваши наблюдения</b>",
        "watch_pause": "⏸ Пауза {n}",
        "watch_resume": "▶️ Продолжить {n}",
        "watch_remove": "🗑 Удалить {n}",
        "watch_refused": (
            "Не получилось: ведомства или услуги, возможно, больше нет. Попробуйте /watch снова."
        ),
        # --- feed desk: channels, training, the personal feed -------------------------
        "command_feed": "Моя лента: каналы, обучение и лучшие новые посты",
        "feed_onboarding": (
            "📰 <b>Ваша лента</b>\nВыберите каналы (нажмите, чтобы добавить) или добавьте "
            "свой: <code>/feed @канал</code>.\n\nВы читаете: {channels}"
        ),
        "feed_none_yet": "пока ничего",
        "feed_add": "➕ Добавить: {title}",
        "feed_start_training": "▶️ Начать обучение",
        "feed_training": (
            "🎓 <b>Обучение</b>: оценено {done} из {total}.\n"
            "Скажите, что вам нравится: 👍, 👎 или «Пропустить». По одному посту."
        ),
        "feed_training_post": "🎓 Обучение {done}/{total} · <b>{channel}</b>\n\n{post}",
        "feed_trained": (
            "✅ <b>Обучение завершено.</b> Я учусь на каждой оценке: лента становится "
            "точнее. Следующий пост: /feed"
        ),
        "feed_menu": (
            "📰 <b>Ваша лента</b> · каналов: {channels} · оценок: {ratings}\nПорядок: {model}."
        ),
        "feed_model_none": "сначала новые, пока вы не оценили посты",
        "feed_model_content": "по постам, которые вы оценили",
        "feed_model_logistic": "модель, обученная на ваших оценках",
        "feed_post": "📰 Из канала <b>{channel}</b>\n\n{post}",
        "feed_media_only": "🖼 (пост без текста)",
        "feed_empty": "Пока всё: в ваших каналах нет непрочитанных постов. Загляните позже!",
        "feed_next": "➡️ Следующий пост",
        "feed_skip": "Пропустить",
        "feed_channel_not_found": "Не нашёл канал {ref}.",
        "feed_channel_refused": "Не могу читать {ref}: он закрытый или это не канал.",
        "feed_userbot_away": (
            "Сейчас не могу проверить каналы. Попробуйте позже или выберите из предложенных."
        ),
        "feed_userbot_wait": (
            "Telegram просит подождать {seconds} с, прежде чем проверять каналы. Попробуйте "
            "{ref} снова через это время или выберите из предложенных."
        ),
        "feed_no_channels": "Сначала выберите хотя бы один канал.",
        "feed_too_many": "⏳ Слишком много оценок сразу. Подождите минуту и продолжайте.",
        # --- MCP: токены для ИИ-агентов ------------------------------------------------------
        "command_mcp_token": "Токены для ИИ-агентов (MCP): создать, список, отозвать",
        "command_media": "Фильмы и сериалы: найти раздачу и добавить на сидбокс",
        "mcp_none": "🤖 У вас пока нет токенов для ИИ-агентов.",
        "mcp_list_header": "🤖 <b>Ваши токены для ИИ-агентов</b>",
        "mcp_line": "• <b>{name}</b> ({hint}…), права: {scopes}",
        "mcp_revoke_button": "🗑 Отозвать {name}",
        "mcp_usage": (
            "ИИ-агент (Claude Desktop или любой MCP-клиент) может искать, отвечать на "
            "вопросы и смотреть объявления за вас по адресу <code>/mcp</code> этого "
            "Concierge.\n"
            "Новый токен: <code>/mcp_token имя [право …]</code>\n"
            "Отозвать: <code>/mcp_token revoke имя</code>\n"
            "Права: {scopes} (по умолчанию все :read)."
        ),
        "mcp_issued": (
            "🔑 Токен <b>{name}</b> ({scopes}):\n\n<code>{token}</code>\n\n"
            "Скопируйте его в настройки агента сейчас: я показываю его только один раз. "
            "Агент шлёт его как <code>Authorization: Bearer …</code>; у кого он есть, "
            "действует от вашего имени."
        ),
        "mcp_bad_scope": "Такого права нет. Права: {scopes}.",
        "mcp_bad_name": "Имя: до 40 букв, цифр, _ . или -, например /mcp_token laptop",
        "mcp_refused": "❌ Не создан: {reason}",
        "mcp_not_found": "У вас нет действующего токена «{name}». /mcp_token покажет список.",
        "mcp_revoked": "🗑 Токен <b>{name}</b> отозван: агенты с ним больше не пройдут.",
        "mcp_private_only": "🤖 Напишите /mcp_token мне в личном чате: токен — это секрет.",
    },
}

LANGUAGE_NAMES = {Language.RU: "🇷🇺 Русский", Language.EN: "🇬🇧 English"}


def text(language: Language, key: str, **values: str) -> str:
    template = TEXTS[language][key]
    return template.format(**values) if values else template


# The watch desk also speaks German (a city where German is the official language):
# to people whose Telegram is German and who read the bot in English. A key missing
# here falls back to English.
GERMAN = "de"
WATCH_DE: dict[str, str] = {
    "watch_intro": (
        "🗓 Ich prüfe das offizielle Terminsystem der Behörde für Sie und melde mich, "
        "sobald ein passender Termin frei wird, mit dem Link zum Buchen.\n"
        "<i>Ich buche nie für Sie und löse nie Captchas: Bots, die Termine wegschnappen, "
        "sind der Grund, warum diese Systeme Captchas einführen und Clients sperren. Sie "
        "buchen selbst, mit einem Tipp aus meiner Nachricht.</i>"
    ),
    "watch_pick_provider": "Welches Terminsystem?",
    "watch_pick_office": (
        "Wählen Sie die Behörde. Eine lange Liste? Senden Sie <code>/watch</code> und ein "
        "paar Buchstaben des Namens, z. B. <code>/watch pasing</code>."
    ),
    "watch_no_offices": (
        "Ich habe keine Behörde zu «{words}» gefunden. Versuchen Sie andere Buchstaben."
    ),
    "watch_no_providers": "Hier ist noch kein Terminsystem eingerichtet.",
    "watch_pick_service": "Welche Dienstleistung brauchen Sie?",
    "watch_pick_range": "Wie weit im Voraus soll ich suchen?",
    "watch_range_days": "Die nächsten {days} Tage",
    "watch_pick_hours": "Welche Zeiten passen Ihnen?",
    "watch_hours_any": "Jeder Tag, jede Zeit",
    "watch_hours_am": "Werktags vormittags (7–12)",
    "watch_hours_pm": "Werktags nachmittags (12–19)",
    "watch_created": (
        "✅ Beobachte: {what}\nIch melde mich, sobald ein Termin frei wird. "
        "/watches zeigt Ihre Beobachtungen."
    ),
    "watch_line": "<b>{office}</b> · {service}, {dates}, {hours}{state}",
    "watch_paused": " (pausiert)",
    "watch_none": "Sie beobachten keine Behörde. Beginnen Sie mit /watch.",
    "watch_list_header": "🗓 <b>Ihre Beobachtungen</b>",
    "watch_pause": "⏸ Pause {n}",
    "watch_resume": "▶️ Fortsetzen {n}",
    "watch_remove": "🗑 Entfernen {n}",
    "watch_refused": (
        "Das hat nicht geklappt: Die Behörde oder Dienstleistung gibt es vielleicht nicht "
        "mehr. Versuchen Sie /watch erneut."
    ),
    "watch_settings_button": "⚙️ Benachrichtigungen",
    "watch_settings": (
        "⚙️ <b>Wie ich Ihnen Termine melde</b>\n\n"
        "Modus: {mode}\nHöchstens eine Nachricht pro Behörde alle: {cooldown}\n"
        "Ruhezeiten ({zone}): {quiet}\nErinnern, bis Sie auf Gesehen tippen: {repeat}\n"
        "Captcha-Hinweise: {captcha}\nTägliche Übersicht: {digest}\n\n"
        "Nachrichten in Ruhezeiten oder Pausen warten; sie gehen nicht verloren."
    ),
    "watch_mode_instant": "sofort",
    "watch_mode_digest": "nur tägliche Übersicht",
    "watch_off": "aus",
    "watch_on": "an",
    "watch_set_mode": "🔔 Modus: {value}",
    "watch_set_cooldown": "⏱ Pause: {value}",
    "watch_set_quiet": "🌙 Ruhezeiten: {value}",
    "watch_set_zone": "🌍 Zeitzone: {value}",
    "watch_set_repeat": "🔁 Erinnerungen: {value}",
    "watch_set_captcha": "🧩 Captcha-Hinweise: {value}",
    "watch_set_digest": "📋 Tägliche Übersicht: {value}",
    "watch_seen_done": "👀 Gesehen: keine Erinnerungen mehr an diesen Termin.",
    "watch_welcome_back": (
        "🗓 Willkommen zurück! Während ich blockiert war, habe ich {n} Ihrer "
        "Terminbeobachtungen pausiert. Soll ich sie fortsetzen?"
    ),
    "watch_resume_all": "▶️ Beobachtungen fortsetzen",
    "watch_edit": "✏️ Ändern {n}",
    "watch_more": "Weitere Behörden ▶️",
    "watch_back": "◀️ Zurück",
}


def watch_text(speech: str, key: str, **values: str) -> str:
    """A watch desk text in ``speech`` (``Language`` or ``GERMAN``; German falls back
    to English for a key it lacks)."""
    if speech == GERMAN:
        template = WATCH_DE.get(key, TEXTS[Language.EN][key])
        return template.format(**values) if values else template
    return text(Language(speech), key, **values)


# The rentals desk (Avito landlords), Russian and English.
RENTALS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "ask_client_id": "🔑 Connect an Avito account. Send the <b>client_id</b> of your Avito "
        "API app (avito.ru/professionals/api). /cancel stops.",
        "ask_secret": "Now send the <b>client_secret</b>. I delete that message at once and "
        "store the secret encrypted.",
        "checking": "Checking the keys with Avito…",
        "connected": "✅ Connected: <b>{name}</b>. Items imported: {items}. /calendar shows them.",
        "refused": "❌ Avito did not accept these keys. Check them and try /avito_connect again.",
        "unavailable": "Avito cannot be reached now. Try again in a few minutes.",
        "cancelled": "Cancelled.",
        "no_items": "No Avito items yet. Connect an account: /avito_connect",
        "pick_item": "Which apartment?",
        "all_calendars": "🗓 All calendars side by side",
        "legend": "🟩 free  ⬛ closed  🟥 booked",
        "pick_start": "{action}: tap the first day.",
        "pick_end": "{action}: first day {start}. Now tap the last day.",
        "action_close": "Close dates",
        "action_open": "Open dates",
        "preview": "{action} {start} – {end}:\ncloses {closes} dates, opens {opens}. Confirm?",
        "confirm": "✅ Confirm",
        "cancel": "✖️ Cancel",
        "written": "✅ Done: closed {closed}, opened {opened}.",
        "refused_change": "❌ Not changed: {reason}",
        "expired": "This choice expired. Start again.",
    },
    Language.RU: {
        "ask_client_id": "🔑 Подключим аккаунт Avito. Пришлите <b>client_id</b> вашего "
        "приложения Avito API (avito.ru/professionals/api). /cancel — отмена.",
        "ask_secret": "Теперь пришлите <b>client_secret</b>. Это сообщение я сразу удалю, а "
        "секрет сохраню в зашифрованном виде.",
        "checking": "Проверяю ключи в Avito…",
        "connected": "✅ Подключено: <b>{name}</b>. Объявлений импортировано: {items}. "
        "Календарь: /calendar",
        "refused": "❌ Avito не принял эти ключи. Проверьте их и повторите /avito_connect.",
        "unavailable": "Avito сейчас недоступен. Попробуйте через несколько минут.",
        "cancelled": "Отменено.",
        "no_items": "Объявлений Avito пока нет. Подключите аккаунт: /avito_connect",
        "pick_item": "Какая квартира?",
        "all_calendars": "🗓 Все календари рядом",
        "legend": "🟩 свободно  ⬛ закрыто  🟥 бронь",
        "pick_start": "{action}: нажмите первый день.",
        "pick_end": "{action}: первый день {start}. Теперь нажмите последний день.",
        "action_close": "Закрыть даты",
        "action_open": "Открыть даты",
        "preview": "{action} {start} – {end}:\nзакроет дат: {closes}, откроет: {opens}. "
        "Подтвердить?",
        "confirm": "✅ Подтвердить",
        "cancel": "✖️ Отмена",
        "written": "✅ Готово: закрыто {closed}, открыто {opened}.",
        "refused_change": "❌ Не изменено: {reason}",
        "expired": "Этот выбор устарел. Начните заново.",
    },
}


def rentals_text(language: Language, key: str, **values: str) -> str:
    template = RENTALS[language][key]
    return template.format(**values) if values else template
