"""The user side: what a Telegram user does, and what they see.

Every route takes an optional ``bot_id`` query parameter; without it the user
talks to the bot that called the Bot API most recently.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from concierge.common.errors import NotFound
from concierge.sandbox.telegram import actions
from concierge.sandbox.telegram.bots import BotState, UserProfile
from concierge.sandbox.telegram.deps import SandboxDep, UserSideBot
from concierge.sandbox.telegram.models import ChatRecord
from concierge.sandbox.telegram.schemas import CallbackPressIn, UserMessageIn, WebAppDataIn
from concierge.sandbox.telegram.shapes import chat_json, history_json, message_json
from concierge.sandbox.telegram.webapp import build_init_data, launch_url, web_app_user

router = APIRouter(prefix="/sandbox", tags=["user side"])

UserId = Annotated[int, Path(gt=0)]


def _chat(bot: BotState, chat_id: int) -> ChatRecord:
    chat = bot.chats.get(chat_id)
    if chat is None:
        raise NotFound(f"No chat {chat_id}")
    return chat


@router.post("/users/{user_id}/messages")
async def user_sends_message(
    user_id: UserId, body: UserMessageIn, bot: UserSideBot
) -> dict[str, Any]:
    message, update = actions.send_text(
        bot,
        user_id,
        body.profile(),
        body.text,
        chat_id=body.chat_id,
        reply_to_message_id=body.reply_to_message_id,
    )
    chat = bot.chats[message.chat_id]
    return {
        **message_json(bot, chat, message),
        "update_id": update.update_id if update else None,
        "bot_id": bot.id,
    }


@router.post("/users/{user_id}/callbacks")
async def user_presses_button(
    user_id: UserId, body: CallbackPressIn, bot: UserSideBot
) -> dict[str, Any]:
    record, update = actions.press_button(
        bot, user_id, body.message_id, body.data, chat_id=body.chat_id
    )
    return {
        "id": record.id,
        "callback_query_id": record.id,
        "update_id": update.update_id if update else None,
        "update": update.to_json() if update else None,
        "bot_id": bot.id,
    }


@router.post("/users/{user_id}/webapp_data")
async def user_sends_web_app_data(
    user_id: UserId, body: WebAppDataIn, bot: UserSideBot
) -> dict[str, Any]:
    message, update = actions.send_web_app_data(bot, user_id, body.data, body.button_text)
    return {
        **message_json(bot, bot.chats[message.chat_id], message),
        "update_id": update.update_id if update else None,
    }


@router.get("/users/{user_id}/webapp")
async def web_app_launch(
    user_id: UserId,
    bot: UserSideBot,
    url: Annotated[str, Query(min_length=1, max_length=2048)],
    first_name: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    last_name: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_]{1,32}$")] = None,
    language_code: Annotated[str | None, Query(max_length=35)] = None,
) -> dict[str, str]:
    """Signed initData for the user and the URL a Telegram client would open.

    Also how scripts sign in to the api as a sandbox user (make dev's demo data): the
    profile fields stand in for a user the sandbox has not seen yet."""
    profile = UserProfile(first_name, last_name, username, language_code)
    user = web_app_user(user_id, bot.users.get(user_id), profile)
    init_data = build_init_data(bot.token, user)
    return {"init_data": init_data, "launch_url": launch_url(url, init_data)}


@router.get("/chats/{chat_id}/messages")
async def chat_history(chat_id: int, bot: UserSideBot) -> list[dict[str, Any]]:
    """The chat's messages, oldest first; deleted ones are gone."""
    return [history_json(bot, message) for message in _chat(bot, chat_id).messages.values()]


@router.get("/chats/{chat_id}")
async def chat_info(chat_id: int, bot: UserSideBot) -> dict[str, Any]:
    """What a client shows around the messages: typing, draft, menu button, blocked."""
    chat = _chat(bot, chat_id)
    user = bot.users.get(chat_id)
    return {
        "chat": chat_json(bot, chat),
        "bot_id": bot.id,
        "bot_username": bot.username,
        "blocked": bool(user and user.blocked),
        "action": _current_action(chat),
        "draft": _current_draft(chat),
        "menu_button": chat.menu_button or bot.default_menu_button or {"type": "commands"},
        "commands": bot.visible_commands(chat_id, user.language_code if user else None),
    }


ACTION_SHOWN_S = 5.0
DRAFT_SHOWN_S = 30.0


def _current_action(chat: ChatRecord) -> str | None:
    if chat.action and time.monotonic() - chat.action_at < ACTION_SHOWN_S:
        return chat.action
    return None


def _current_draft(chat: ChatRecord) -> dict[str, Any] | None:
    draft = chat.draft
    if draft is None or time.monotonic() - draft.updated_at > DRAFT_SHOWN_S:
        return None
    return {
        "draft_id": draft.draft_id,
        "text": draft.text,
        "entities": [entity.to_json() for entity in draft.entities],
    }


@router.get("/callbacks/{callback_id}")
async def callback_status(callback_id: str, state: SandboxDep) -> dict[str, Any]:
    """Whether the bot answered a button press, and with what."""
    return state.find_callback(callback_id).to_json()


@router.get("/bots/{bot_id}/files/{file_id}")
async def bot_file(bot_id: int, file_id: str, state: SandboxDep) -> Response:
    """A file the bot sent, for the chat page (no token in the URL)."""
    bot = state.bot_for_user_side(bot_id)
    record = bot.files.get(file_id)
    if record is None or record.content is None:
        raise NotFound(f"No file {file_id}")
    return Response(record.content, media_type=record.mime_type)
