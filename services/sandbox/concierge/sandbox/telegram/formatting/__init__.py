"""``parse_mode`` parsing that accepts and refuses what Telegram does.

Ports of the Bot API server's HTML, MarkdownV2 and legacy Markdown parsers:
the same tags, escapes and reserved characters, and the same error texts
(``Bad Request: can't parse entities: ...``, offsets in UTF-8 bytes). Entity
offsets come out in UTF-16 code units.
"""

from __future__ import annotations

from typing import Any

from concierge.sandbox.telegram.errors import bad_request
from concierge.sandbox.telegram.formatting.common import check_link
from concierge.sandbox.telegram.formatting.html import parse_html
from concierge.sandbox.telegram.formatting.markdown import parse_markdown
from concierge.sandbox.telegram.formatting.markdown_v2 import parse_markdown_v2
from concierge.sandbox.telegram.text import Entity, FormattedText, sort_entities, utf16_len

__all__ = [
    "check_link",
    "explicit_entities",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "parse_text",
]


def parse_text(text: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Text and entities from a call's ``text``/``parse_mode``/``entities`` parameters."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    if mode:
        raise bad_request("unsupported parse_mode")
    return FormattedText(text, explicit_entities(entities, text))


def explicit_entities(raw: Any, text: str) -> tuple[Entity, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    found = [_explicit_entity(item, total) for item in raw]
    return sort_entities([entity for entity in found if entity is not None])


def _explicit_entity(item: Any, total: int) -> Entity | None:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise bad_request('can\'t parse MessageEntity: field "type" must be of type String')
    offset, length = item.get("offset"), item.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        raise bad_request('can\'t parse MessageEntity: field "offset" must be of type Number')
    if offset < 0 or length <= 0 or offset + length > total:
        return None
    url = item.get("url") if isinstance(item.get("url"), str) else None
    language = item.get("language") if isinstance(item.get("language"), str) else None
    emoji = item.get("custom_emoji_id")
    return Entity(
        item["type"], offset, length, url, language, str(emoji) if emoji is not None else None
    )
