"""The feed's relevance model on synthetic readers, next to popularity and random baselines.

Readers with known tastes read the demo corpus (the sandbox's channels and feeds, each post
labelled with its topic by its id: tech, city, rent, screen, market, amt, food; tech is in
two channels, in two languages, and market and screen publish in both languages). Each
reader likes 2–3 topics; they rate a training round of ``--per-channel`` posts from every
channel of the earlier 60 % of the corpus (by publication time), with noise: a post of a
liked topic is liked with p=0.85, disliked 0.10, skipped 0.05; another topic's post is
liked with p=0.08, skipped 0.05, else disliked. The worker's own ``fit`` makes the model
(``concierge.worker.feed.relevance``: the content model, or the logistic regression once the
reader has enough ratings of both kinds), which ranks the held-out later 40 %.

Printed, averaged over readers: AUC and nDCG@10 against each reader's true taste (a post is
relevant when its topic is one they like), for

- the model; the model without channel features (embedding and recency only: the demo
  corpus's topics mostly coincide with channels, so this shows what the text alone gives);
- popularity: a held-out post ranked by how many *other* readers like it (their noisy
  ratings of the held-out posts, leave-one-out — stronger than any real popularity, which
  would not know the future's ratings);
- random.

Also the time to retrain one reader (p95 over readers) and to rank 1,000 candidates
(p95): the linear score in numpy, and the api's own statement (``FeedRepository.ranked``)
in an embedded Postgres (``--no-sql`` skips it).

Two corpora (``--corpus``, both by default, one after the other): ``demo``, the demo
corpus above; ``channels``, the user-bot's sandbox channels (its MTProto stand-in, the
channels make dev registers as telegram sources: 5 topics — tech, football, cooking,
travel, finance — each in a Russian and an English channel, 34 posts each, every post
labelled with its topic, and a tech post reposted in a finance channel). There a topic is
in two channels and two languages, so the text has to carry it across languages.

Target (the issue): AUC ≥ 0.8 and ≥ 0.1 above popularity.

    python bench/feed_eval.py [--quick] [--corpus demo|channels|both] [--readers 200]
        [--per-channel 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from concierge.embedding import EmbeddingSpec, load_embedder, passage_text
from concierge.sandbox.channels.state import ChannelWorld
from concierge.sandbox.feeds import load_documents
from concierge.worker.feed.relevance import Example, LinearModel, fit, recency

TOPIC_OF_PREFIX = {
    "tech": "tech",
    "bytes": "tech",
    "city": "city",
    "rent": "rent",
    "screen": "screen",
    "market": "market",
    "amt": "amt",
    "food": "food",
}
TRAIN_SHARE = 0.6
LIKE_LIKED, DISLIKE_LIKED = 0.85, 0.10  # else skipped
LIKE_OTHER, SKIP_OTHER = 0.08, 0.05  # else disliked


@dataclass(frozen=True)
class Item:
    """One post of a corpus, with its topic label."""

    source: str
    topic: str
    published_at: datetime
    title: str
    text: str


def demo_items() -> list[Item]:
    """The demo corpus (the sandbox's feeds and pages), oldest first."""
    return [
        Item(d.source, topic_of(d.id), d.published_at, d.title, d.text) for d in load_documents()
    ]


def channel_items() -> list[Item]:
    """The user-bot's sandbox channels (every public post, albums once), oldest first."""
    world = ChannelWorld()
    world.seed_demo()
    items = [
        Item(entry["channel"], entry["topic"], datetime.fromisoformat(entry["date"]), "",
             entry["text"])
        for entry in world.corpus()
        if entry["topic"] and entry["text"].strip()
    ]  # fmt: skip
    return sorted(items, key=lambda item: item.published_at)


CORPORA = {"demo": demo_items, "channels": channel_items}


@dataclass(frozen=True)
class Post:
    index: int
    channel: int
    topic: str
    age_days: float


def topic_of(document_id: str) -> str:
    return TOPIC_OF_PREFIX[document_id.split("-", 1)[0]]


def verdict(liked: bool, rng: random.Random) -> int:
    draw = rng.random()
    if liked:
        return 1 if draw < LIKE_LIKED else -1 if draw < LIKE_LIKED + DISLIKE_LIKED else 0
    return 1 if draw < LIKE_OTHER else 0 if draw < LIKE_OTHER + SKIP_OTHER else -1


def auc(scores: list[float], relevant: list[bool]) -> float | None:
    """The probability that a relevant post outranks an irrelevant one (ties count half)."""
    positives = [s for s, r in zip(scores, relevant, strict=True) if r]
    negatives = [s for s, r in zip(scores, relevant, strict=True) if not r]
    if not positives or not negatives:
        return None
    order = np.argsort(np.array(scores), kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = np.array(scores)[order]
    i = 0
    while i < len(scores):  # average ranks of ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positive_ranks = sum(ranks[k] for k, r in enumerate(relevant) if r)
    n_pos, n_neg = len(positives), len(negatives)
    return float((positive_ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def ndcg_at(scores: list[float], relevant: list[bool], k: int = 10) -> float | None:
    if not any(relevant):
        return None
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    dcg = sum(1 / math.log2(rank + 2) for rank, i in enumerate(order) if relevant[i])
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, sum(relevant))))
    return dcg / ideal


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def corpus_vectors(documents: Sequence[Item], cache: Path | None) -> np.ndarray:
    """The corpus's passage vectors of the default model, cached by model and texts (the
    model takes minutes for 360 posts on a loaded 2-core machine)."""
    embedder = load_embedder(EmbeddingSpec())
    texts = [embedder.fit(passage_text(d.title, d.text)) for d in documents]
    key = hashlib.sha256("\0".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    path = None if cache is None else cache / f"feed-eval-{key}.npy"
    if path is not None and path.exists():
        return np.load(path)
    vectors = np.vstack(
        [embedder.encode_passages(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


async def _sql_rank_times(
    vectors: np.ndarray, model: LinearModel, database_url: str
) -> list[float]:
    """The api's own ranking statement (``FeedRepository.ranked``) over 1,000 candidates of
    one reader (the corpus's vectors, repeated over 1,000 posts of 8 channels)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from concierge.api.feed.repository import FeedRepository
    from concierge.domain.ingest.vectors import create_vector_index
    from concierge.worker.feed.repository import FeedTrainingRepository

    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            dims = vectors.shape[1]
            model_id = await session.scalar(
                text(
                    "INSERT INTO embedding_models (name, dimensions, state) "
                    "VALUES ('bench', :d, 'active') RETURNING id"
                ),
                {"d": dims},
            )
            await session.execute(text(create_vector_index(model_id, dims, concurrently=False)))
            user_id = await session.scalar(
                text(
                    "INSERT INTO users (telegram_id, role, status) "
                    "VALUES (1, 'user', 'active') RETURNING id"
                )
            )
            sources = []
            for number in range(8):
                source_id = await session.scalar(
                    text(
                        "INSERT INTO sources (kind, handle, title, poll_interval_s) "
                        "VALUES ('telegram', :h, :title, 900) RETURNING id"
                    ),
                    {"h": f"bench_{number}", "title": f"Bench {number}"},
                )
                sources.append(source_id)
                await session.execute(
                    text("INSERT INTO feed_channels (user_id, source_id) VALUES (:u, :s)"),
                    {"u": user_id, "s": source_id},
                )
            for number in range(1000):
                document_id = await session.scalar(
                    text(
                        "INSERT INTO documents (source_id, kind, external_id, text, language, "
                        "published_at, content_hash, simhash, band0, band1, band2, band3) "
                        "VALUES (:s, 'post', :e, :t, 'en', now() - make_interval(hours => :n), :h, "
                        "0, 0, 0, 0, 0) RETURNING id"
                    ),
                    {
                        "s": sources[number % 8],
                        "e": f"b{number}",
                        "t": f"post {number}",
                        "n": number,
                        "h": f"{number:064x}",
                    },
                )
                await session.execute(
                    text(
                        "INSERT INTO document_vectors (model_id, document_id, embedding) "
                        "VALUES (:m, :d, CAST(:v AS vector))"
                    ),
                    {
                        "m": model_id,
                        "d": document_id,
                        "v": "["
                        + ",".join(f"{x:.6g}" for x in vectors[number % len(vectors)])
                        + "]",
                    },
                )
            model.channel_weights = {
                source: weight
                for source, weight in zip(sources, model.channel_weights.values(), strict=False)
            }
            repository = FeedRepository(session)
            await FeedTrainingRepository(session).save(
                user_id, model_id, model, await repository.now()
            )
            await session.commit()
            stored = await repository.model(user_id)
            now = await repository.now()
            times = []
            for _ in range(100):
                t0 = time.perf_counter()
                ranked = await repository.ranked(user_id, stored, model_id, now, limit=10)
                times.append(time.perf_counter() - t0)
            assert len(ranked) == 10
            return times
    finally:
        await engine.dispose()


def sql_rank_times(vectors: np.ndarray, model: LinearModel) -> list[float]:
    import asyncio
    import tempfile

    from concierge.api.migrate import upgrade_database
    from concierge.embedded import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="cfe-", dir="/tmp") as root:
        postgres = EmbeddedPostgres(Path(root) / "pg").start()
        try:
            postgres.create_database("bench", recreate=True)
            url = postgres.url("bench")
            upgrade_database(url)
            return asyncio.run(_sql_rank_times(vectors, model, url))
        finally:
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 readers")
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--per-channel", type=int, default=5, help="training posts per channel")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--corpus", choices=("demo", "channels", "both"), default="both", help="which corpus"
    )
    parser.add_argument(
        "--no-sql", action="store_true", help="skip the api's ranking statement in Postgres"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("test-artifacts/bench-cache"),
        help="where the corpus's vectors are kept between runs ('' for none)",
    )
    args = parser.parse_args()
    if args.quick:
        args.readers = 50
    if args.cache is not None and str(args.cache) in ("", "."):
        args.cache = None
    names = ["demo", "channels"] if args.corpus == "both" else [args.corpus]
    for number, name in enumerate(names):
        print(f"--- corpus: {name}")
        # The api's statement in Postgres once: it does not depend on the corpus.
        evaluate(name, CORPORA[name](), args, sql=not args.no_sql and number == 0)


def evaluate(corpus: str, documents: list[Item], args: argparse.Namespace, *, sql: bool) -> None:
    rng = random.Random(args.seed)
    channels = sorted({document.source for document in documents})
    newest = documents[-1].published_at
    posts = [
        Post(
            index,
            channels.index(document.source),
            document.topic,
            (newest - document.published_at).total_seconds() / 86400,
        )
        for index, document in enumerate(documents)
    ]
    topics = sorted({post.topic for post in posts})
    started = time.perf_counter()
    vectors = corpus_vectors(documents, args.cache)
    embed_s = time.perf_counter() - started
    cut = int(len(posts) * TRAIN_SHARE)
    early, later = posts[:cut], posts[cut:]
    by_channel: dict[int, list[Post]] = {}
    for post in early:
        by_channel.setdefault(post.channel, []).append(post)

    readers = [set(rng.sample(topics, rng.choice((2, 3)))) for _ in range(args.readers)]
    # Everyone's noisy ratings of the held-out posts: what popularity is made of.
    held_likes = np.array(
        [
            [1 if verdict(post.topic in taste, rng) == 1 else 0 for post in later]
            for taste in readers
        ]
    )
    later_vectors = vectors[[post.index for post in later]]
    later_channels = [post.channel for post in later]
    # At ranking time the held-out posts' recency: as fresh as the api would see them.
    later_recency = [recency(post.age_days) for post in later]

    results: dict[str, list[tuple[float, float]]] = {
        name: [] for name in ("model", "text only", "popularity", "random")
    }
    train_times: list[float] = []
    kinds: dict[str, int] = {}
    for reader, taste in enumerate(readers):
        examples = []
        for channel, pool in by_channel.items():
            for post in rng.sample(pool, min(args.per_channel, len(pool))):
                label = verdict(post.topic in taste, rng)
                if label:
                    examples.append(Example(vectors[post.index], channel, recency(0.5), label))
        t0 = time.perf_counter()
        model = fit(examples)
        train_times.append(time.perf_counter() - t0)
        relevant = [post.topic in taste for post in later]
        kinds[model.kind if model else "none"] = kinds.get(model.kind if model else "none", 0) + 1
        text_only = fit([Example(e.embedding, 0, e.recency, e.label) for e in examples])
        scored = {
            "model": model.score(later_vectors, later_channels, later_recency).tolist()
            if model
            else [0.0] * len(later),
            "text only": text_only.score(later_vectors, [0] * len(later), later_recency).tolist()
            if text_only
            else [0.0] * len(later),
            "popularity": (held_likes.sum(axis=0) - held_likes[reader]).astype(float).tolist(),
            "random": [rng.random() for _ in later],
        }
        for name, scores in scored.items():
            a, n = auc(scores, relevant), ndcg_at(scores, relevant)
            if a is not None and n is not None:
                results[name].append((a, n))

    # Ranking 1,000 candidates: a logistic model over 1,000 rows of real vectors.
    some = fit(
        [Example(vectors[p.index], p.channel, 1.0, 1 if p.topic == "tech" else -1) for p in early]
    )
    assert some is not None
    candidates = vectors[np.arange(1000) % len(vectors)]
    rank_times = []
    for _ in range(200):
        t0 = time.perf_counter()
        scores = some.score(candidates, [i % len(channels) for i in range(1000)], [0.5] * 1000)
        np.argsort(-scores)[:10]
        rank_times.append(time.perf_counter() - t0)

    sql_times = sql_rank_times(vectors, some) if sql else []
    mean = {
        name: (statistics.fmean(a for a, _ in rows), statistics.fmean(n for _, n in rows))
        for name, rows in results.items()
    }
    for ranker, (a, n) in mean.items():
        print(f"{ranker:>10}: AUC {a:.3f}  nDCG@10 {n:.3f}  ({len(results[ranker])} readers)")
    print(
        f"models: {kinds}; {len(channels)} channels, {len(topics)} topics; embedding "
        f"{len(documents)} posts took {embed_s:.1f} s"
    )
    lift = mean["model"][0] - mean["popularity"][0]
    ok = mean["model"][0] >= 0.8 and lift >= 0.1
    print(
        f"RESULT corpus={corpus} auc={mean['model'][0]:.3f} ndcg10={mean['model'][1]:.3f} "
        f"auc_text_only={mean['text only'][0]:.3f} "
        f"auc_popularity={mean['popularity'][0]:.3f} ndcg10_popularity={mean['popularity'][1]:.3f} "
        f"auc_random={mean['random'][0]:.3f} ndcg10_random={mean['random'][1]:.3f} "
        f"lift={lift:.3f} retrain_p95_ms={p95(train_times) * 1000:.1f} "
        f"rank1000_p95_ms={p95(rank_times) * 1000:.2f} "
        f"rank1000_sql_p95_ms={p95(sql_times) * 1000 if sql_times else float('nan'):.1f} "
        f"readers={len(readers)} "
        f"per_channel={args.per_channel} target_met={ok}"
    )


if __name__ == "__main__":
    main()
