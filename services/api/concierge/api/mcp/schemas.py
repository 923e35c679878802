"""The token routes' models (from the shared contracts) and parameters."""

from __future__ import annotations

from typing import Annotated

from concierge.api.params import id_path
from concierge.contracts.mcp import McpScope, McpTokenCreate, McpTokenIssued, McpTokenRead

TokenId = Annotated[int, id_path("The token's id")]

__all__ = ["McpScope", "McpTokenCreate", "McpTokenIssued", "McpTokenRead", "TokenId"]
