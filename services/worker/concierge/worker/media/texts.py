"""What the watcher tells people (Russian and English). Names come from trackers: they
are escaped, never markup."""

from __future__ import annotations

import html

from concierge.contracts.notify import InlineButton, InlineKeyboard, MessagePayload

MAX_NAME = 200

TEXTS = {
    "done": {
        "en": "✅ Download finished: <b>{name}</b>",
        "ru": "✅ Загрузка завершена: <b>{name}</b>",
    },
    "done_rate": {
        "en": "✅ Download finished: <b>{name}</b>\nOnce you have watched it, rate it (1–10):",
        "ru": "✅ Загрузка завершена: <b>{name}</b>\nКогда посмотрите, оцените (1–10):",
    },
    "stalled": {
        "en": (
            "⏸ The download has not moved for {hours} h: <b>{name}</b> ({percent}%). "
            "It may have no seeders left: wait, or remove it and pick another release."
        ),
        "ru": (
            "⏸ Загрузка стоит уже {hours} ч: <b>{name}</b> ({percent}%). "
            "Возможно, у раздачи не осталось сидов: подождите или удалите её и выберите "
            "другую раздачу."
        ),
    },
}


def rating_keyboard(download_id: int) -> InlineKeyboard:
    """1–10 in two rows; the bot's media buttons take ``md:rd:<download id>:<rating>``."""
    return InlineKeyboard(
        inline_keyboard=[
            [
                InlineButton(text=str(n), callback_data=f"md:rd:{download_id}:{n}")
                for n in range(start, start + 5)
            ]
            for start in (1, 6)
        ]
    )


def message(
    event: str, language: str, name: str, rate_id: int | None = None, **values: object
) -> MessagePayload:
    """``rate_id``: the download whose title the person may rate (the "done" message)."""
    short = name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
    if rate_id is not None:
        event = f"{event}_rate"
    template = TEXTS[event]["ru" if language == "ru" else "en"]
    return MessagePayload(
        text=template.format(name=html.escape(short, quote=False), **values),
        parse_mode="HTML",
        reply_markup=rating_keyboard(rate_id) if rate_id is not None else None,
    )
