"""Mini App launch data: ``initData`` signed exactly as Telegram signs it.

``hash`` is HMAC-SHA256 over the sorted ``key=value`` lines, keyed with
HMAC-SHA256(key=b"WebAppData", msg=bot_token). The Ed25519 ``signature`` needs
Telegram's private key, so the sandbox leaves it out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

from concierge.sandbox.telegram.bots import UserProfile
from concierge.sandbox.telegram.models import UserRecord

WEB_APP_VERSION = "8.0"


def web_app_user(user_id: int, known: UserRecord | None, profile: UserProfile) -> dict[str, Any]:
    """The ``user`` field: what the sandbox knows of the user, else what the caller says
    (a user who never wrote to the bot can still open its Mini App)."""
    body: dict[str, Any] = {"id": user_id, "first_name": profile.first_name or f"User {user_id}"}
    for name in ("last_name", "username", "language_code"):
        if getattr(profile, name):
            body[name] = getattr(profile, name)
    if known is not None:
        body["first_name"] = known.first_name
        for name in ("last_name", "username", "language_code"):
            if getattr(known, name):
                body[name] = getattr(known, name)
    if profile.language_code:  # the client's current language
        body["language_code"] = profile.language_code
    body["allows_write_to_pm"] = True
    return body


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def init_data_hash(bot_token: str, fields: dict[str, str]) -> str:
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    check = data_check_string(fields).encode()
    return hmac.new(secret, check, hashlib.sha256).hexdigest()


def build_init_data(bot_token: str, user: dict[str, Any], *, auth_date: int | None = None) -> str:
    fields = {
        "query_id": "AAH" + base64.urlsafe_b64encode(secrets.token_bytes(18)).decode(),
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    fields["hash"] = init_data_hash(bot_token, fields)
    return urlencode(fields, quote_via=quote)


def launch_url(url: str, init_data: str) -> str:
    base = url.split("#", 1)[0]
    return (
        f"{base}#tgWebAppData={quote(init_data, safe='')}"
        f"&tgWebAppVersion={WEB_APP_VERSION}&tgWebAppPlatform=web"
    )
