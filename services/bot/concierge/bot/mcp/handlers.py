"""Tokens for AI agents (the MCP surface at the api's ``/mcp``), all in one command:

- ``/mcp_token``: the person's live tokens, each with a Revoke button, and how to make one;
- ``/mcp_token <name> [scope …]``: a new token (default scopes: every read one), shown
  in this one message only (the api keeps its hash);
- ``/mcp_token revoke <name>``: revoke one by name (the button does the same by id).
"""

from __future__ import annotations

import html
import logging
from typing import Any

from pydantic import ValidationError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import CallbackDataTooLong, pack, pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.texts import text
from concierge.common.http_client import ServiceResponseError
from concierge.contracts.identity import Language
from concierge.contracts.mcp import DEFAULT_SCOPES, McpScope, McpTokenCreate, McpTokenRead
from concierge.contracts.mcp_client import McpApiClient

log = logging.getLogger(__name__)

PREFIX = "mcp"
COMMAND = "mcp_token"
REVOKE = "revoke"


def client(context: ContextTypes.DEFAULT_TYPE) -> McpApiClient:
    return McpApiClient(deps_of(context).market.http)


def _scopes(values: list[str]) -> list[McpScope] | None:
    try:
        return [McpScope(value.lower()) for value in values] if values else list(DEFAULT_SCOPES)
    except ValueError:
        return None


def _listing(
    language: Language, tokens: list[McpTokenRead]
) -> tuple[str, InlineKeyboardMarkup | None]:
    scopes = ", ".join(scope.value for scope in McpScope)
    if not tokens:
        body = text(language, "mcp_none")
    else:
        lines = [
            text(language, "mcp_line", name=html.escape(t.name), hint=html.escape(t.hint),
                 scopes=", ".join(t.scopes))
            for t in tokens
        ]  # fmt: skip
        body = text(language, "mcp_list_header") + "\n" + "\n".join(lines)
    rows = []
    for token in tokens:
        try:
            data = pack(PREFIX, "rv", token.id)
        except CallbackDataTooLong:
            continue
        label = text(language, "mcp_revoke_button", name=token.name[:30])
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    markup = InlineKeyboardMarkup(rows) if rows else None  # Telegram refuses an empty one
    return body + "\n\n" + text(language, "mcp_usage", scopes=scopes), markup


async def _reply(update: Update, body: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            body, parse_mode=ParseMode.HTML, reply_markup=markup
        )


async def mcp_token_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    language = await language_of(update, context)
    if chat.type != "private":  # a token in a group would be read by everybody there
        await _reply(update, text(language, "mcp_private_only"))
        return
    args = list(context.args or [])
    if not args:
        body, markup = _listing(language, await client(context).tokens(user.id))
        await _reply(update, body, markup)
    elif args[0].lower() == REVOKE:
        await _revoke_named(update, context, language, " ".join(args[1:]))
    else:
        await _issue(update, context, language, args[0], args[1:])


async def _issue(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    name: str,
    scope_words: list[str],
) -> None:
    assert update.effective_user is not None
    scopes = _scopes(scope_words)
    if scopes is None:
        allowed = ", ".join(scope.value for scope in McpScope)
        await _reply(update, text(language, "mcp_bad_scope", scopes=allowed))
        return
    try:
        data = McpTokenCreate(name=name, scopes=scopes)
    except ValidationError:
        await _reply(update, text(language, "mcp_bad_name"))
        return
    try:
        issued = await client(context).issue(update.effective_user.id, data)
    except ServiceResponseError as exc:
        if exc.status_code != 409:
            raise
        await _reply(update, text(language, "mcp_refused", reason=html.escape(str(exc.detail))))
        return
    await _reply(
        update,
        text(language, "mcp_issued", name=html.escape(issued.name), token=issued.token,
             scopes=", ".join(issued.scopes)),
    )  # fmt: skip


async def _revoke_named(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, name: str
) -> None:
    assert update.effective_user is not None
    user_id = update.effective_user.id
    tokens = await client(context).tokens(user_id)
    found = next((t for t in tokens if t.name == name.strip()), None)
    if found is None:
        await _reply(update, text(language, "mcp_not_found", name=html.escape(name[:40])))
        return
    await client(context).revoke(user_id, found.id)
    await _reply(update, text(language, "mcp_revoked", name=html.escape(found.name)))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    _, fields = unpack(query.data)
    if len(fields) != 2 or fields[0] != "rv" or not fields[1].isdigit():
        return
    language = await language_of(update, context)
    user_id = update.effective_user.id
    try:
        await client(context).revoke(user_id, int(fields[1]))
    except ServiceResponseError as exc:
        if exc.status_code not in (404, 422):
            raise  # 404: revoked already (another tap, another device)
    body, markup = _listing(language, await client(context).tokens(user_id))
    if query.message is not None:
        await edit_in_place(query, body, markup)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler(COMMAND, mcp_token_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
