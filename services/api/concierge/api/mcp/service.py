"""A person's MCP tokens: issued with scopes (the secret shown once, stored as its
SHA-256), listed, revoked; and a presented token checked back to its person."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from concierge.api.mcp.repository import McpCallRepository, McpTokenRepository
from concierge.common.clock import utcnow
from concierge.common.errors import Conflict, NotFound
from concierge.contracts.mcp import (
    MAX_TOKENS_PER_USER,
    TOKEN_PREFIX,
    McpScope,
    McpTokenCreate,
    McpTokenIssued,
    McpTokenRead,
)
from concierge.domain.identity.models import User
from concierge.domain.mcp.models import McpCall, McpToken

# cmcp_ and 43 characters of URL-safe base64 (32 random bytes): anything else is refused
# before the database is asked.
TOKEN_SHAPE = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")
HINT_CHARS = len(TOKEN_PREFIX) + 4


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_read(token: McpToken) -> McpTokenRead:
    return McpTokenRead(
        id=token.id,
        name=token.name,
        scopes=[McpScope(scope) for scope in token.scopes],
        hint=token.hint,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )


@dataclass(frozen=True)
class Holder:
    """Who presented a live token, and what it allows."""

    user_id: int
    token_id: int
    scopes: frozenset[str]


class McpTokenService:
    def __init__(self, tokens: McpTokenRepository) -> None:
        self.tokens = tokens

    async def issue(self, owner: User, data: McpTokenCreate) -> McpTokenIssued:
        if await self.tokens.live_named(owner.id, data.name) is not None:
            raise Conflict(f"You already have a token named {data.name!r}: revoke it first")
        if await self.tokens.count_live(owner.id) >= MAX_TOKENS_PER_USER:
            raise Conflict(f"At most {MAX_TOKENS_PER_USER} tokens: revoke one first")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = await self.tokens.add_live(
            McpToken(
                user_id=owner.id,
                name=data.name,
                token_hash=token_hash(secret),
                hint=secret[:HINT_CHARS],
                scopes=sorted({scope.value for scope in data.scopes}),
                created_at=utcnow(),
            )
        )
        if row is None:
            raise Conflict(f"You already have a token named {data.name!r}: revoke it first")
        return McpTokenIssued(**token_read(row).model_dump(), token=secret)

    async def mine(self, owner: User) -> Sequence[McpTokenRead]:
        return [token_read(token) for token in await self.tokens.live_of(owner.id)]

    async def revoke(self, owner: User, token_id: int) -> None:
        token = await self.tokens.live_of_user(owner.id, token_id)
        if token is None:
            raise NotFound("No such token of yours")
        token.revoked_at = utcnow()
        await self.tokens.flush()

    async def revoke_named(self, owner: User, name: str) -> McpTokenRead:
        token = await self.tokens.live_named(owner.id, name)
        if token is None:
            raise NotFound("No such token of yours")
        token.revoked_at = utcnow()
        await self.tokens.flush()
        return token_read(token)

    async def authenticate(self, presented: str) -> Holder | None:
        """The holder of a live token; None for anything else (never an exception for
        what a client sent: odd bytes, wrong shape, revoked, unknown)."""
        if not TOKEN_SHAPE.fullmatch(presented):
            return None
        found = await self.tokens.live_by_hash(token_hash(presented))
        if found is None:
            return None
        token, user = found
        await self.tokens.touch(token.id, utcnow())
        return Holder(user_id=user.id, token_id=token.id, scopes=frozenset(token.scopes))


class McpAudit:
    def __init__(self, calls: McpCallRepository) -> None:
        self.calls = calls

    async def record(
        self,
        *,
        tool: str,
        outcome: str,
        duration_ms: int,
        holder: Holder | None,
        error: str | None = None,
    ) -> None:
        await self.calls.add(
            McpCall(
                user_id=holder.user_id if holder else None,
                token_id=holder.token_id if holder else None,
                tool=tool[:64],
                outcome=outcome,
                error=error[:64] if error else None,
                duration_ms=duration_ms,
            )
        )
