"""A person's MCP tokens (``/api/v1/mcp/tokens``): the bot calls these for the user it
acts for (``/mcp_token``), the Mini App may too. The MCP surface itself is at ``/mcp``
(``concierge.api.mcp.server``)."""

from __future__ import annotations

from fastapi import APIRouter, status

from concierge.api.identity.deps import WebUser
from concierge.api.mcp.deps import McpTokenServiceDep
from concierge.api.mcp.schemas import McpTokenCreate, McpTokenIssued, McpTokenRead, TokenId
from concierge.common.openapi import raises

router = APIRouter(prefix="/mcp/tokens", tags=["mcp"])


@router.post("", response_model=McpTokenIssued, status_code=status.HTTP_201_CREATED)
@raises(409)
async def issue_token(
    data: McpTokenCreate, user: WebUser, tokens: McpTokenServiceDep
) -> McpTokenIssued:
    """A new bearer token for an AI agent, with the scopes named (default: every read
    scope). ``token`` is in this answer only: it is stored hashed."""
    return await tokens.issue(user, data)


@router.get("", response_model=list[McpTokenRead])
async def my_tokens(user: WebUser, tokens: McpTokenServiceDep) -> list[McpTokenRead]:
    """The caller's live tokens (never the secrets)."""
    return list(await tokens.mine(user))


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def revoke_token(token_id: TokenId, user: WebUser, tokens: McpTokenServiceDep) -> None:
    """Revoke one of the caller's tokens: from now on it is refused (401)."""
    await tokens.revoke(user, token_id)
