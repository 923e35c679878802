"""``reply_markup``: validated like Telegram, kept in a normalised form.

The four kinds are inline keyboards (buttons under a message), reply keyboards
(buttons replacing the user's keyboard), keyboard removal and force-reply.
Only inline keyboards come back in ``Message.reply_markup``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from concierge.sandbox.telegram.errors import BUTTON_DATA_INVALID, bad_request
from concierge.sandbox.telegram.formatting import check_link

Markup = dict[str, Any]

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
_INLINE_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip
_REPLY_BUTTON_FIELDS = (
    "request_users", "request_chat", "request_contact", "request_location",
    "request_poll", "web_app",
)  # fmt: skip
_REPLY_KEYBOARD_OPTIONS = (
    "is_persistent", "resize_keyboard", "one_time_keyboard", "input_field_placeholder",
    "selective",
)  # fmt: skip
_CANT_PARSE = "can't parse reply keyboard markup JSON object"
_CANT_PARSE_BUTTON = "can't parse inline keyboard button"
_TEXT_BUTTONS_UNALLOWED = "Text buttons are unallowed in the inline keyboard"


def parse_reply_markup(raw: Any) -> Markup | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise bad_request(_CANT_PARSE)
    if "inline_keyboard" in raw:
        return {"inline_keyboard": _inline_rows(raw["inline_keyboard"])}
    if "keyboard" in raw:
        return _reply_keyboard(raw)
    if "remove_keyboard" in raw:
        return _options({"remove_keyboard": True}, raw, ("selective",))
    if "force_reply" in raw:
        return _options({"force_reply": True}, raw, ("input_field_placeholder", "selective"))
    raise bad_request(_CANT_PARSE)


def require_inline(markup: Markup | None) -> Markup | None:
    """Edits accept inline keyboards only."""
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def is_inline(markup: Markup | None) -> bool:
    return markup is not None and "inline_keyboard" in markup


def inline_buttons(markup: Markup | None) -> Iterator[dict[str, Any]]:
    if not is_inline(markup):
        return
    assert markup is not None
    for row in markup["inline_keyboard"]:
        yield from row


def has_callback_button(markup: Markup | None, data: str) -> bool:
    return any(button.get("callback_data") == data for button in inline_buttons(markup))


def _options(base: Markup, raw: dict[str, Any], names: tuple[str, ...]) -> Markup:
    for name in names:
        if raw.get(name) is not None:
            base[name] = raw[name]
    return base


def _rows(raw: Any, field: str, owner: str) -> list[list[Any]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise bad_request(f'field "{field}" of the {owner} should be an Array of Arrays')
    if sum(len(row) for row in raw) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return raw


def _inline_rows(raw: Any) -> list[list[dict[str, Any]]]:
    rows = _rows(raw, "inline_keyboard", "InlineKeyboardMarkup")
    return [[_inline_button(button) for button in row] for row in rows]


def _inline_button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request(f"{_CANT_PARSE_BUTTON}: InlineKeyboardButton must be an Object")
    text = raw.get("text")
    if not isinstance(text, str):
        raise bad_request(f'{_CANT_PARSE_BUTTON}: Field "text" must be of type String')
    button: dict[str, Any] = {"text": text}
    actions = [name for name in _INLINE_ACTIONS if raw.get(name) is not None]
    if not actions:
        raise bad_request(f"{_CANT_PARSE_BUTTON}: {_TEXT_BUTTONS_UNALLOWED}")
    for name in actions:
        button[name] = _inline_action(name, raw[name])
    return button


def _inline_action(name: str, value: Any) -> Any:
    if name == "callback_data":
        return _callback_data(value)
    if name == "url":
        return _button_url(value, "inline keyboard button URL")
    if name == "web_app":
        return _web_app(value, "inline keyboard button Web App URL")
    return value


def _callback_data(value: Any) -> str:
    data = value if isinstance(value, str) else str(value)
    if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request(BUTTON_DATA_INVALID)
    return data


def _button_url(value: Any, what: str) -> str:
    url = value if isinstance(value, str) else ""
    if check_link(url) is None:
        raise bad_request(f"{what} '{url}' is invalid: Wrong HTTP URL")
    return url


def _web_app(value: Any, what: str) -> dict[str, str]:
    # Telegram wants HTTPS here; like a local server, the sandbox also takes plain
    # HTTP so a Mini App served on localhost opens in the chat page.
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise bad_request(f"{what} '{url or ''}' is invalid: Wrong HTTP URL")
    _button_url(url, what)
    return {"url": url}


def _reply_keyboard(raw: dict[str, Any]) -> Markup:
    rows = _rows(raw["keyboard"], "keyboard", "ReplyKeyboardMarkup")
    keyboard = [[_reply_button(button) for button in row] for row in rows]
    return _options({"keyboard": keyboard}, raw, _REPLY_KEYBOARD_OPTIONS)


def _reply_button(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return {"text": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    button: dict[str, Any] = {"text": raw["text"]}
    for name in _REPLY_BUTTON_FIELDS:
        if raw.get(name) is not None:
            button[name] = raw[name]
    if "web_app" in button:
        button["web_app"] = _web_app(button["web_app"], "keyboard button Web App URL")
    return button
