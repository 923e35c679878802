"""Where a user is in a list of results, so "more" buttons fit in 64 bytes.

A search gets a short token; Redis keeps its query (and the kind of documents it is
restricted to, if any) and the cursor of each page reached so far for an hour. The
button carries only ``srch:<token>:<page>``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import orjson
from redis.asyncio import Redis

SESSION_TTL_S = 3600


@dataclass
class SearchSession:
    token: str
    query: str
    cursors: list[str | None] = field(default_factory=lambda: [None])  # page n starts at [n]
    kind: str | None = None  # "listing": the market's listings only


class SearchSessions:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _key(token: str) -> str:
        return f"bot:search:{token}"

    async def start(self, query: str, kind: str | None = None) -> SearchSession:
        session = SearchSession(secrets.token_urlsafe(6), query, kind=kind)
        await self.save(session)
        return session

    async def load(self, token: str) -> SearchSession | None:
        raw = await self.redis.get(self._key(token))
        if raw is None:
            return None
        data = orjson.loads(raw)
        return SearchSession(token, data["query"], data["cursors"], data.get("kind"))

    async def save(self, session: SearchSession) -> None:
        payload = orjson.dumps(
            {"query": session.query, "cursors": session.cursors, "kind": session.kind}
        )
        await self.redis.set(self._key(session.token), payload, ex=SESSION_TTL_S)
