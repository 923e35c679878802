"""One media conversation turn with two tool calls, against the sandbox's stand-ins.

The agent layer (``concierge.agent``) runs a turn of "find Arrival in 1080p": the
sandbox's LLM (scripted) calls ``search_titles`` (TMDB stand-in through the Redis cache
of ``concierge.media``), then ``search_releases`` (the Torznab stand-in, ranked by the
person's preferences), then writes the answer, streamed. Measured per turn, over
``--turns`` turns on each wire protocol:

- time to the first streamed text, and to the final message (p50, p95);
- the bare provider calls of the same turn (three streamed model requests with the same
  replies, no tools, no agent), and the ratio of the turn to them: what the agent layer
  and the tools add;
- the metadata cache's hit ratio over a scripted session (people asking for titles
  that others asked for, details and recommendations).

    python bench/media.py [--quick] [--turns 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic_ai import RunContext, direct
from pydantic_ai.messages import (
    ModelRequest,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    UserPromptPart,
)
from redis.asyncio import Redis

from concierge.agent.chat import ChatAgent, TextDelta, TurnDone, TurnFailed
from concierge.agent.providers import LlmConfig, build_model, close_model
from concierge.embedded import EmbeddedRedis
from concierge.media.indexers.models import ReleasePreferences, SearchRequest, SearchType
from concierge.media.indexers.ranking import rank
from concierge.media.indexers.torznab import TorznabIndexer
from concierge.media.metadata.cache import CachedMetadata
from concierge.media.metadata.models import MediaKind, SearchKind
from concierge.media.metadata.tmdb import TmdbClient
from concierge.sandbox.main import create_app
from concierge.sandbox.settings import SandboxSettings

ANSWER = "Arrival (2016), 1080p: the best release has the most seeders. Add it?"
TITLES_CALL = {"name": "search_titles", "arguments": {"query": "Arrival"}}
RELEASES_CALL = {"name": "search_releases", "arguments": {"tmdb_id": 329865, "title": "Arrival"}}


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_sandbox() -> tuple[str, _QuietServer, asyncio.Task[None]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = SandboxSettings(_env_file=None, log_json=False, public_url=url)
    config = uvicorn.Config(create_app(settings), log_config=None, ws="none", lifespan="on")
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    return url, server, task


@dataclass
class Tools:
    metadata: CachedMetadata
    indexer: TorznabIndexer
    prefs: ReleasePreferences


async def search_titles(ctx: RunContext[Tools], query: str) -> list[dict[str, Any]]:
    """Find films and series by title."""
    page = await ctx.deps.metadata.search(query, kind=SearchKind.MULTI)
    return [t.model_dump(include={"id", "kind", "title", "year"}) for t in page.results[:5]]


async def search_releases(ctx: RunContext[Tools], tmdb_id: int, title: str) -> list[dict[str, Any]]:
    """Find releases of a title on the person's indexers, best first."""
    found = await ctx.deps.indexer.search(
        SearchRequest(query=title, type=SearchType.MOVIE, tmdb_id=tmdb_id)
    )
    fields = {"title", "size", "seeders"}
    return [r.model_dump(include=fields) for r in rank(found, ctx.deps.prefs)[:3]]


async def script_turn(http: httpx.AsyncClient) -> None:
    for fault in (
        {"kind": "tool_calls", "calls": [TITLES_CALL]},
        {"kind": "tool_calls", "calls": [RELEASES_CALL]},
        {"kind": "reply", "text": ANSWER},
    ):
        (await http.post("/sandbox/llm/faults", json=fault)).raise_for_status()


async def one_turn(
    agent: ChatAgent[Tools], tools: Tools, http: httpx.AsyncClient
) -> tuple[float, float]:
    await script_turn(http)
    started = time.perf_counter()
    first = None
    async for event in agent.stream("bench", "find Arrival in 1080p", tools):
        if isinstance(event, TextDelta) and first is None:
            first = time.perf_counter() - started
        elif isinstance(event, TurnFailed):
            raise RuntimeError(event.reason)
        elif isinstance(event, TurnDone):
            assert event.text == ANSWER, event.text
    return first or 0.0, time.perf_counter() - started


async def bare_turn(config: LlmConfig, http: httpx.AsyncClient) -> tuple[float, float]:
    """The same three model calls without the agent or tools: streamed requests."""
    model = build_model(config)
    await script_turn(http)
    request = [ModelRequest(parts=[UserPromptPart("find Arrival in 1080p")])]
    started = time.perf_counter()
    first = None
    try:
        for _ in range(3):
            async with direct.model_request_stream(model, request) as stream:
                async for event in stream:
                    text = (
                        isinstance(event, PartStartEvent)
                        and isinstance(event.part, TextPart)
                        and event.part.content
                    ) or (
                        isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta)
                    )
                    if text and first is None:
                        first = time.perf_counter() - started
    finally:
        await close_model(model)
    return first or 0.0, time.perf_counter() - started


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def cache_session(metadata: CachedMetadata) -> float:
    """Ten people's searches, details and recommendations over a small catalogue."""
    asks = ["Arrival", "Dune", "Interstellar", "Arrival", "Прибытие", "Dune", "Arrival"]
    for n in range(10):
        query = asks[n % len(asks)]
        page = await metadata.search(query, kind=SearchKind.MULTI)
        for title in page.results[:1]:
            await metadata.details(title.id, kind=MediaKind(title.kind))
            await metadata.recommendations(title.id, kind=MediaKind(title.kind))
    return metadata.hit_ratio


async def measure(redis_url: str, turns: int) -> None:
    url, server, task = await serve_sandbox()
    host = url.removeprefix("http://")
    allowed = frozenset({host})
    redis = Redis.from_url(redis_url)
    http = httpx.AsyncClient(base_url=url, trust_env=False)
    try:
        for provider in ("openai", "anthropic"):
            base = f"{url}/llm/openai/v1" if provider == "openai" else f"{url}/llm/anthropic"
            config = LlmConfig(provider, base, "bench", api_key="sk-bench", timeout_s=30)
            await redis.flushdb()
            tmdb = TmdbClient("sandbox-tmdb-key", base_url=f"{url}/media/tmdb/3", allowed=allowed)
            indexer = TorznabIndexer(
                "bench", f"{url}/media/torznab", "sandbox-torznab-key", redis=redis, allowed=allowed
            )
            tools = Tools(CachedMetadata(tmdb, redis), indexer, ReleasePreferences())
            agent = ChatAgent(
                build_model(config),
                instructions="You find films.",
                tools=[search_titles, search_releases],
                deps_type=Tools,
            )
            ours = [await one_turn(agent, tools, http) for _ in range(turns)]
            bare = [await bare_turn(config, http) for _ in range(turns)]
            await agent.aclose()
            first = [o[0] for o in ours]
            final = [o[1] for o in ours]
            bare_first = [b[0] for b in bare]
            bare_final = [b[1] for b in bare]
            print(f"{provider}: {turns} turns, 3 model calls and 2 tool calls each")
            print(
                f"  first text   p50 {statistics.median(first) * 1000:6.1f} ms  "
                f"p95 {p(first, 0.95) * 1000:6.1f} ms   bare p95 "
                f"{p(bare_first, 0.95) * 1000:6.1f} ms   ratio "
                f"{p(first, 0.95) / p(bare_first, 0.95):.2f}"
            )
            print(
                f"  final        p50 {statistics.median(final) * 1000:6.1f} ms  "
                f"p95 {p(final, 0.95) * 1000:6.1f} ms   bare p95 "
                f"{p(bare_final, 0.95) * 1000:6.1f} ms   ratio "
                f"{p(final, 0.95) / p(bare_final, 0.95):.2f}"
            )
            await tmdb.aclose()
            await indexer.__aexit__(None, None, None)
        await redis.flushdb()
        tmdb = TmdbClient("sandbox-tmdb-key", base_url=f"{url}/media/tmdb/3", allowed=allowed)
        ratio = await cache_session(CachedMetadata(tmdb, redis))
        await tmdb.aclose()
        print(f"metadata cache hit ratio over the scripted session: {ratio:.2f}")
    finally:
        await http.aclose()
        await redis.aclose()
        server.should_exit = True
        await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="10 turns")
    parser.add_argument("--redis-url", default="")
    args = parser.parse_args()
    turns = 10 if args.quick else args.turns
    with tempfile.TemporaryDirectory(prefix="ccb-", dir="/tmp") as root:
        server = None if args.redis_url else EmbeddedRedis(Path(root) / "redis").start()
        try:
            asyncio.run(measure(args.redis_url or (server.url if server else ""), turns))
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
