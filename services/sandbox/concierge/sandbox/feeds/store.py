"""The feeds the sandbox serves: every corpus source, plus feeds and items added at run time.

A feed's ETag is a digest of its items' ids (and of edits) and its Last-Modified the
time of the last change, so conditional requests get a 304 until something new is published
(and a restarted sandbox, which forgets items added at run time, changes its ETag).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import count

from concierge.common.errors import Conflict, NotFound
from concierge.sandbox.feeds.corpus import load_documents, load_sources


@dataclass(frozen=True)
class Item:
    id: str  # the RSS guid and the article page's name
    title: str
    text: str  # plain text, paragraphs separated by newlines
    published_at: datetime
    link: str | None = None  # None: the sandbox's own article page
    updated_at: datetime | None = None  # set when the item was edited
    html: str | None = None  # the body as markup, served as is (text is then ignored)


@dataclass
class Feed:
    slug: str
    title: str
    description: str
    language: str
    kind: str  # what the corpus says the source is (rss or telegram); always served as RSS
    items: list[Item] = field(default_factory=list)  # newest first
    revision: int = 0  # edits since the sandbox started
    changed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def etag(self) -> str:
        ids = "\n".join(item.id for item in self.items)
        digest = hashlib.sha256(f"{self.revision}\n{ids}".encode())
        return f'"{digest.hexdigest()[:32]}"'

    def find(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"No item {item_id} in feed {self.slug}")

    def publish(self, item: Item) -> Item:
        if any(existing.id == item.id for existing in self.items):
            raise Conflict(f"Feed {self.slug} already has an item {item.id}")
        self.items.append(item)
        self.items.sort(key=lambda each: (each.published_at, each.id), reverse=True)
        self._touch()
        return item

    def edit(self, item_id: str, title: str | None, text: str) -> Item:
        """Change an item's text (and title): the feed and its page say so."""
        now = datetime.now(UTC)
        for position, item in enumerate(self.items):
            if item.id == item_id:
                new_title = item.title if title is None else title
                self.items[position] = replace(item, title=new_title, text=text, updated_at=now)
                self.revision += 1
                self._touch()
                return self.items[position]
        raise NotFound(f"No item {item_id} in feed {self.slug}")

    def _touch(self) -> None:
        self.changed_at = max(datetime.now(UTC).replace(microsecond=0), self.changed_at)


class FeedStore:
    def __init__(self) -> None:
        self.feeds: dict[str, Feed] = {}
        self._numbers = count(1)

    @classmethod
    def from_corpus(cls) -> FeedStore:
        store = cls()
        for source in load_sources():
            store.feeds[source.slug] = Feed(
                slug=source.slug,
                title=source.title,
                description=source.description,
                language=source.language,
                kind=source.kind,
            )
        for document in load_documents():
            store.feeds[document.source].items.append(
                Item(document.id, document.title, document.text, document.published_at)
            )
        for feed in store.feeds.values():
            feed.items.reverse()  # the corpus is oldest first
            if feed.items:
                feed.changed_at = feed.items[0].published_at
        return store

    def get(self, slug: str) -> Feed:
        feed = self.feeds.get(slug)
        if feed is None:
            raise NotFound(f"No feed {slug}")
        return feed

    def create(self, slug: str, title: str, description: str, language: str) -> tuple[Feed, bool]:
        """A new, empty feed; the existing one (and False) when the slug is taken."""
        if slug in self.feeds:
            return self.feeds[slug], False
        feed = Feed(slug, title, description, language, kind="rss")
        self.feeds[slug] = feed
        return feed, True

    def next_item_id(self, slug: str) -> str:
        return f"{slug}-added-{next(self._numbers)}"
