"""The legacy Markdown parse mode: ``*bold*``, ``_italic_``, code and links, no nesting."""

from __future__ import annotations

from concierge.sandbox.telegram.formatting.common import (
    Output,
    byte_offset,
    check_link,
    parse_error,
    read_pre_language,
    skip_one_newline,
)
from concierge.sandbox.telegram.text import Entity, FormattedText, sort_entities


def parse_markdown(source: str) -> FormattedText:
    out = Output()
    entities: list[Entity] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and source[index + 1 : index + 2] in ("_", "*", "`", "["):
            out.add(source[index + 1])
            index += 2
        elif char not in "_*`[":
            out.add(char)
            index += 1
        else:
            index = _markdown_entity(source, index, out, entities)
    return FormattedText(out.text(), sort_entities(entities))


def _markdown_entity(source: str, begin: int, out: Output, entities: list[Entity]) -> int:
    """Parse one legacy Markdown entity starting at ``begin``; the index after it."""
    char = source[begin]
    end_char = "]" if char == "[" else char
    index = begin + 1
    is_pre = char == "`" and source.startswith("``", index)
    language = ""
    if is_pre:
        index += 2
        language = read_pre_language(source, index)[1]
        index = skip_one_newline(source, index + len(language))
    start_offset, start_part = out.offset, len(out.parts)
    while index < len(source) and (
        source[index] != end_char or (is_pre and not source.startswith("``", index + 1))
    ):
        out.add(source[index])
        index += 1
    if index >= len(source):
        at = byte_offset(source, begin)
        raise parse_error(f"Can't find end of the entity starting at byte offset {at}")
    length = out.offset - start_offset
    if length > 0:
        if char == "[":
            url, index = _markdown_url(source, index, out.since(start_part))
            if url is not None:
                entities.append(Entity("text_link", start_offset, length, url=url))
        elif char == "`":
            kind = "pre" if is_pre else "code"
            entities.append(Entity(kind, start_offset, length, language=language or None))
        else:
            kind = "italic" if char == "_" else "bold"
            entities.append(Entity(kind, start_offset, length))
    if is_pre:
        index += 2
    return index + 1


def _markdown_url(source: str, index: int, label: str) -> tuple[str | None, int]:
    if source[index + 1 : index + 2] != "(":
        return check_link(label), index
    index += 2
    start = index
    while index < len(source) and source[index] != ")":
        index += 1
    return check_link(source[start:index]), index
