"""The pure parts of ingest: the polling formula, header parsing, feed and page parsing,
documents built from items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from concierge.contracts.search import DocumentKind
from concierge.text.simhash import bands, simhash, to_signed
from concierge.worker.ingest.documents import build_document, build_documents
from concierge.worker.ingest.parsing import (
    MAX_EXTERNAL_ID,
    ParseError,
    RawItem,
    parse_feed,
    parse_page,
)
from concierge.worker.ingest.polling import (
    Bounds,
    adaptive_interval,
    after_failure,
    after_success,
    error_backoff,
    max_age_s,
    publishing_interval,
    retry_after_s,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BOUNDS = Bounds(300, 86_400)


def every(minutes: float, count: int, *, silent_for: timedelta = timedelta()) -> list[datetime]:
    newest = NOW - silent_for
    return [newest - timedelta(minutes=minutes * n) for n in range(count)]


class TestPublishingInterval:
    def test_half_the_mean_gap_between_recent_items(self):
        assert publishing_interval(every(60, 10), NOW, BOUNDS) == 1800

    def test_a_quiet_feed_is_checked_less_and_less(self):
        quiet = every(60, 10, silent_for=timedelta(hours=10))
        assert publishing_interval(quiet, NOW, BOUNDS) == 5 * 3600

    def test_stays_within_the_bounds(self):
        assert publishing_interval(every(1, 50), NOW, BOUNDS) == 300
        assert publishing_interval(every(60 * 24 * 7, 5), NOW, BOUNDS) == 86_400

    def test_reads_only_the_newest_items_and_ignores_future_ones(self):
        dates = every(10, 20) + every(60 * 24, 5, silent_for=timedelta(days=30))
        assert publishing_interval([*dates, NOW + timedelta(days=3)], NOW, BOUNDS) == 300

    def test_needs_two_dated_items(self):
        assert publishing_interval([NOW], NOW, BOUNDS) is None
        assert publishing_interval([], NOW, BOUNDS) is None

    def test_without_dates_halves_after_a_change_and_doubles_after_none(self):
        assert adaptive_interval(3600, changed=True, bounds=BOUNDS) == 1800
        assert adaptive_interval(3600, changed=False, bounds=BOUNDS) == 7200
        assert adaptive_interval(400, changed=True, bounds=BOUNDS) == 300
        assert adaptive_interval(60_000, changed=False, bounds=BOUNDS) == 86_400


class TestNextCheck:
    def test_backoff_doubles_from_the_minimum_up_to_the_maximum(self):
        assert [error_backoff(n, BOUNDS) for n in (1, 2, 3, 4)] == [300, 600, 1200, 2400]
        assert error_backoff(20, BOUNDS) == 86_400

    def test_jitter_adds_at_most_a_tenth_and_never_passes_the_maximum(self):
        for _ in range(50):
            wait = (after_success(1000, None, NOW, BOUNDS) - NOW).total_seconds()
            assert 1000 <= wait <= 1100
            longest = (after_success(86_400, None, NOW, BOUNDS) - NOW).total_seconds()
            assert longest == 86_400

    def test_the_servers_wishes_are_floors(self):
        assert (after_success(300, 7200, NOW, BOUNDS) - NOW).total_seconds() >= 7200
        assert (after_failure(1, 3600, NOW, BOUNDS) - NOW).total_seconds() >= 3600
        capped = (after_failure(1, 10**9, NOW, BOUNDS) - NOW).total_seconds()
        assert capped == 86_400

    @pytest.mark.parametrize(
        ("header", "seconds"),
        [
            ("max-age=600", 600),
            ("public, max-age=3600, must-revalidate", 3600),
            ('max-age="60"', 60),
            ("s-maxage=10", None),
            ("no-cache, max-age=600", None),
            ("no-store", None),
            (None, None),
        ],
    )
    def test_reads_max_age(self, header, seconds):
        assert max_age_s(header) == seconds

    def test_reads_retry_after_in_seconds_or_as_a_date(self):
        assert retry_after_s("120", NOW) == 120
        assert retry_after_s("Wed, 25 Nov 2026 13:00:00 GMT", NOW) == 3600
        assert retry_after_s("Wed, 25 Nov 2026 11:00:00 GMT", NOW) == 0
        assert retry_after_s("soon", NOW) is None
        assert retry_after_s(None, NOW) is None


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title>
<entry><id>urn:uuid:1</id><title type="html">A &amp;amp; B</title>
<link href="https://example.com/a"/><updated>2026-11-20T10:00:00Z</updated>
<summary>Short</summary><content type="html">&lt;p&gt;The full text&lt;/p&gt;</content></entry>
</feed>"""

JSON_FEED = (
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": '
    b'[{"id": "j1", "content_text": "Hello from JSON", "date_published": "2026-11-20T10:00:00Z"}]}'
)


class TestParseFeed:
    def test_reads_atom_with_its_full_content(self):
        feed = parse_feed(ATOM, "https://example.com/atom.xml", "application/atom+xml")
        (item,) = feed.items
        assert feed.title == "Atom news"
        assert item.external_id == "urn:uuid:1"
        assert item.body == "<p>The full text</p>"
        assert item.url == "https://example.com/a"
        assert item.published_at == datetime(2026, 11, 20, 10, tzinfo=UTC)

    def test_reads_json_feed(self):
        (item,) = parse_feed(JSON_FEED, "https://example.com/f.json", "application/feed+json").items
        assert (item.external_id, item.body) == ("j1", "Hello from JSON")

    def test_recovers_items_from_a_sloppy_feed(self):
        sloppy = b"<rss version='2.0'><channel><item><title>A & B</title><description>x &nbsp; y"
        sloppy += b"</description><guid>g1</guid></item></channel></rss>"
        (item,) = parse_feed(sloppy, "https://example.com/rss").items
        assert item.title == "A & B"

    def test_an_item_without_guid_or_link_is_known_by_its_content(self):
        body = b"<rss version='2.0'><channel><item><title>T</title><description>D</description>"
        body += b"</item></channel></rss>"
        (item,) = parse_feed(body, "https://example.com/rss").items
        assert item.external_id.startswith("sha256:")
        assert parse_feed(body, "https://example.com/rss").items[0].external_id == item.external_id

    def test_a_very_long_guid_is_hashed(self):
        guid = "https://example.com/" + "x" * 3000
        body = f"<rss version='2.0'><channel><item><guid>{guid}</guid><title>T</title>"
        body += "</item></channel></rss>"
        (item,) = parse_feed(body.encode(), "https://example.com/rss").items
        assert item.external_id.startswith("sha256:")
        assert len(item.external_id) < MAX_EXTERNAL_ID

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"<?xml version='1.0'?><rss version='2.0'><channel><<<", "malformed feed"),
            (b"<html><body><p>Welcome</p></body></html>", "not a feed"),
            (b"just text", "not a feed"),
            (b"", "not a feed"),
        ],
    )
    def test_what_is_no_feed_is_a_parse_error(self, body, message):
        with pytest.raises(ParseError, match=message):
            parse_feed(body, "https://example.com/rss")

    def test_an_empty_feed_is_fine(self):
        empty = b"<rss version='2.0'><channel><title>Nothing yet</title></channel></rss>"
        assert parse_feed(empty, "https://example.com/rss").items == []


PAGE = b"""<html><head><title>Ferry news | Site</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article><h1>The ferry is back</h1>
<p>The ferry line between Sochi and Trabzon resumes in April with a ship for 400 passengers
and 60 cars. The crossing takes eleven hours and tickets go on sale next week.</p>
<p>A cabin for two costs about 12,000 roubles per person; a seat costs 6,500.</p></article>
<footer>Cookie settings. All rights reserved.</footer></body></html>"""


class TestParsePage:
    def test_keeps_the_article_and_leaves_the_rest(self):
        item = parse_page(PAGE, "https://example.com/ferry", identity="https://example.com/f")
        assert item.external_id == "https://example.com/f"
        assert item.title == "The ferry is back"
        assert item.body.startswith("The ferry line between Sochi and Trabzon")
        assert "Cookie" not in item.body
        assert "About us" not in item.body

    def test_a_page_without_text_is_a_parse_error(self):
        with pytest.raises(ParseError):
            parse_page(b"<html><body><script>x()</script></body></html>", "https://e.com/")


def raw(body: str, title: str = "", **extra) -> RawItem:
    values = {"external_id": "id-1", "url": None, "published_at": None, **extra}
    return RawItem(title=title, body=body, **values)


class TestBuildDocument:
    def test_cleans_detects_the_language_and_fingerprints_the_body(self):
        body = "<p>Паромная\u00a0линия  Сочи — Трабзон\x00 возобновит работу в апреле.</p>"
        document = build_document(raw(body, "Паром &laquo;Эвксин&raquo;"), DocumentKind.POST, NOW)
        assert document is not None
        assert document.title == "Паром «Эвксин»"
        assert document.text == "Паромная линия Сочи — Трабзон возобновит работу в апреле."
        assert document.language == "ru"
        assert document.simhash == to_signed(simhash(document.text))
        assert document.bands == bands(simhash(document.text))
        assert document.embed_text == f"{document.title}\n{document.text}"
        assert document.published_at == NOW  # no date in the item: when it was fetched

    def test_canonical_urls_and_only_web_ones(self):
        link = "HTTPS://Example.com:443/a/?utm_medium=x&ref=feed&id=5#frag"
        document = build_document(raw("x", url=link), DocumentKind.POST, NOW)
        assert document is not None
        assert document.url == "https://example.com/a?id=5"
        for bad in ("javascript:alert(1)", "mailto:a@b.c", "/relative"):
            other = build_document(raw("x", url=bad), DocumentKind.POST, NOW)
            assert other is not None
            assert other.url is None

    def test_a_date_in_the_future_is_the_fetch_time(self):
        later = NOW + timedelta(days=2)
        document = build_document(raw("x", published_at=later), DocumentKind.POST, NOW)
        assert document is not None
        assert document.published_at == NOW

    def test_no_text_at_all_is_no_document(self):
        assert build_document(raw("<p> </p>"), DocumentKind.POST, NOW) is None
        title_only = build_document(raw("", "Just a title"), DocumentKind.POST, NOW)
        assert title_only is not None
        assert title_only.text == "Just a title"

    def test_the_hash_ignores_the_headline(self):
        with_title = build_document(raw("Same words here.", "Headline"), DocumentKind.POST, NOW)
        without = build_document(raw("same  WORDS here", ""), DocumentKind.POST, NOW)
        assert with_title is not None
        assert without is not None
        assert with_title.content_hash == without.content_hash

    def test_a_fetch_keeps_one_document_per_id_oldest_first(self):
        items = [
            raw("b", external_id="2", published_at=NOW - timedelta(hours=1)),
            raw("a", external_id="1", published_at=NOW - timedelta(hours=2)),
            raw("again", external_id="2"),
            raw("", external_id="3"),
        ]
        documents = build_documents(items, DocumentKind.POST, NOW)
        assert [(d.external_id, d.text) for d in documents] == [("1", "a"), ("2", "b")]
