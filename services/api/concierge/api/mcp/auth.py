"""Bearer tokens at ``/mcp``: a presented token is looked up by its hash on every HTTP
request; anything but a live token (missing, malformed, odd bytes, unknown, revoked) is
a 401 from the transport, never an error of ours."""

from __future__ import annotations

from fastmcp.server.auth import AccessToken, TokenVerifier

from concierge.api.mcp.repository import McpTokenRepository
from concierge.api.mcp.runtime import McpRuntime
from concierge.api.mcp.service import Holder, McpTokenService


def access_token(presented: str, holder: Holder) -> AccessToken:
    return AccessToken(
        token=presented,
        # The streamable HTTP session is bound to this: another token cannot use it.
        client_id=f"user:{holder.user_id}:token:{holder.token_id}",
        scopes=sorted(holder.scopes),
        claims={"user_id": holder.user_id, "token_id": holder.token_id},
    )


def holder_of(token: AccessToken) -> Holder:
    return Holder(
        user_id=int(token.claims["user_id"]),
        token_id=int(token.claims["token_id"]),
        scopes=frozenset(token.scopes),
    )


class ConciergeTokens(TokenVerifier):
    def __init__(self, runtime: McpRuntime) -> None:
        super().__init__()
        self.runtime = runtime

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = token.strip()
        async with self.runtime.sessions() as session:
            holder = await McpTokenService(McpTokenRepository(session)).authenticate(presented)
        return access_token(presented, holder) if holder is not None else None
