"""Validating a Mini App's ``initData`` (Telegram's WebApp launch parameters).

Two ways Telegram signs it, both accepted:
- ``hash``: HMAC-SHA256 of the data-check string, keyed with
  HMAC-SHA256(key=b"WebAppData", msg=bot_token) — needs the bot token;
- ``signature``: Ed25519 over ``"<bot_id>:WebAppData\\n" + data-check string``,
  verifiable with Telegram's public key alone (third-party validation).
The data-check string is every ``key=value`` pair except ``hash`` (and, for the
signature, ``signature``), sorted by key, joined with newlines. Fields are not
allow-listed: the set varies by client and launch mode. Telegram puts no expiry on
``auth_date``, so a window is enforced here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from concierge.common.auth import tokens_match

TELEGRAM_PUBLIC_KEY_HEX = "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d"
MAX_INIT_DATA_LENGTH = 8192
MAX_AGE_S = 3600
MAX_CLOCK_SKEW_S = 60


class InvalidInitData(ValueError):
    """initData that is malformed, forged or out of its time window."""


@dataclass(frozen=True)
class WebAppLaunch:
    user: dict[str, Any]
    auth_date: int
    fields: dict[str, str]

    @property
    def telegram_id(self) -> int:
        return int(self.user["id"])


def _pairs(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data) > MAX_INIT_DATA_LENGTH or "\x00" in init_data:
        raise InvalidInitData("initData is empty, too long or has NUL bytes")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InvalidInitData("initData is not a query string") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("initData repeats a key")
    return fields


def data_check_string(fields: dict[str, str], *, without: tuple[str, ...]) -> str:
    return "\n".join(
        f"{key}={value}" for key, value in sorted(fields.items()) if key not in without
    )


def _hash_is_valid(fields: dict[str, str], bot_token: str) -> bool:
    given = fields.get("hash", "")
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    check = data_check_string(fields, without=("hash",)).encode()
    expected = hmac.new(secret, check, hashlib.sha256).hexdigest()
    return tokens_match(given, expected)


def _signature_is_valid(fields: dict[str, str], bot_id: int, public_key_hex: str) -> bool:
    given = fields.get("signature", "")
    if not given:
        return False
    try:
        signature = base64.urlsafe_b64decode(given + "=" * (-len(given) % 4))
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        message = f"{bot_id}:WebAppData\n" + data_check_string(
            fields, without=("hash", "signature")
        )
        key.verify(signature, message.encode())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _checked_time(fields: dict[str, str], now: float, max_age_s: int) -> int:
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError) as exc:
        raise InvalidInitData("initData has no valid auth_date") from exc
    if auth_date > now + MAX_CLOCK_SKEW_S:
        raise InvalidInitData("initData is from the future")
    if auth_date < now - max_age_s:
        raise InvalidInitData("initData is too old; reopen the app")
    return auth_date


def _user(fields: dict[str, str]) -> dict[str, Any]:
    try:
        user = orjson.loads(fields["user"])
    except (KeyError, orjson.JSONDecodeError) as exc:
        raise InvalidInitData("initData has no user") from exc
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) or user["id"] <= 0:
        raise InvalidInitData("initData's user has no id")
    return user


def validate_init_data(
    init_data: str,
    bot_token: str,
    *,
    now: float | None = None,
    max_age_s: int = MAX_AGE_S,
    public_key_hex: str = TELEGRAM_PUBLIC_KEY_HEX,
) -> WebAppLaunch:
    """The launch, if initData was signed for this bot and is fresh; else InvalidInitData."""
    fields = _pairs(init_data)
    bot_id = int(bot_token.split(":", 1)[0])
    if not (
        _hash_is_valid(fields, bot_token) or _signature_is_valid(fields, bot_id, public_key_hex)
    ):
        raise InvalidInitData("initData is not signed for this bot")
    auth_date = _checked_time(fields, time.time() if now is None else now, max_age_s)
    return WebAppLaunch(_user(fields), auth_date, fields)
