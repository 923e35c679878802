"""The guest assistant's words in the bot, Russian and English."""

from __future__ import annotations

from concierge.contracts.identity import Language

GUEST: dict[Language, dict[str, str]] = {
    Language.EN: {
        "pick_item": "Which apartment?",
        "no_items": "No Avito items yet. Connect an account: /avito_connect",
        "unavailable": "The service cannot be reached now. Try again in a few minutes.",
        "refused": "❌ Not done: {reason}",
        "ask_rules": "Current house rules:\n{rules}\n\nSend the new house rules as one "
        "message (one rule a line). The assistant answers guests from them.",
        "rules_saved": "✅ House rules saved.",
        "ask_faq": "FAQ:\n{faq}\n\nSend a new entry: the question ending with «?» and the "
        "answer after it, or the question on the first line and the answer below.",
        "faq_format": "Send «question? answer», or the question and the answer on two lines.",
        "faq_saved": "✅ Added to the FAQ.",
        "pick_mode": "How should the assistant answer guests of this apartment?",
        "mode_auto": "Answer by itself",
        "mode_draft": "Propose replies to me",
        "mode_off": "Off",
        "mode_set": "✅ Mode: {mode}",
        "sent": "✅ Sent to the guest ({parts} message(s)).",
        "skipped": "Skipped: nothing was sent.",
        "ask_edit": "Send the reply as the guest should get it.",
        "resumed": "✅ The assistant answers in this chat again.",
        "expired": "⌛ This proposed reply expired: nothing was sent. Answer the guest in Avito.",
        "tz_button": "🕒 Time zone: {zone}",
        "ask_tz": "Time zone now: {zone}. Quiet hours and the «arrivals tomorrow» digest are "
        "in this zone. Send its name as in the IANA database, e.g. Europe/Moscow, "
        "Europe/Kaliningrad, Asia/Yekaterinburg, Asia/Vladivostok.",
        "tz_set": "✅ Time zone: {zone}",
        "pick_booking": "Which booking is this guest's?",
        "no_bookings": "The apartment has no current or upcoming bookings (as last polled "
        "from Avito).",
        "unlink": "Unlink",
        "link": "🔗 Link booking",
        "all_settings": "⚙️ All assistant settings",
        "linked": "✅ The chat is linked to the booking. The assistant speaks of it to this guest "
        "and stores their arrival time on it.",
        "unlinked": "✅ The chat is not linked to a booking.",
    },
    Language.RU: {
        "pick_item": "Какая квартира?",
        "no_items": "Объявлений Avito пока нет. Подключите аккаунт: /avito_connect",
        "unavailable": "Сервис сейчас недоступен. Попробуйте через несколько минут.",
        "refused": "❌ Не выполнено: {reason}",
        "ask_rules": "Сейчас правила дома:\n{rules}\n\nПришлите новые правила одним "
        "сообщением (по правилу в строке). Ассистент отвечает гостям по ним.",
        "rules_saved": "✅ Правила дома сохранены.",
        "ask_faq": "Вопросы и ответы:\n{faq}\n\nПришлите новую запись: вопрос со знаком «?» и "
        "ответ после него, или вопрос в первой строке и ответ ниже.",
        "faq_format": "Пришлите «вопрос? ответ» или вопрос и ответ двумя строками.",
        "faq_saved": "✅ Добавлено в вопросы и ответы.",
        "pick_mode": "Как ассистенту отвечать гостям этой квартиры?",
        "mode_auto": "Отвечать самому",
        "mode_draft": "Предлагать ответы мне",
        "mode_off": "Выключен",
        "mode_set": "✅ Режим: {mode}",
        "sent": "✅ Отправлено гостю (сообщений: {parts}).",
        "skipped": "Пропущено: ничего не отправлено.",
        "ask_edit": "Пришлите ответ так, как его должен получить гость.",
        "resumed": "✅ Ассистент снова отвечает в этом чате.",
        "expired": "⌛ Предложенный ответ устарел: ничего не отправлено. Ответьте гостю в Авито.",
        "tz_button": "🕒 Часовой пояс: {zone}",
        "ask_tz": "Сейчас часовой пояс: {zone}. Тихие часы и сводка «завтра заезды» считаются "
        "в нём. Пришлите его название из базы IANA, например Europe/Moscow, "
        "Europe/Kaliningrad, Asia/Yekaterinburg, Asia/Vladivostok.",
        "tz_set": "✅ Часовой пояс: {zone}",
        "pick_booking": "Какое бронирование у этого гостя?",
        "no_bookings": "У квартиры нет текущих и будущих бронирований (по последнему опросу "
        "Авито).",
        "unlink": "Отвязать",
        "link": "🔗 Привязать бронь",
        "all_settings": "⚙️ Все настройки ассистента",
        "linked": "✅ Чат привязан к бронированию. Ассистент говорит гостю о нём и записывает "
        "в него время заезда.",
        "unlinked": "✅ Чат не привязан к бронированию.",
    },
}


def guest_text(language: Language, key: str, **values: str) -> str:
    template = GUEST[language][key]
    return template.format(**values) if values else template
