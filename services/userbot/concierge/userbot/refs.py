"""What a caller may name a channel by: ``@name``, ``name``, ``t.me/name`` (with or
without https, a post number after it), or an invite link ``t.me/+hash`` /
``t.me/joinchat/hash``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_USERNAME = r"[A-Za-z][A-Za-z0-9_]{3,31}"
_HOST = r"(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/"
_PLAIN = re.compile(rf"^@?({_USERNAME})$")
_LINK = re.compile(rf"^{_HOST}(?:s/)?({_USERNAME})(?:/\d+)?/?(?:\?.*)?$", re.I)
_INVITE = re.compile(rf"^{_HOST}(?:\+|joinchat/)([A-Za-z0-9_-]{{8,64}})/?$", re.I)


class BadRef(ValueError):
    pass


@dataclass(frozen=True)
class Ref:
    username: str | None = None  # lower-cased
    invite_hash: str | None = None

    @property
    def key(self) -> str:
        return f"@{self.username}" if self.username else f"+{self.invite_hash}"


def parse_ref(text: str) -> Ref:
    text = text.strip()
    if match := _INVITE.match(text):
        return Ref(invite_hash=match.group(1))
    if match := _PLAIN.match(text) or _LINK.match(text):
        return Ref(username=match.group(1).lower())
    raise BadRef("not a channel name or a t.me link")
