"""What the watcher tells people (Russian and English). Names come from trackers: they
are escaped, never markup."""

from __future__ import annotations

import html

from concierge.contracts.notify import MessagePayload

MAX_NAME = 200

TEXTS = {
    "done": {
        "en": "✅ Download finished: <b>{name}</b>",
        "ru": "✅ Загрузка завершена: <b>{name}</b>",
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


def message(event: str, language: str, name: str, **values: object) -> MessagePayload:
    short = name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
    template = TEXTS[event]["ru" if language == "ru" else "en"]
    return MessagePayload(
        text=template.format(name=html.escape(short, quote=False), **values), parse_mode="HTML"
    )
