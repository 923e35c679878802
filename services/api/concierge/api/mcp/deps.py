"""The MCP desk's dependencies (the token routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from concierge.api.mcp.repository import McpTokenRepository
from concierge.api.mcp.service import McpTokenService
from concierge.db import SessionDep


def get_token_service(session: SessionDep) -> McpTokenService:
    return McpTokenService(McpTokenRepository(session))


McpTokenServiceDep = Annotated[McpTokenService, Depends(get_token_service)]
