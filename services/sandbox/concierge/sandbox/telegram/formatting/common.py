"""What the parse_mode parsers share: the growing output, links, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from concierge.sandbox.telegram.errors import BotApiError, bad_request

SPACES = " \t\r\n\v"
# "javascript:..." or "mailto:..." (a scheme), but not "localhost:8080" (a port).
_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")


def check_link(url: str) -> str | None:
    """The link Telegram would keep for a text link, or None when it drops it."""
    url = url.strip()
    if not url or any(ch in SPACES for ch in url):
        return None
    if url.lower().startswith(("tg://", "ton://")):
        return url
    if "://" not in url:
        if _OTHER_SCHEME.match(url):
            return None
        url = f"http://{url}"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, parts.query, parts.fragment))


def parse_error(reason: str) -> BotApiError:
    return bad_request(f"can't parse entities: {reason}")


def byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


class Output:
    """The parsed text as it grows, with its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0

    def add(self, char: str) -> None:
        self.parts.append(char)
        self.offset += 2 if ord(char) > 0xFFFF else 1

    def since(self, part_index: int) -> str:
        return "".join(self.parts[part_index:])

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class OpenEntity:
    kind: str
    argument: str
    offset: int
    source_index: int
    part_index: int


def read_pre_language(source: str, index: int) -> tuple[str, str]:
    """After an opening triple backtick: ("pre_code", language) or ("pre", "")."""
    end = index
    while end < len(source) and source[end] not in SPACES and source[end] != "`":
        end += 1
    if end != index and end < len(source) and source[end] != "`":
        return "pre_code", source[index:end]
    return "pre", ""


def skip_one_newline(source: str, index: int) -> int:
    """A code block's first line break is not part of its text."""
    if source[index : index + 1] in ("\n", "\r"):
        pair = source[index : index + 2]
        return index + 2 if pair in ("\r\n", "\n\r") else index + 1
    return index
