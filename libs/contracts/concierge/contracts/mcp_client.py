"""Typed client of the MCP token routes for the bot, acting for a user (the service
token and ``X-Acting-User``). Errors are ``ServiceResponseError``."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.mcp import McpTokenCreate, McpTokenIssued, McpTokenRead

TOKENS = "/api/v1/mcp/tokens"


def _as(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


class McpApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def issue(self, user: int, data: McpTokenCreate) -> McpTokenIssued:
        response = await self.http.request(
            "POST", TOKENS, json=data.model_dump(mode="json"), headers=_as(user)
        )
        return McpTokenIssued.model_validate(response.json())

    async def tokens(self, user: int) -> list[McpTokenRead]:
        response = await self.http.request("GET", TOKENS, headers=_as(user))
        return [McpTokenRead.model_validate(item) for item in response.json()]

    async def revoke(self, user: int, token_id: int) -> None:
        await self.http.request("DELETE", f"{TOKENS}/{token_id}", headers=_as(user))
