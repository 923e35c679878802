"""/search, /ask, plain text by intent, result pages, and /sources for admins."""

from __future__ import annotations

import html
import logging
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from concierge.bot.callback_data import pack, pattern, unpack
from concierge.bot.core import handlers as core
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.market import conversations as market_text
from concierge.bot.market.wanted import listing_query
from concierge.bot.market.webapp import webapp_url
from concierge.bot.media import handlers as media_text
from concierge.bot.rentals import guest as rentals_guest
from concierge.bot.rentals import handlers as rentals_text
from concierge.bot.search.intent import Intent, classify
from concierge.bot.search.render import (
    answer_message,
    listing_buttons,
    search_message,
    split_message,
)
from concierge.bot.search.sessions import SearchSession
from concierge.bot.texts import text
from concierge.common.http_client import ServiceResponseError
from concierge.contracts.identity import Language
from concierge.contracts.prices import format_amount
from concierge.contracts.search import (
    MAX_QUERY_LENGTH,
    AnswerRequest,
    DocumentKind,
    SearchPage,
    SourceKind,
)
from concierge.contracts.sources import SourceCreate, SourceRead, SourceUpdate
from concierge.contracts.text import strip_control_characters

log = logging.getLogger(__name__)

PAGE = "srch"
SOURCES = "src"
PAGE_SIZE = 5
COMMANDS = ("search", "ask", "sources")


async def _send(update: Update, body: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            body, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
        )


def _page_buttons(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    session: SearchSession,
    page: int,
    found: SearchPage,
    language: Language,
) -> InlineKeyboardMarkup | None:
    """Buttons that open the listings among the results, then the paging row."""
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    rows = listing_buttons(
        found, page * PAGE_SIZE + 1, language, webapp_url(update, context), contact=private
    )
    has_next = found.next_cursor is not None
    row = []
    if page > 0:
        back = pack(PAGE, session.token, page - 1)
        row.append(InlineKeyboardButton(text(language, "search_previous"), callback_data=back))
    if has_next:
        more = pack(PAGE, session.token, page + 1)
        row.append(InlineKeyboardButton(text(language, "search_more"), callback_data=more))
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


async def _fetch_page(
    context: ContextTypes.DEFAULT_TYPE, session: SearchSession, page: int
) -> SearchPage:
    """One page of results; remembers where the next page starts."""
    deps = deps_of(context)
    kind = DocumentKind(session.kind) if session.kind else None
    found = await deps.api.search(
        session.query, kind=kind, limit=PAGE_SIZE, cursor=session.cursors[page]
    )
    if len(session.cursors) == page + 1 and found.next_cursor:
        session.cursors.append(found.next_cursor)
        await deps.searches.save(session)
    return found


async def _invalid_query(
    update: Update, language: Language, error: ServiceResponseError | ValidationError
) -> None:
    log.info("query refused: %s", error)
    await _send(update, text(language, "search_invalid"))


async def _too_long(update: Update, context: ContextTypes.DEFAULT_TYPE, text_: str) -> bool:
    """Say so when the text is longer than a search or a question may be."""
    if len(text_) <= MAX_QUERY_LENGTH:
        return False
    language = await language_of(update, context)
    limit = format_amount(Decimal(MAX_QUERY_LENGTH), language)
    await _send(update, text(language, "search_too_long", limit=limit))
    return True


async def run_search(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    query: str,
    kind: DocumentKind | None = None,
) -> None:
    if await _too_long(update, context, query):
        return
    language = await language_of(update, context)
    session = await deps_of(context).searches.start(query, kind.value if kind else None)
    try:
        found = await _fetch_page(context, session, 0)
    except ServiceResponseError as error:
        await _invalid_query(update, language, error)
        return
    markup = _page_buttons(update, context, session, 0, found, language)
    await _send(update, search_message(found, 1, language), markup)


async def run_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    if await _too_long(update, context, question):
        return
    language = await language_of(update, context)
    if update.effective_chat is not None:
        await update.effective_chat.send_action(ChatAction.TYPING)
    try:
        answer = await deps_of(context).api.answer(AnswerRequest(question=question))
    except (ServiceResponseError, ValidationError) as error:
        await _invalid_query(update, language, error)
        return
    for part in answer_message(answer, language):
        await _send(update, part)


def _argument(context: ContextTypes.DEFAULT_TYPE) -> str:
    return strip_control_characters(" ".join(context.args or [])).strip()


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if query := _argument(context):
        await run_search(update, context, query)
    else:
        await _send(update, text(await language_of(update, context), "search_usage"))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if question := _argument(context):
        await run_answer(update, context, question)
    else:
        await _send(update, text(await language_of(update, context), "ask_usage"))


async def route_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text in a private chat: a message in a buyer's and seller's conversation
    (the market's, when the chat belongs to one), else what ``answer_text`` makes of it."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    said = strip_control_characters(message.text)  # NUL and the like never reach the api
    if await rentals_text.take_text(update, context, said):
        return  # a step of /avito_connect
    if await rentals_guest.take_text(update, context, said):
        return  # house rules, an FAQ entry, an edited reply to a guest
    if await media_text.take_text(update, context, said):
        return  # a step of a media dialogue, or a message in /media mode
    if await market_text.take_text(update, context, said):
        return
    await answer_text(update, context, said)


async def answer_text(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> None:
    """A search (of the listings, for someone looking for something), a question, a
    greeting or a menu word."""
    if await _too_long(update, context, message.strip()):
        return
    classified = classify(message)
    match classified.intent:
        case Intent.SEARCH if classified.listings:
            query = listing_query(classified.text)
            await run_search(update, context, query, DocumentKind.LISTING)
        case Intent.SEARCH:
            await run_search(update, context, classified.text)
        case Intent.QUESTION:
            await run_answer(update, context, classified.text)
        case Intent.MENU:
            await core.menu(update, context)
        case Intent.LANGUAGE:
            await core.language_command(update, context)
        case Intent.HELP:
            await core.help_command(update, context)
        case Intent.GREETING:
            language = await language_of(update, context)
            menu = await core.menu_keyboard(update, context, language)
            await _send(update, text(language, "greeting"), menu)
        case Intent.THANKS | Intent.GOODBYE:
            language = await language_of(update, context)
            await _send(update, text(language, f"{classified.intent.value}_reply"))


# Button handlers never answer the press: the consumer did, when it read the update.


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    language = await language_of(update, context)
    _, fields = unpack(query.data)
    session = await deps_of(context).searches.load(fields[0]) if len(fields) == 2 else None
    page = int(fields[1]) if session is not None and fields[1].isdigit() else -1
    if session is None or not 0 <= page < len(session.cursors):
        await _send(update, text(language, "search_expired"))
        return
    found = await _fetch_page(context, session, page)
    markup = _page_buttons(update, context, session, page, found, language)
    body = search_message(found, page * PAGE_SIZE + 1, language)
    await edit_in_place(query, body, markup, link_previews=False)


async def _require_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    user = update.effective_user
    if user is not None and await deps_of(context).users.is_admin(user.id):
        return user.id
    await _send(update, text(await language_of(update, context), "admin_only"))
    return None


def _source_line(source: SourceRead, language: Language) -> str:
    name = html.escape(source.title or source.url or source.handle or f"#{source.id}")
    state = text(language, "source_on" if source.enabled else "source_paused")
    line = f"#{source.id} {name} — {state}, {source.document_count}"
    if source.last_error:
        line += "\n   ⚠️ " + html.escape(source.last_error[:120])
    return line


def _sources_view(
    sources: list[SourceRead], language: Language
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not sources:
        return text(language, "sources_empty"), None
    body = (
        text(language, "sources_header")
        + "\n"
        + "\n".join(_source_line(s, language) for s in sources)
    )
    buttons = [
        [InlineKeyboardButton(
            text(language, "source_pause" if s.enabled else "source_resume", id=str(s.id)),
            callback_data=pack(SOURCES, "toggle", s.id),
        )]
        for s in sources[:20]
    ]  # fmt: skip
    return split_message(body)[0], InlineKeyboardMarkup(buttons)


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = await _require_admin(update, context)
    if admin is None:
        return
    language = await language_of(update, context)
    api = deps_of(context).api
    args = context.args or []
    if len(args) == 2 and args[0] == "add":
        try:
            added = await api.add_source(admin, SourceCreate(kind=SourceKind.RSS, url=args[1]))
        except (ServiceResponseError, ValueError) as error:
            detail = error.detail if isinstance(error, ServiceResponseError) else error
            await _send(
                update, text(language, "source_refused", reason=html.escape(str(detail)[:300]))
            )
            return
        await _send(update, text(language, "source_added", line=_source_line(added, language)))
        return
    body, markup = _sources_view(await api.list_sources(admin), language)
    await _send(update, body, markup)


async def source_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    language = await language_of(update, context)
    user = update.effective_user
    if user is None or not await deps_of(context).users.is_admin(user.id):
        await _send(update, text(language, "admin_only"))
        return
    _, fields = unpack(query.data)
    api = deps_of(context).api
    sources = {s.id: s for s in await api.list_sources(user.id)}
    target = sources.get(int(fields[1])) if len(fields) == 2 and fields[1].isdigit() else None
    if target is not None:
        await api.update_source(user.id, target.id, SourceUpdate(enabled=not target.enabled))
    else:
        await _send(update, text(language, "source_gone"))
    body, markup = _sources_view(await api.list_sources(user.id), language)
    await edit_in_place(query, body, markup)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("search", search_command))
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(CommandHandler("sources", sources_command))
    application.add_handler(CallbackQueryHandler(page_button, pattern=pattern(PAGE)))
    application.add_handler(CallbackQueryHandler(source_button, pattern=pattern(SOURCES)))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, route_text)
    )
