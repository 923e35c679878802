"""The MCP surface's contract: scopes a token may carry, and the token routes' models
(the bot issues, lists and revokes a user's tokens through them)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from concierge.contracts.text import SINGLE_LINE

TOKEN_PREFIX = "cmcp_"  # noqa: S105 (what every token starts with, not a token)
MAX_TOKENS_PER_USER = 20


class McpScope(StrEnum):
    """What a token lets an agent do; every tool names the one it needs."""

    SEARCH_READ = "search:read"
    MARKET_READ = "market:read"
    RENTALS_READ = "rentals:read"
    RENTALS_WRITE = "rentals:write"


# A new token without scopes named gets these: reading everything, writing nothing.
DEFAULT_SCOPES = (McpScope.SEARCH_READ, McpScope.MARKET_READ, McpScope.RENTALS_READ)

TokenName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[\w.-]+$"),
    SINGLE_LINE,
]


class McpTokenCreate(BaseModel):
    name: TokenName = Field(description="Letters, digits, _ . - (unique among the live ones)")
    scopes: list[McpScope] = Field(
        default_factory=lambda: list(DEFAULT_SCOPES), min_length=1, max_length=len(McpScope)
    )


class McpTokenRead(BaseModel):
    id: int
    name: str
    scopes: list[McpScope]
    hint: str = Field(description="The token's first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None


class McpTokenIssued(McpTokenRead):
    token: str = Field(description="The bearer token: shown this once, stored only hashed")
