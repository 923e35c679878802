"""The desks whose tools the MCP surface serves: one module per desk, one line here."""

from concierge.api.mcp.registry import ToolSet
from concierge.api.mcp.tools import market, rentals, search

DESKS: tuple[ToolSet, ...] = (search.TOOLS, market.TOOLS, rentals.TOOLS)
