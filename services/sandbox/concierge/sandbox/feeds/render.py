"""RSS 2.0 documents and article pages for the sandbox's feeds."""

from __future__ import annotations

import html
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from concierge.sandbox.feeds.store import Feed, Item


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def paragraphs_html(text: str) -> str:
    return "".join(
        f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n") if line.strip()
    )


def body_html(item: Item) -> str:
    return item.html if item.html is not None else paragraphs_html(item.text)


def item_url(base_url: str, feed: Feed, item: Item) -> str:
    return item.link or f"{base_url}/feeds/{feed.slug}/{item.id}.html"


def rss(feed: Feed, base_url: str) -> bytes:
    """The feed as RSS 2.0: one <item> per entry, newest first, the text as HTML."""
    items = "".join(
        "<item>"
        f"<title>{escape(item.title)}</title>"
        f"<link>{escape(item_url(base_url, feed, item))}</link>"
        f'<guid isPermaLink="false">{escape(item.id)}</guid>'
        f"<pubDate>{http_date(item.published_at)}</pubDate>"
        f"<description>{escape(body_html(item))}</description>"
        "</item>"
        for item in feed.items
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0"><channel>'
        f"<title>{escape(feed.title)}</title>"
        f"<link>{escape(base_url)}/feeds/{escape(feed.slug)}.rss</link>"
        f"<description>{escape(feed.description)}</description>"
        f"<language>{escape(feed.language)}</language>"
        f"<lastBuildDate>{http_date(feed.changed_at)}</lastBuildDate>"
        f"{items}</channel></rss>"
    )
    return document.encode()


def article_page(feed: Feed, item: Item, base_url: str) -> str:
    """A web page around the article, with the navigation and footer a real site has,
    so extraction has something to leave out."""
    title = html.escape(item.title or item.text.split("\n", 1)[0][:80])
    canonical = html.escape(item_url(base_url, feed, item))
    return (
        "<!doctype html>"
        f'<html lang="{html.escape(feed.language)}"><head><meta charset="utf-8">'
        f"<title>{title} | {html.escape(feed.title)}</title>"
        f'<link rel="canonical" href="{canonical}">'
        f'<meta property="article:published_time" content="{item.published_at.isoformat()}">'
        "</head><body>"
        f'<header><nav><a href="/">{html.escape(feed.title)}</a> · <a href="/about">About</a>'
        " · <a href='/subscribe'>Subscribe</a></nav></header>"
        f'<main><p class="byline">{html.escape(feed.title)} · '
        f'<time datetime="{item.published_at.isoformat()}">'
        f"{item.published_at:%Y-%m-%d %H:%M}</time></p>"
        f"<article><h1>{title}</h1>{body_html(item)}</article></main>"
        "<footer><p>© Sandbox feeds. All rights reserved.</p>"
        "<p>Cookie settings · Privacy · Contact</p></footer>"
        "</body></html>"
    )
