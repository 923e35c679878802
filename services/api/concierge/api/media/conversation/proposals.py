"""Releases the assistant proposed, kept for the person's button (Add / Other / Cancel).

A proposal lives in Redis under the person's id and an unguessable token for an hour.
Only the person it was made for can read it: anyone else's token reads as none (404).
The model never sees a link or a magnet, only what the person sees (title, size,
quality, seeders); the button adds the release, the model cannot.
"""

from __future__ import annotations

import secrets

from pydantic import BaseModel
from redis.asyncio import Redis

from concierge.media.indexers.models import Release

TTL_S = 3600
KEY = "media:proposal:{user}:{token}"


class Proposal(BaseModel):
    token: str
    release: Release


class ProposalStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def save(self, user_id: int, release: Release) -> Proposal:
        proposal = Proposal(token=secrets.token_urlsafe(12), release=release)
        key = KEY.format(user=user_id, token=proposal.token)
        await self.redis.set(key, proposal.model_dump_json(), ex=TTL_S)
        return proposal

    async def get(self, user_id: int, token: str) -> Proposal | None:
        if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 32:
            return None
        raw = await self.redis.get(KEY.format(user=user_id, token=token))
        return Proposal.model_validate_json(raw) if raw else None

    async def drop(self, user_id: int, token: str) -> None:
        await self.redis.delete(KEY.format(user=user_id, token=token))
