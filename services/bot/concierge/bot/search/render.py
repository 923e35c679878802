"""Search results and answers as Telegram HTML messages (under 4096 characters).

Every piece of document text arrives either escaped by the api (``snippet_html``)
or is escaped here; nothing from a document can inject markup. A market listing among
the results gets a button that opens it in the Mini App (private chats only: the only
place Telegram shows web_app buttons) and one that starts a conversation with its seller
(private chats only too: it happens there). A listing's price is written the reader's
way, and a sold or reserved one says so.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from decimal import Decimal

from telegram import InlineKeyboardButton

from concierge.bot.market.webapp import listing_page, webapp_button
from concierge.bot.search.hints import answer_hints, search_hints
from concierge.bot.texts import text
from concierge.contracts.identity import Language
from concierge.contracts.market import Availability
from concierge.contracts.market_buttons import ListingAction, listing_data
from concierge.contracts.prices import format_price
from concierge.contracts.search import Answer, Citation, SearchHit, SearchPage, SourceRef

MESSAGE_LIMIT = 4096
SNIPPET_LIMIT = 320  # characters of escaped snippet per result; a page stays one message
TITLE_LIMIT = 120
ANSWER_LIMIT = 3000


def _shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _source_name(source: SourceRef | None, language: Language) -> str:
    if source is None:
        return text(language, "search_no_source")
    return html.escape(source.title or f"#{source.id}")


def _link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return label
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def _trim_html_snippet(snippet_html: str, limit: int) -> str:
    """Cut an escaped snippet without breaking an entity or leaving <b> open."""
    if len(snippet_html) <= limit:
        return snippet_html
    cut = snippet_html[:limit]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    if cut.count("<b>") > cut.count("</b>"):
        cut += "</b>"
    return cut.rstrip() + "…"


def price_text(price: Decimal, currency: str | None, language: Language) -> str:
    """The price as the reader's language writes it: 12 500 ₽, €180."""
    return format_price(price, currency or "", language)


def availability_note(availability: str | None, language: Language) -> str:
    """ " · ✅ Sold" for a sold or reserved listing; nothing for an available one."""
    if availability in (Availability.SOLD, Availability.RESERVED):
        return " · " + text(language, f"availability_{availability}")
    return ""


def _origin(hit: SearchHit, language: Language) -> str:
    """Where a result comes from: its source, or a listing's price, city and whether
    it is sold or reserved."""
    if hit.listing_id is not None and hit.price is not None:
        return text(
            language,
            "search_listing_line",
            price=html.escape(price_text(hit.price, hit.currency, language)),
            city=html.escape(hit.city or ""),
            availability=availability_note(hit.availability, language),
        )
    return _source_name(hit.source, language)


def hit_block(number: int, hit: SearchHit, language: Language) -> str:
    title = html.escape(_shorten(hit.title or hit.snippet, TITLE_LIMIT))
    lines = [
        f"<b>{number}. {_link(hit.url, title)}</b>",
        _trim_html_snippet(hit.snippet_html, SNIPPET_LIMIT),
        f"<i>{_origin(hit, language)} · {hit.published_at:%d.%m.%Y}</i>",
    ]
    if hit.also_in:
        names = ", ".join(_source_name(s, language) for s in hit.also_in[:3])
        lines.append(text(language, "search_also_in", sources=names))
    return "\n".join(lines)


def search_message(page: SearchPage, first_number: int, language: Language) -> str:
    shown = html.escape(_shorten(as_typed(page.query), 100))
    header = text(language, "search_header", query=shown)
    if not page.items:
        nothing = text(language, "search_nothing", query=shown)
        return f"{nothing}\n\n{search_hints(language)}"
    blocks = [hit_block(first_number + i, hit, language) for i, hit in enumerate(page.items)]
    return fit([header, *blocks])


def listing_buttons(
    page: SearchPage,
    first_number: int,
    language: Language,
    webapp_url: str | None,
    *,
    contact: bool = False,
) -> list[list[InlineKeyboardButton]]:
    """A row for each listing among the results (N: its number in the message): "Open
    listing N" when a Mini App can be opened, and with ``contact`` "Write to seller N"
    unless it is sold (see the module's docstring)."""
    rows = []
    for position, hit in enumerate(page.items):
        if hit.listing_id is None:
            continue
        n = str(first_number + position)
        row = []
        if webapp_url:
            label = text(language, "search_open_listing", n=n)
            row.append(webapp_button(label, webapp_url, listing_page(hit.listing_id)))
        if contact and hit.availability != Availability.SOLD:
            data = listing_data(ListingAction.WRITE, hit.listing_id)
            label = text(language, "search_write_seller", n=n)
            row.append(InlineKeyboardButton(label, callback_data=data))
        if row:
            rows.append(row)
    return rows


def fit(blocks: Iterable[str], limit: int = MESSAGE_LIMIT) -> str:
    """Join blocks with blank lines, dropping the last ones that would not fit."""
    kept: list[str] = []
    size = 0
    for block in blocks:
        extra = len(block) + (2 if kept else 0)
        if size + extra > limit:
            break
        kept.append(block)
        size += extra
    return "\n\n".join(kept)


def split_message(body: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split long HTML at paragraph breaks (never inside a paragraph's tags)."""
    parts: list[str] = []
    current = ""
    for paragraph in body.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = paragraph if len(paragraph) <= limit else paragraph[: limit - 1] + "…"
    if current:
        parts.append(current)
    return parts


def _citation_line(citation: Citation, language: Language) -> str:
    title = html.escape(_shorten(citation.title or citation.quote, TITLE_LIMIT))
    source = _source_name(citation.source, language)
    return (
        f"[{citation.n}] {_link(citation.url, title)} — {source}, {citation.published_at:%d.%m.%Y}"
    )


def answer_message(answer: Answer, language: Language) -> list[str]:
    if answer.mode == "none" or not answer.text.strip():
        question = html.escape(_shorten(answer.question, 100))
        return [
            f"{text(language, 'answer_nothing', question=question)}\n\n{answer_hints(language)}"
        ]
    body = html.escape(_shorten(answer.text.strip(), ANSWER_LIMIT))
    if answer.mode == "extractive":
        body = text(language, "answer_extractive") + "\n\n" + body
    blocks = [body]
    if answer.citations:
        lines = [_citation_line(c, language) for c in answer.citations]
        blocks.append(text(language, "answer_sources") + "\n" + "\n".join(lines))
    return split_message("\n\n".join(blocks))


def as_typed(query: str) -> str:
    """The query as a person reads it: the ``or`` a long "looking for" message's words are
    joined with (``market.wanted``) is search syntax, shown as commas."""
    return query.replace(" or ", ", ")
