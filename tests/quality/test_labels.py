"""Guards for the demo corpus and its labelled queries: the data itself, no services.

The search-quality report trusts these files: recall is computed from the labels,
so a dangling id, an unlabelled duplicate or a mislabelled language silently skews
the numbers. Each check returns a list of problems (empty when the data is sound);
the last test breaks the data on purpose and makes sure every check notices.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from concierge.sandbox.feeds import load_documents, load_sources
from concierge.text.language import detect_language
from concierge.text.normalize import clean_text, content_hash
from concierge.text.simhash import NEAR_DUPLICATE_DISTANCE, distance, simhash

Record = dict[str, Any]

DATA = resources.files("concierge.sandbox.feeds").joinpath("data")
QUERIES_PATH = Path(__file__).with_name("queries.json")

MIN_DOCUMENTS = 300
MIN_QUERIES = 220
MIN_LANGUAGE_SHARE = 0.4
MIN_DOCUMENTS_PER_SOURCE = 20
MIN_QUERIES_PER_TYPE_AND_LANGUAGE = 10
MIN_DUPLICATES_PER_KIND = 5
MAX_RELEVANT = 10
MIN_WORDS, MAX_WORDS = 40, 400
FIRST_DAY = datetime(2026, 9, 1, tzinfo=UTC)
AFTER_LAST_DAY = datetime(2026, 11, 21, tzinfo=UTC)  # the last day is November 20
SEMANTIC_WINDOW = timedelta(hours=72)  # the semantic de-duplication only looks this far back

LANGUAGES = {"ru", "en"}
KINDS = {"rss", "telegram"}
DUPLICATE_KINDS = {"exact", "near", "paraphrase"}
QUERY_TYPES = {"keyword", "natural", "entity", "paraphrase", "misspelled"}
GRADES = {1, 2}
SOURCE_KEYS = {"slug", "title", "kind", "language", "description", "site_url"}
DOCUMENT_KEYS = {"id", "source", "kind", "language", "title", "text", "url", "published_at"}
DUPLICATE_KEYS = {"duplicate_of", "duplicate_kind"}
QUERY_KEYS = {"id", "language", "query", "type", "relevant"}
URL_PREFIX = "https://example-feeds.test/"
DOCUMENT_ID = re.compile(r"^[a-z]+-(ru|en)-\d{3}$")
QUERY_ID = re.compile(r"^q-(ru|en)-\d{3}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


# --- reading ---------------------------------------------------------------------------


def read_sources() -> list[Record]:
    sources: list[Record] = json.loads(DATA.joinpath("sources.json").read_text(encoding="utf-8"))
    return sources


def read_documents() -> list[Record]:
    text = DATA.joinpath("documents.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def read_queries() -> list[Record]:
    data = json.loads(QUERIES_PATH.read_text(encoding="utf-8"))
    assert set(data) == {"description", "queries"}
    assert isinstance(data["description"], str)
    assert data["description"].strip()
    queries: list[Record] = data["queries"]
    return queries


@pytest.fixture(scope="module")
def sources() -> list[Record]:
    return read_sources()


@pytest.fixture(scope="module")
def documents() -> list[Record]:
    return read_documents()


@pytest.fixture(scope="module")
def queries() -> list[Record]:
    return read_queries()


# --- helpers ---------------------------------------------------------------------------


@cache
def fingerprint(text: str) -> int:
    return simhash(clean_text(text))


@cache
def text_hash(text: str) -> str:
    return content_hash(text)


@cache
def language_of(text: str) -> str:
    return detect_language(text)


def word_count(text: str) -> int:
    return len(text.split())


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not TIMESTAMP.match(value):
        return None
    return datetime.fromisoformat(value)


def clusters(documents: list[Record]) -> dict[str, set[str]]:
    """Each document id -> the ids of its duplicate cluster (itself included)."""
    by_id = {document["id"]: document for document in documents}
    members: dict[str, set[str]] = {}
    for document in documents:
        root = document["id"]
        seen = {root}
        while by_id.get(root, {}).get("duplicate_of") in by_id:
            root = by_id[root]["duplicate_of"]
            if root in seen:  # a cycle; reported by duplicate_problems
                break
            seen.add(root)
        members.setdefault(root, set()).add(document["id"])
    return {member: group for group in members.values() for member in group}


# --- checks ----------------------------------------------------------------------------


def source_problems(sources: list[Record]) -> list[str]:
    problems = []
    counts = Counter(source.get("slug") for source in sources)
    problems += [f"duplicate source slug {slug}" for slug, n in counts.items() if n > 1]
    for source in sources:
        slug = source.get("slug")
        if set(source) != SOURCE_KEYS:
            problems.append(f"source {slug}: keys {sorted(source)}")
            continue
        if not all(isinstance(source[key], str) and source[key].strip() for key in SOURCE_KEYS):
            problems.append(f"source {slug}: empty or non-string field")
        if source["kind"] not in KINDS:
            problems.append(f"source {slug}: kind {source['kind']!r}")
        if source["language"] not in LANGUAGES:
            problems.append(f"source {slug}: language {source['language']!r}")
        if source["site_url"] != f"{URL_PREFIX}{slug}":
            problems.append(f"source {slug}: site_url {source['site_url']!r}")
    return problems


def document_problems(documents: list[Record], sources: list[Record]) -> list[str]:
    problems = []
    kinds = {source.get("slug"): source.get("kind") for source in sources}
    counts = Counter(document.get("id") for document in documents)
    problems += [f"duplicate id {doc_id}" for doc_id, n in counts.items() if n > 1]
    for document in documents:
        doc_id = str(document.get("id"))
        keys = set(document)
        if not DOCUMENT_KEYS <= keys <= DOCUMENT_KEYS | DUPLICATE_KEYS or len(
            keys & DUPLICATE_KEYS
        ) not in (0, 2):
            problems.append(f"{doc_id}: keys {sorted(keys)}")
            continue
        if not all(isinstance(document[key], str) for key in DOCUMENT_KEYS):
            problems.append(f"{doc_id}: non-string field")
            continue
        language, title, text = document["language"], document["title"], document["text"]
        if not DOCUMENT_ID.match(doc_id) or f"-{language}-" not in doc_id:
            problems.append(f"{doc_id}: id does not look like <prefix>-<language>-<nnn>")
        if document["source"] not in kinds:
            problems.append(f"{doc_id}: unknown source {document['source']!r}")
        elif document["kind"] != kinds[document["source"]]:
            problems.append(f"{doc_id}: kind {document['kind']!r} differs from its source")
        if language not in LANGUAGES:
            problems.append(f"{doc_id}: language {language!r}")
        elif language_of(f"{title}\n{text}") != language:
            problems.append(f"{doc_id}: language {language!r} but the text reads as another")
        if document["kind"] == "rss" and not title.strip():
            problems.append(f"{doc_id}: an RSS item needs a title")
        if title != title.strip() or "\n" in title:
            problems.append(f"{doc_id}: title has stray whitespace")
        if text != text.strip() or "\r" in text or "\t" in text:
            problems.append(f"{doc_id}: text has stray whitespace")
        if not MIN_WORDS <= word_count(text) <= MAX_WORDS:
            problems.append(f"{doc_id}: {word_count(text)} words")
        if document["url"] != f"{URL_PREFIX}{document['source']}/{doc_id}":
            problems.append(f"{doc_id}: url {document['url']!r}")
        published = parse_time(document["published_at"])
        if published is None or not FIRST_DAY <= published < AFTER_LAST_DAY:
            problems.append(f"{doc_id}: published_at {document['published_at']!r}")
    return problems


def duplicate_problems(documents: list[Record]) -> list[str]:
    problems = []
    by_id = {document["id"]: document for document in documents}
    kinds: Counter[str] = Counter()
    for document in documents:
        if "duplicate_of" not in document:
            continue
        doc_id, kind = document["id"], document["duplicate_kind"]
        original = by_id.get(document["duplicate_of"])
        if original is None or original is document:
            problems.append(f"{doc_id}: duplicate_of {document['duplicate_of']!r} does not exist")
            continue
        if "duplicate_of" in original:
            problems.append(f"{doc_id}: duplicate_of must point to an original, not a duplicate")
        if kind not in DUPLICATE_KINDS:
            problems.append(f"{doc_id}: duplicate_kind {kind!r}")
            continue
        kinds[kind] += 1
        if document["language"] != original["language"]:
            problems.append(f"{doc_id}: duplicate in another language than {original['id']}")
        published = parse_time(document["published_at"])
        original_published = parse_time(original["published_at"])
        if published and original_published and not original_published < published:
            problems.append(f"{doc_id}: duplicate published before its original")
        if (
            kind == "paraphrase"
            and published
            and original_published
            and published - original_published > SEMANTIC_WINDOW
        ):
            problems.append(f"{doc_id}: paraphrase published outside the semantic window")
        same = text_hash(document["text"]) == text_hash(original["text"])
        gap = distance(fingerprint(document["text"]), fingerprint(original["text"]))
        if kind == "exact" and not same:
            problems.append(f"{doc_id}: exact duplicate whose text differs from {original['id']}")
        if kind == "near" and (same or gap > NEAR_DUPLICATE_DISTANCE):
            problems.append(f"{doc_id}: near duplicate at simhash distance {gap} (same={same})")
        if kind == "paraphrase" and gap <= NEAR_DUPLICATE_DISTANCE:
            problems.append(f"{doc_id}: paraphrase within simhash distance {gap}: mark it near")
    for kind in sorted(DUPLICATE_KINDS):
        if kinds[kind] < MIN_DUPLICATES_PER_KIND:
            problems.append(f"only {kinds[kind]} duplicates of kind {kind}")
    group = clusters(documents)
    for one, other in itertools.combinations(documents, 2):
        if other["id"] in group[one["id"]]:
            continue
        if text_hash(one["text"]) == text_hash(other["text"]):
            problems.append(f"unmarked exact duplicates {one['id']} and {other['id']}")
        elif distance(fingerprint(one["text"]), fingerprint(other["text"])) <= (
            NEAR_DUPLICATE_DISTANCE
        ):
            problems.append(f"unmarked near duplicates {one['id']} and {other['id']}")
    return problems


def query_problems(queries: list[Record], documents: list[Record]) -> list[str]:
    problems = []
    by_id = {document["id"]: document for document in documents}
    group = clusters(documents)
    counts = Counter(query.get("id") for query in queries)
    problems += [f"duplicate query id {query_id}" for query_id, n in counts.items() if n > 1]
    texts = Counter(
        (query.get("language"), " ".join(str(query.get("query")).lower().split()))
        for query in queries
    )
    problems += [f"query asked twice: {text!r}" for (_, text), n in texts.items() if n > 1]
    for query in queries:
        query_id = query.get("id")
        keys = set(query)
        if not QUERY_KEYS <= keys <= QUERY_KEYS | {"cross_language"}:
            problems.append(f"{query_id}: keys {sorted(keys)}")
            continue
        language, relevant = query["language"], query["relevant"]
        cross = query.get("cross_language", False)
        if not isinstance(query_id, str) or not QUERY_ID.match(query_id):
            problems.append(f"{query_id}: id does not look like q-<language>-<nnn>")
        elif f"-{language}-" not in query_id:
            problems.append(f"{query_id}: id and language {language!r} disagree")
        if language not in LANGUAGES:
            problems.append(f"{query_id}: language {language!r}")
        if not isinstance(query["query"], str) or not query["query"].strip():
            problems.append(f"{query_id}: empty query")
        elif query["query"] != query["query"].strip():
            problems.append(f"{query_id}: query has stray whitespace")
        if query["type"] not in QUERY_TYPES:
            problems.append(f"{query_id}: type {query['type']!r}")
        if "cross_language" in query and query["cross_language"] is not True:
            problems.append(f"{query_id}: cross_language must be true when present")
        if not isinstance(relevant, dict) or not relevant:
            problems.append(f"{query_id}: no relevant documents")
            continue
        if len(relevant) > MAX_RELEVANT:
            problems.append(f"{query_id}: {len(relevant)} relevant documents, too broad")
        if 2 not in relevant.values():
            problems.append(f"{query_id}: no document with grade 2")
        for doc_id, grade in relevant.items():
            if doc_id not in by_id:
                problems.append(f"{query_id}: unknown document {doc_id}")
                continue
            if grade not in GRADES or isinstance(grade, bool):
                problems.append(f"{query_id}: grade {grade!r} for {doc_id}")
            if by_id[doc_id]["language"] != language and not cross:
                problems.append(
                    f"{query_id}: {doc_id} is in another language; mark the query cross_language"
                )
            for twin in sorted(group[doc_id] - {doc_id}):
                if relevant.get(twin) != grade:
                    problems.append(
                        f"{query_id}: duplicate {twin} of relevant {doc_id} is labelled "
                        f"{relevant.get(twin)!r}, not {grade}"
                    )
        known = [doc_id for doc_id in relevant if doc_id in by_id]
        if cross and all(by_id[doc_id]["language"] == language for doc_id in known):
            problems.append(f"{query_id}: cross_language but every relevant document is {language}")
    return problems


# --- tests -----------------------------------------------------------------------------


def test_corpus_and_queries_are_big_enough_and_balanced(
    sources: list[Record], documents: list[Record], queries: list[Record]
) -> None:
    assert len(documents) >= MIN_DOCUMENTS
    assert len(queries) >= MIN_QUERIES
    for records in (documents, queries):
        languages = Counter(record["language"] for record in records)
        for language in LANGUAGES:
            assert languages[language] / len(records) >= MIN_LANGUAGE_SHARE, (language, languages)
    per_source = Counter(document["source"] for document in documents)
    assert set(per_source) == {source["slug"] for source in sources}
    assert min(per_source.values()) >= MIN_DOCUMENTS_PER_SOURCE, per_source
    per_type = Counter((query["language"], query["type"]) for query in queries)
    for language, query_type in itertools.product(LANGUAGES, QUERY_TYPES):
        assert per_type[language, query_type] >= MIN_QUERIES_PER_TYPE_AND_LANGUAGE, per_type


def test_every_source_publishes_all_autumn(documents: list[Record]) -> None:
    months: dict[str, set[int]] = {}
    for document in documents:
        published = parse_time(document["published_at"])
        assert published is not None, document["id"]
        months.setdefault(document["source"], set()).add(published.month)
    assert all(seen == {9, 10, 11} for seen in months.values()), months


def test_sources_are_well_formed(sources: list[Record]) -> None:
    assert source_problems(sources) == []


def test_documents_are_well_formed(documents: list[Record], sources: list[Record]) -> None:
    assert document_problems(documents, sources) == []


def test_documents_are_stored_oldest_first(documents: list[Record]) -> None:
    order = [(document["published_at"], document["id"]) for document in documents]
    assert order == sorted(order)


def test_duplicates_are_marked_and_detectable(documents: list[Record]) -> None:
    assert duplicate_problems(documents) == []


def test_queries_are_well_formed_and_labels_complete(
    queries: list[Record], documents: list[Record]
) -> None:
    assert query_problems(queries, documents) == []


def test_loader_reads_every_record(sources: list[Record], documents: list[Record]) -> None:
    loaded_sources = load_sources()
    loaded = load_documents()
    assert [source.slug for source in loaded_sources] == [source["slug"] for source in sources]
    assert [document.id for document in loaded] == [document["id"] for document in documents]
    raw = {document["id"]: document for document in documents}
    for document in loaded:
        assert document.published_at.tzinfo == UTC
        assert document.published_at == parse_time(raw[document.id]["published_at"])
        assert document.text == raw[document.id]["text"]
        assert document.duplicate_of == raw[document.id].get("duplicate_of")
        assert document.duplicate_kind == raw[document.id].get("duplicate_kind")
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded[0].title = "changed"  # type: ignore[misc]


# --- the checks can fail -----------------------------------------------------------------

Data = tuple[list[Record], list[Record], list[Record]]  # sources, documents, queries


def all_problems(data: Data) -> list[str]:
    sources, documents, queries = data
    return (
        source_problems(sources)
        + document_problems(documents, sources)
        + duplicate_problems(documents)
        + query_problems(queries, documents)
    )


def first(documents: list[Record], **wanted: Any) -> Record:
    return next(d for d in documents if all(d.get(k) == v for k, v in wanted.items()))


def query_with_duplicate(data: Data) -> tuple[Record, str]:
    _, documents, queries = data
    duplicates = {d["id"] for d in documents if "duplicate_of" in d}
    query = next(q for q in queries if duplicates & set(q["relevant"]))
    return query, sorted(duplicates & set(query["relevant"]))[0]


def drop_duplicate_label(data: Data) -> None:
    query, twin = query_with_duplicate(data)
    del query["relevant"][twin]


def copy_without_mark(data: Data) -> None:
    documents = data[1]
    copied = dict(first(documents, language="ru"), id="city-ru-999")
    copied["url"] = f"{URL_PREFIX}{copied['source']}/city-ru-999"
    copied.pop("duplicate_of", None)
    copied.pop("duplicate_kind", None)
    documents.append(copied)


def rewrite_near_duplicate(data: Data) -> None:
    near = first(data[1], duplicate_kind="near")
    extra = "a whole new paragraph with many fresh words that the original never had, " * 3
    near["text"] = f"{near['text']}\n{extra.strip()}"


MUTATIONS: dict[str, tuple[Callable[[Data], object], str]] = {
    "duplicate source": (lambda d: d[0].append(dict(d[0][0])), "duplicate source slug"),
    "duplicate document id": (
        lambda d: d[1][1].update(id=d[1][0]["id"]),
        "duplicate id",
    ),
    "short text": (lambda d: d[1][0].update(text="Коротко и ясно."), "words"),
    "long text": (lambda d: d[1][0].update(text="слово " * 401 + "конец"), "words"),
    "date before the range": (
        lambda d: d[1][0].update(published_at="2026-08-31T23:59:00Z"),
        "published_at",
    ),
    "date after the range": (
        lambda d: d[1][0].update(published_at="2026-11-21T00:00:00Z"),
        "published_at",
    ),
    "date without zone": (
        lambda d: d[1][0].update(published_at="2026-09-02T10:00:00"),
        "published_at",
    ),
    "wrong language": (
        lambda d: first(d[1], language="en").update(language="ru"),
        "reads as another",
    ),
    "unknown source": (lambda d: d[1][0].update(source="nowhere"), "unknown source"),
    "wrong kind": (
        lambda d: first(d[1], kind="rss").update(kind="telegram"),
        "differs from its source",
    ),
    "missing field": (lambda d: d[1][0].pop("url"), "keys"),
    "rss without title": (lambda d: first(d[1], kind="rss").update(title=""), "needs a title"),
    "dangling duplicate_of": (
        lambda d: first(d[1], duplicate_kind="exact").update(duplicate_of="nowhere-ru-001"),
        "does not exist",
    ),
    "duplicate in another language": (
        lambda d: first(d[1], duplicate_kind="paraphrase", language="ru").update(
            duplicate_of=first(d[1], language="en")["id"]
        ),
        "another language",
    ),
    "edited exact duplicate": (
        lambda d: first(d[1], duplicate_kind="exact").update(
            text=first(d[1], duplicate_kind="exact")["text"] + " И ещё одно предложение."
        ),
        "exact duplicate whose text differs",
    ),
    "near duplicate rewritten": (rewrite_near_duplicate, "simhash distance"),
    "unmarked copy": (copy_without_mark, "unmarked exact duplicates"),
    "dangling relevant id": (
        lambda d: d[2][0]["relevant"].update({"nowhere-ru-001": 1}),
        "unknown document",
    ),
    "unlabelled duplicate": (drop_duplicate_label, "of relevant"),
    "empty query": (lambda d: d[2][0].update(query="   "), "empty query"),
    "no relevant documents": (lambda d: d[2][0].update(relevant={}), "no relevant documents"),
    "no grade 2": (
        lambda d: d[2][0].update(relevant=dict.fromkeys(d[2][0]["relevant"], 1)),
        "no document with grade 2",
    ),
    "bad grade": (
        lambda d: d[2][0]["relevant"].update(dict.fromkeys(d[2][0]["relevant"], 3)),
        "grade 3",
    ),
    "unknown type": (lambda d: d[2][0].update(type="question"), "type"),
    "duplicate query id": (lambda d: d[2][1].update(id=d[2][0]["id"]), "duplicate query id"),
    "cross-language label without flag": (
        lambda d: first(d[2], language="ru")["relevant"].update(
            {first(d[1], language="en", duplicate_kind=None)["id"]: 1}
        ),
        "mark the query cross_language",
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_checks_catch_broken_data(
    name: str, sources: list[Record], documents: list[Record], queries: list[Record]
) -> None:
    data: Data = copy.deepcopy((sources, documents, queries))
    mutate, expected = MUTATIONS[name]
    mutate(data)
    problems = all_problems(data)
    assert any(expected in problem for problem in problems), problems[:10]
