"""Torznab answers (RSS 2.0 with ``torznab:attr``) parsed defensively.

lxml with entities left unresolved, no network, no DTD and no huge-tree mode, so an
entity bomb or an external entity does nothing; any malformed document is a
``BadResponse``. The body is capped before it gets here (``TorznabIndexer``).
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from concierge.media.errors import AuthFailed, BadResponse, RateLimited
from concierge.media.indexers.models import IndexerCaps, Quality

TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
ATTR = f"{{{TORZNAB_NS}}}attr"
NEWZNAB_ATTR = "{http://www.newznab.com/DTD/2010/feeds/attributes/}attr"

_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parse_xml(body: bytes, what: str) -> etree._Element:
    if not body.strip():
        raise BadResponse(f"{what} answered nothing")
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise BadResponse(f"{what} answered malformed XML") from None
    if root is None:
        raise BadResponse(f"{what} answered malformed XML")
    if root.tag == "error":
        raise _torznab_error(root, what)
    return root


def _torznab_error(root: etree._Element, what: str) -> Exception:
    code = (root.get("code") or "").strip()
    description = (root.get("description") or "")[:200]
    if code in ("100", "101", "102"):
        return AuthFailed(f"{what} refused the API key")
    if code in ("429", "500") and "limit" in description.lower():
        return RateLimited(f"{what}: {description}")
    return BadResponse(f"{what} answered error {code[:8]}: {description}")


def parse_caps(root: etree._Element, what: str) -> IndexerCaps:
    if root.tag != "caps":
        raise BadResponse(f"{what} answered caps that are not caps")
    searching = root.find("searching")

    def params(tag: str) -> list[str]:
        node = searching.find(tag) if searching is not None else None
        if node is None or node.get("available", "no").lower() != "yes":
            return []
        return [p.strip() for p in (node.get("supportedParams") or "q").split(",") if p.strip()]

    categories: dict[int, str] = {}
    for cat in root.iterfind("categories/category"):
        _add_category(categories, cat)
        for sub in cat.iterfind("subcat"):
            _add_category(categories, sub)
    limits = root.find("limits")
    limit_max = _int(limits.get("max")) if limits is not None else None
    server = root.find("server")
    return IndexerCaps(
        server_title=(server.get("title") or "")[:100] or None if server is not None else None,
        search_params=params("search") or ["q"],
        movie_params=params("movie-search"),
        tv_params=params("tv-search"),
        categories=categories,
        limit_max=max(1, min(limit_max or 100, 1000)),
    )


def _add_category(categories: dict[int, str], node: etree._Element) -> None:
    cat_id = _int(node.get("id"))
    if cat_id is not None:
        categories[cat_id] = (node.get("name") or "")[:100]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RawItem(dict[str, Any]):
    """One ``<item>``: its elements' text and its torznab attributes (``attr:<name>``)."""


def parse_items(root: etree._Element, what: str, *, max_items: int = 500) -> list[RawItem]:
    if root.tag != "rss":
        raise BadResponse(f"{what} answered something else than RSS")
    channel = root.find("channel")
    if channel is None:
        raise BadResponse(f"{what} answered RSS without a channel")
    items: list[RawItem] = []
    for node in channel.iterfind("item"):
        if len(items) >= max_items:
            break
        item = RawItem()
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if child.tag in (ATTR, NEWZNAB_ATTR):
                name = (child.get("name") or "").lower()
                if name:
                    item.setdefault(f"attr:{name}", [])
                    item[f"attr:{name}"].append(child.get("value") or "")
            elif child.tag == "enclosure":
                item["enclosure"] = child.get("url") or ""
                item["enclosure_length"] = child.get("length") or ""
            elif child.tag == "category":
                item.setdefault("category", []).append(child.text or "")
            else:
                item[child.tag] = child.text or ""
        items.append(item)
    return items


def first_attr(item: RawItem, name: str) -> str | None:
    values = item.get(f"attr:{name}")
    return values[0] if values else None


def int_value(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(float(value.strip()))
    except (ValueError, OverflowError):
        return None
    return number if number >= 0 else None


def pub_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


# --- what a title says -------------------------------------------------------------

_QUALITY = [
    (re.compile(r"(?<![0-9])(2160p|4k|uhd)(?![0-9a-z])", re.I), Quality.UHD2160),
    (re.compile(r"(?<![0-9])1080[pi](?![0-9a-z])", re.I), Quality.HD1080),
    (re.compile(r"(?<![0-9])720p(?![0-9a-z])", re.I), Quality.HD720),
    (re.compile(r"(?<![0-9])(480p|576p|dvdrip|sdtv|xvid)(?![0-9a-z])", re.I), Quality.SD),
]
_AUDIO = {
    "ru": re.compile(
        r"(?<![a-zа-яё])(rus|russian|dub|mvo|dvo|avo|дубляж|дублированный|многоголосый|"
        r"двухголосый|одноголосый|лицензия|русский|рус)(?![a-zа-яё])",
        re.I,
    ),
    "en": re.compile(r"(?<![a-zа-яё])(eng|english|original|оригинал|англ)(?![a-zа-яё])", re.I),
    "uk": re.compile(r"(?<![a-zа-яё])(ukr|ua|ukrainian|укр)(?![a-zа-яё])", re.I),
    "de": re.compile(r"(?<![a-z])(ger|german|deutsch)(?![a-z])", re.I),
}


def quality_of(title: str) -> Quality:
    for pattern, quality in _QUALITY:
        if pattern.search(title):
            return quality
    return Quality.UNKNOWN


def audio_of(title: str) -> list[str]:
    return [language for language, pattern in _AUDIO.items() if pattern.search(title)]
