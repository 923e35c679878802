"""Message text with entities, measured in UTF-16 code units as the Bot API does."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"offset": self.offset, "length": self.length, "type": self.type}
        if self.url is not None:
            body["url"] = self.url
        if self.language:
            body["language"] = self.language
        if self.custom_emoji_id is not None:
            body["custom_emoji_id"] = self.custom_emoji_id
        return body


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: tuple[Entity, ...] = ()

    def entities_json(self) -> list[dict[str, Any]]:
        return [entity.to_json() for entity in self.entities]


def sort_entities(entities: list[Entity]) -> tuple[Entity, ...]:
    return tuple(sorted(entities, key=lambda entity: (entity.offset, -entity.length)))


def strip_formatted(formatted: FormattedText) -> FormattedText:
    """Trim surrounding whitespace and clip entities to what remains, as Telegram does."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    clipped = []
    for entity in formatted.entities:
        start = max(entity.offset - shift, 0)
        stop = min(entity.offset + entity.length - shift, end)
        if stop > start:
            clipped.append(replace(entity, offset=start, length=stop - start))
    return FormattedText(stripped, tuple(clipped))


_AUTO_ENTITIES = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?!\w)")),
    ("url", re.compile(r"(?<![\w@/])(?:https?://)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#[^\W\d][\w]{0,255}")),
)


def detect_entities(text: str) -> tuple[Entity, ...]:
    """Entities a Telegram client finds in typed text: commands, links, mentions, hashtags."""
    found: list[Entity] = []
    taken: list[range] = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in taken):
                continue
            taken.append(span)
            offset = utf16_len(text[: match.start()])
            found.append(Entity(kind, offset, utf16_len(match.group())))
    return sort_entities(found)
