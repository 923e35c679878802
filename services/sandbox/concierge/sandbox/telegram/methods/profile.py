"""getMe, the command lists and the chat menu button."""

from __future__ import annotations

import re
from typing import Any

from concierge.sandbox.telegram.bots import commands_scope_key
from concierge.sandbox.telegram.errors import CHAT_NOT_FOUND, bad_request
from concierge.sandbox.telegram.methods.common import chat_id_param
from concierge.sandbox.telegram.methods.context import BotCall, Handler
from concierge.sandbox.telegram.shapes import me_json

MAX_COMMANDS = 100
COMMAND_PATTERN = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGE_PATTERN = re.compile(r"^([a-z]{2})?$")
SCOPE_TYPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
        "chat", "chat_administrators", "chat_member",
    }
)  # fmt: skip
MENU_BUTTON_TYPES = frozenset({"commands", "web_app", "default"})


async def get_me(call: BotCall) -> dict[str, Any]:
    return me_json(call.bot)


def _commands_key(call: BotCall) -> tuple[str, str]:
    scope = call.params.json("scope", "scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope: wrong scope type specified")
    language = call.params.text("language_code") or ""
    if not LANGUAGE_PATTERN.match(language):
        raise bad_request("LANG_CODE_INVALID")
    return commands_scope_key(scope), language


def _command(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise bad_request("can't parse BotCommand: object expected")
    command = str(raw.get("command", "")).removeprefix("/")
    description = str(raw.get("description", "")).strip()
    if not COMMAND_PATTERN.match(command):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(description) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": command, "description": description}


async def set_my_commands(call: BotCall) -> bool:
    raw = call.params.json("commands", "commands")
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    commands = [_command(item) for item in raw]
    key = _commands_key(call)
    if commands:
        call.bot.commands[key] = commands
    else:
        call.bot.commands.pop(key, None)
    return True


async def get_my_commands(call: BotCall) -> list[dict[str, str]]:
    return call.bot.commands.get(_commands_key(call), [])


async def delete_my_commands(call: BotCall) -> bool:
    call.bot.commands.pop(_commands_key(call), None)
    return True


def _menu_button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("type") not in MENU_BUTTON_TYPES:
        raise bad_request("can't parse menu button: wrong type specified")
    if raw["type"] != "web_app":
        return {"type": raw["type"]}
    web_app = raw.get("web_app")
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise bad_request("menu button Web App URL is invalid")
    return {"type": "web_app", "text": str(raw.get("text", "")), "web_app": {"url": url}}


async def set_chat_menu_button(call: BotCall) -> bool:
    raw = call.params.json("menu_button", "menu button")
    button = _menu_button(raw) if raw is not None else {"type": "default"}
    chat_id = chat_id_param(call)
    if chat_id is None:
        call.bot.default_menu_button = button
        return True
    chat = call.bot.chats.get(chat_id)
    if chat is None or chat.type != "private":
        raise bad_request(CHAT_NOT_FOUND)
    chat.menu_button = button
    return True


async def get_chat_menu_button(call: BotCall) -> dict[str, Any]:
    chat_id = chat_id_param(call)
    chat = call.bot.chats.get(chat_id) if chat_id is not None else None
    if chat_id is not None and chat is None:
        raise bad_request(CHAT_NOT_FOUND)
    button = chat.menu_button if chat is not None else None
    if button is None or button["type"] == "default":
        button = call.bot.default_menu_button
    return button or {"type": "commands"}


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
}
