"""Fetched bytes to items: feeds with feedparser (JSON Feed, which it does not read, by
hand), web pages with trafilatura (readability as the fallback). Blocking CPU work:
call these in a thread.

A body that holds no usable feed or article is a :class:`ParseError` (recorded on the
source), never an exception that escapes.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
import trafilatura
from readability import Document as Readability

from concierge.text.normalize import clean_text

log = logging.getLogger(__name__)

MAX_EXTERNAL_ID = 512  # longer GUIDs are hashed: a btree key must stay well under 2.7 kB
HARMLESS_FEED_PROBLEMS = ("CharacterEncodingOverride", "NonXMLContentType")
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


class ParseError(Exception):
    """The body is not a feed (or not a readable page)."""


@dataclass(frozen=True)
class RawItem:
    external_id: str  # the feed's GUID, else its link, else a hash of its content
    title: str  # may hold markup and entities
    body: str  # HTML or text, cleaned later
    url: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: list[RawItem]


def external_id(guid: str | None, link: str | None, title: str, body: str) -> str:
    value = (guid or link or "").strip()
    if not value:
        value = "sha256:" + hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    elif len(value) > MAX_EXTERNAL_ID:
        value = "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def _moment(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_body(entry: Any) -> str:
    """The fullest text the entry has: content:encoded / atom content, else the summary."""
    summary = str(entry.get("summary") or "")
    contents = [str(part.get("value") or "") for part in entry.get("content") or []]
    longest = max(contents, key=len, default="")
    return longest if len(longest) > len(summary) else summary


def _entry(entry: Any) -> RawItem:
    title = str(entry.get("title") or "")
    body = _entry_body(entry)
    link = str(entry.get("link") or "") or None
    published = (
        _moment(entry.get("published_parsed"))
        or _moment(entry.get("updated_parsed"))
        or _moment(entry.get("created_parsed"))
    )
    guid = str(entry.get("id") or "") or None
    return RawItem(external_id(guid, link, title, body), title, body, link, published)


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """RSS, Atom or JSON Feed from bytes (feedparser never fetches anything here)."""
    if body.lstrip()[:1] == b"{":
        return _json_feed(body)
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    try:
        parsed = feedparser.parse(body, response_headers=headers)
    except Exception as exc:  # feedparser is lenient; a crash inside it is the body's fault
        raise ParseError(f"unreadable feed: {type(exc).__name__}") from exc
    entries = parsed.get("entries") or []
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries and not parsed.get("version"):
        raise ParseError("not a feed: no RSS, Atom or JSON Feed found")
    if not entries and problem is not None:
        raise ParseError(f"malformed feed: {_describe(problem)}"[:300])
    if problem is not None and type(problem).__name__ not in HARMLESS_FEED_PROBLEMS:
        log.warning("feed %s is malformed, %d items recovered: %s", url, len(entries), problem)
    title = str(parsed.get("feed", {}).get("title") or "") or None
    return ParsedFeed(title, [_entry(entry) for entry in entries])


def _json_feed(body: bytes) -> ParsedFeed:
    """JSON Feed 1.x (https://jsonfeed.org/version/1.1)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"malformed JSON feed: {exc}"[:300]) from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError("not a feed: JSON, but not a JSON Feed")
    items = []
    for entry in document.get("items") or []:
        if not isinstance(entry, dict):
            continue
        title = str(entry.get("title") or "")
        text = str(entry.get("content_html") or entry.get("content_text") or "")
        text = text or str(entry.get("summary") or "")
        link = str(entry.get("url") or "") or None
        guid = str(entry.get("id") or "") or None
        date = entry.get("date_published") or entry.get("date_modified")
        items.append(
            RawItem(external_id(guid, link, title, text), title, text, link, _page_date(date))
        )
    return ParsedFeed(str(document.get("title") or "") or None, items)


def _describe(problem: object) -> str:
    message = getattr(problem, "getMessage", None)
    text = message() if callable(message) else str(problem)
    line = getattr(problem, "getLineNumber", None)
    return f"{text} (line {line()})" if callable(line) else str(text)


def _page_date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_page(body: bytes, url: str, identity: str | None = None) -> RawItem:
    """The article of a web page: its title, main text (markup and boilerplate left out)
    and date. ``identity`` (default: the URL) is the document's external id."""
    title, text, published = "", "", None
    try:
        extracted = trafilatura.bare_extraction(
            body,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params={"outputformat": DATE_FORMAT, "original_date": True},
        )
    except Exception as exc:  # a page that breaks the extractor: try the fallback
        log.info("trafilatura failed on %s: %r", url, exc)
        extracted = None
    if extracted is not None and not isinstance(extracted, dict):
        title = str(extracted.title or "")
        text = str(extracted.text or "")
        published = _page_date(extracted.date)
    if not text.strip():
        title, text = _readability(body, url)
        text = clean_text(text, is_html=True)
    if not text:
        raise ParseError("no readable text on the page")
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    return RawItem(identity or url, title, text or title, url, published)


def _readability(body: bytes, url: str) -> tuple[str, str]:
    try:
        page = Readability(body, url=url)
        return str(page.short_title() or ""), str(page.summary(html_partial=True) or "")
    except Exception as exc:  # readability raises on empty or broken documents
        log.info("readability failed on %s: %r", url, exc)
        return "", ""
