"""The HTML parse mode: Telegram's tags and entities only."""

from __future__ import annotations

from concierge.sandbox.telegram.formatting.common import (
    SPACES,
    OpenEntity,
    Output,
    byte_offset,
    check_link,
    parse_error,
)
from concierge.sandbox.telegram.text import Entity, FormattedText, sort_entities

HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_HTML_ENTITIES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(source: str) -> FormattedText:
    return _HtmlParser(source).parse()


def _decode_html_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``index``; the ``;`` is optional, as in the Bot API."""
    end = index + 1
    if source[end : end + 1] == "#":
        end += 1
        hexadecimal = source[end : end + 1] == "x"
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(source) and source[end] in digits and end - index < 12:
            end += 1
        code = int(source[start:end], 16 if hexadecimal else 10) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - index >= 10 or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED_HTML_ENTITIES.get(source[index + 1 : end])
        if named is None:
            return None
        char = named
    if source[end : end + 1] == ";":
        end += 1
    return char, end


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0
        self.out = Output()
        self.stack: list[OpenEntity] = []
        self.entities: list[Entity] = []

    def parse(self) -> FormattedText:
        source = self.source
        while self.index < len(source):
            char = source[self.index]
            if char == "&" and (decoded := _decode_html_entity(source, self.index)):
                self.out.add(decoded[0])
                self.index = decoded[1]
            elif char != "<":
                self.out.add(char)
                self.index += 1
            elif source[self.index + 1 : self.index + 2] == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            tag = self.stack[-1].kind
            raise parse_error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        return FormattedText(self.out.text(), sort_entities(self.entities))

    def _at(self, offset: int = 0) -> str:
        return self.source[self.index + offset : self.index + offset + 1]

    def _skip_spaces(self) -> None:
        while self._at() and self._at() in SPACES:
            self.index += 1

    def _start_tag(self) -> None:
        begin = self.index
        at = byte_offset(self.source, begin)
        self.index += 1
        while self._at() and self._at() not in SPACES and self._at() != ">":
            self.index += 1
        if not self._at():
            raise parse_error(f"Unclosed start tag at byte offset {at}")
        tag = self.source[begin + 1 : self.index].lower()
        if tag not in HTML_TAGS:
            raise parse_error(f'Unsupported start tag "{tag}" at byte offset {at}')
        argument = ""
        while True:
            self._skip_spaces()
            if not self._at():
                raise parse_error(f"Unclosed start tag at byte offset {at}")
            if self._at() == ">":
                break
            name, value = self._attribute(tag, at)
            argument = _tag_argument(tag, name.lower(), value) or argument
        self.index += 1
        if tag == "span" and argument != "spoiler":
            raise parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append(OpenEntity(tag, argument, self.out.offset, begin, len(self.out.parts)))

    def _attribute(self, tag: str, at: int) -> tuple[str, str]:
        start = self.index
        while self._at() and self._at() not in SPACES and self._at() not in "=>":
            self.index += 1
        name = self.source[start : self.index]
        if not name:
            raise parse_error(f'Empty attribute name in the tag "{tag}" at byte offset {at}')
        self._skip_spaces()
        if self._at() != "=":
            return name, ""
        self.index += 1
        self._skip_spaces()
        if not self._at():
            raise parse_error(f'Unclosed start tag "{tag}" at byte offset {at}')
        if self._at() in "'\"":
            return name, self._quoted_value()
        return name, self._token_value()

    def _quoted_value(self) -> str:
        quote = self._at()
        self.index += 1
        value: list[str] = []
        while self._at() and self._at() != quote:
            if self._at() == "&" and (decoded := _decode_html_entity(self.source, self.index)):
                value.append(decoded[0])
                self.index = decoded[1]
                continue
            value.append(self._at())
            self.index += 1
        if self._at() == quote:
            self.index += 1
        return "".join(value)

    def _token_value(self) -> str:
        start = self.index
        while self._at() and _is_name_token_char(self._at()):
            self.index += 1
        if self._at() and self._at() not in SPACES and self._at() != ">":
            at = byte_offset(self.source, start)
            raise parse_error(f"Unexpected end of name token at byte offset {at}")
        return self.source[start : self.index].lower()

    def _end_tag(self) -> None:
        begin = self.index
        at = byte_offset(self.source, begin)
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {at}")
        self.index += 2
        while self._at() and self._at() not in SPACES and self._at() != ">":
            self.index += 1
        name = self.source[begin + 2 : self.index].lower()
        self._skip_spaces()
        if self._at() != ">":
            raise parse_error(f"Unclosed end tag at byte offset {at}")
        self.index += 1
        opened = self.stack[-1]
        if name and name != opened.kind:
            raise parse_error(
                f'Unmatched end tag at byte offset {at}, expected "</{opened.kind}>", '
                f'found "</{name}>"'
            )
        if self.out.offset > opened.offset:
            self._close(opened)
        self.stack.pop()

    def _close(self, opened: OpenEntity) -> None:
        offset, length = opened.offset, self.out.offset - opened.offset
        tag = opened.kind
        if tag in _SIMPLE_HTML_ENTITIES:
            self.entities.append(Entity(_SIMPLE_HTML_ENTITIES[tag], offset, length))
        elif tag == "a":
            url = check_link(opened.argument or self.out.since(opened.part_index))
            if url is not None:
                self.entities.append(Entity("text_link", offset, length, url=url))
        elif tag == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise parse_error("Invalid custom emoji identifier specified")
            self.entities.append(
                Entity("custom_emoji", offset, length, custom_emoji_id=opened.argument)
            )
        elif tag == "blockquote":
            kind = "expandable_blockquote" if opened.argument else "blockquote"
            self.entities.append(Entity(kind, offset, length))
        elif tag == "code":
            inside_pre = len(self.stack) >= 2 and self.stack[-2].kind == "pre"
            language = opened.argument if inside_pre else None
            self.entities.append(Entity("code", offset, length, language=language or None))
        elif tag == "pre":
            self._close_pre(offset, length)

    def _close_pre(self, offset: int, length: int) -> None:
        last = self.entities[-1] if self.entities else None
        if last and last.type == "code" and (last.offset, last.length) == (offset, length):
            self.entities[-1] = Entity("pre", offset, length, language=last.language)
        else:
            self.entities.append(Entity("pre", offset, length))


def _is_name_token_char(char: str) -> bool:
    return (char.isascii() and char.isalnum()) or char in ".-"


def _tag_argument(tag: str, name: str, value: str) -> str | None:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "1"
    return None
