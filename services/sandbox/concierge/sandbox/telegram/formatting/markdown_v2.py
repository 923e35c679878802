"""The MarkdownV2 parse mode: reserved characters must be escaped."""

from __future__ import annotations

from concierge.sandbox.telegram.errors import BotApiError
from concierge.sandbox.telegram.formatting.common import (
    OpenEntity,
    Output,
    byte_offset,
    check_link,
    parse_error,
    read_pre_language,
    skip_one_newline,
)
from concierge.sandbox.telegram.text import Entity, FormattedText, sort_entities

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_TYPE_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl",
    "code": "Code", "pre": "Pre", "pre_code": "PreCode", "custom_emoji": "CustomEmoji",
}  # fmt: skip
_CODE_KINDS = frozenset({"code", "pre", "pre_code"})


def parse_markdown_v2(source: str) -> FormattedText:
    return _MarkdownV2Parser(source).parse()


def _reserved_character(char: str) -> BotApiError:
    return parse_error(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


class _MarkdownV2Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0
        self.out = Output()
        self.stack: list[OpenEntity] = []
        self.entities: list[Entity] = []
        self.quote_offset: int | None = None

    def _at(self, offset: int = 0) -> str:
        return self.source[self.index + offset : self.index + offset + 1]

    def parse(self) -> FormattedText:
        while self.index < len(self.source):
            self._step()
        if self.stack:
            opened = self.stack[-1]
            at = byte_offset(self.source, opened.source_index)
            name = _MDV2_TYPE_NAMES[opened.kind]
            raise parse_error(f"Can't find end of {name} entity at byte offset {at}")
        self._close_quote(self.out.offset)
        return FormattedText(self.out.text(), sort_entities(self.entities))

    def _in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind in _CODE_KINDS

    def _step(self) -> None:
        char = self._at()
        line_start = self.index == 0 or self.source[self.index - 1] == "\n"
        if line_start and not self._in_code() and self._quote_line(char):
            return
        following = self._at(1)
        if char == "\\" and following and 0 < ord(following) <= 126:
            self.out.add(following)
            self.index += 2
            return
        reserved = "`" if self._in_code() else _MDV2_RESERVED
        if char not in reserved:
            self.out.add(char)
            self.index += 1
        elif self.stack and self._ends(self.stack[-1].kind):
            self._close()
        else:
            self._open(char)

    def _quote_line(self, char: str) -> bool:
        """Handle ``>`` at a line start; True when the character was consumed."""
        if char == ">":
            if self.quote_offset is None:
                self.quote_offset = self.out.offset
            self.index += 1
            return True
        self._close_quote(self.out.offset - 1)
        return False

    def _close_quote(self, end: int) -> None:
        if self.quote_offset is not None and end > self.quote_offset:
            length = end - self.quote_offset
            self.entities.append(Entity("blockquote", self.quote_offset, length))
        self.quote_offset = None

    def _ends(self, kind: str) -> bool:
        char, following = self._at(), self._at(1)
        return {
            "bold": char == "*",
            "italic": char == "_" and following != "_",
            "code": char == "`",
            "pre": self.source.startswith("```", self.index),
            "pre_code": self.source.startswith("```", self.index),
            "text_link": char == "]",
            "custom_emoji": char == "]",
            "underline": char == "_" and following == "_",
            "strikethrough": char == "~",
            "spoiler": char == "|" and following == "|",
        }[kind]

    def _open(self, char: str) -> None:
        start = self.index
        following = self._at(1)
        argument = ""
        if char == "_":
            kind = "underline" if following == "_" else "italic"
            self.index += 2 if following == "_" else 1
        elif char in "*~[":
            kind = {"*": "bold", "~": "strikethrough", "[": "text_link"}[char]
            self.index += 1
        elif char == "|" and following == "|":
            kind = "spoiler"
            self.index += 2
        elif char == "!" and following == "[":
            kind = "custom_emoji"
            self.index += 2
        elif char == "`" and self.source.startswith("```", self.index):
            self.index += 3
            kind, argument = self._pre_header()
        elif char == "`":
            kind = "code"
            self.index += 1
        else:
            raise _reserved_character(char)
        self.stack.append(OpenEntity(kind, argument, self.out.offset, start, len(self.out.parts)))

    def _pre_header(self) -> tuple[str, str]:
        kind, language = read_pre_language(self.source, self.index)
        self.index += len(language)
        self.index = skip_one_newline(self.source, self.index)
        return kind, language

    def _close(self) -> None:
        opened = self.stack.pop()
        kind = opened.kind
        skip = self.out.offset == opened.offset
        url: str | None = None
        if kind in ("text_link", "custom_emoji"):
            url = self._link_target(opened)
            skip = skip or url is None
        else:
            width = {"underline": 2, "spoiler": 2, "pre": 3, "pre_code": 3}.get(kind, 1)
            self.index += width
        if skip:
            return
        offset, length = opened.offset, self.out.offset - opened.offset
        if kind == "text_link":
            self.entities.append(Entity("text_link", offset, length, url=url))
        elif kind == "custom_emoji":
            emoji_id = (url or "").removeprefix("tg://emoji?id=")
            self.entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=emoji_id))
        elif kind in ("pre", "pre_code"):
            self.entities.append(Entity("pre", offset, length, language=opened.argument or None))
        else:
            self.entities.append(Entity(kind, offset, length))

    def _link_target(self, opened: OpenEntity) -> str | None:
        """Read ``](url)`` after a link or custom emoji; the checked URL or None."""
        if self._at(1) != "(":
            if opened.kind == "custom_emoji":
                raise parse_error("Custom emoji entity must contain a tg://emoji URL")
            self.index += 1
            return check_link(self.out.since(opened.part_index))
        self.index += 2
        start = self.index
        url: list[str] = []
        while self._at() and self._at() != ")":
            if self._at() == "\\" and self._at(1) and 0 < ord(self._at(1)) <= 126:
                url.append(self._at(1))
                self.index += 2
                continue
            url.append(self._at())
            self.index += 1
        if self._at() != ")":
            at = byte_offset(self.source, start)
            raise parse_error(f"Can't find end of a URL at byte offset {at}")
        self.index += 1
        target = "".join(url)
        if opened.kind == "custom_emoji":
            emoji_id = target.removeprefix("tg://emoji?id=")
            if not target.startswith("tg://emoji?id=") or not emoji_id.isdigit():
                raise parse_error("Custom emoji entity must contain a tg://emoji URL")
            return target
        return check_link(target)
