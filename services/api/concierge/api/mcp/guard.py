"""Around every tool call: who calls (their token), whether the token's scopes allow the
tool, a transaction of its own, the errors an agent can act on, and the audit row
(tool, caller, outcome, duration; never the arguments or the token).

Outcomes: ``ok``; ``denied`` (no token, or a tool outside its scopes); ``invalid`` (an
unknown tool or arguments refused: NUL, too long, wrong types); ``error`` (the desk
refused, e.g. a 404 for another person's object, or a bug, which the agent sees masked).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import mcp_types as mt
from fastmcp.exceptions import NotFoundError, ToolError, ValidationError
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools import Tool, ToolResult
from pydantic import ValidationError as PydanticValidationError

from concierge.api.identity.repository import UserRepository
from concierge.api.mcp.auth import holder_of
from concierge.api.mcp.registry import ToolCall, calling
from concierge.api.mcp.repository import McpCallRepository
from concierge.api.mcp.runtime import McpRuntime
from concierge.api.mcp.service import Holder, McpAudit
from concierge.common.errors import ServiceError
from concierge.contracts.mcp import McpScope

log = logging.getLogger(__name__)


class Refused(Exception):
    """A call stopped before its tool ran, with the outcome to audit."""

    def __init__(self, outcome: str, error: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.error = error


def _holder() -> Holder | None:
    token = get_access_token()
    return holder_of(token) if token is not None and "user_id" in token.claims else None


def _validation_message(exc: PydanticValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{where}: {error['msg']}")
    return "Invalid arguments: " + "; ".join(parts)


class CallGuard(Middleware):
    def __init__(self, runtime: McpRuntime, scopes: dict[str, McpScope]) -> None:
        self.runtime = runtime
        self.scopes = scopes

    async def on_list_tools(
        self,
        context: MiddlewareContext[mt.ListToolsRequest],
        call_next: CallNext[mt.ListToolsRequest, Sequence[Tool]],
    ) -> Sequence[Tool]:
        """Only the tools the caller's token may call."""
        tools = await call_next(context)
        holder = _holder()
        allowed = holder.scopes if holder is not None else frozenset()
        return [tool for tool in tools if self.scopes.get(tool.name) in allowed]

    async def on_call_tool(
        self,
        context: MiddlewareContext[mt.CallToolRequestParams],
        call_next: CallNext[mt.CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        name = context.message.name
        holder = _holder()
        started = time.monotonic()
        outcome, error = "ok", None
        try:
            return await self._call(context, call_next, name, holder)
        except Refused as exc:
            outcome, error = exc.outcome, exc.error
            raise ToolError(str(exc)) from None
        except (ValidationError, PydanticValidationError) as exc:
            outcome, error = "invalid", "arguments"
            cause = exc if isinstance(exc, PydanticValidationError) else exc.__cause__
            if isinstance(cause, PydanticValidationError):
                raise ToolError(_validation_message(cause)) from None
            raise
        except ServiceError as exc:
            outcome, error = "error", f"{exc.status_code} {type(exc).__name__}"
            raise ToolError(str(exc.detail)) from None
        except ToolError as exc:
            # fastmcp wraps what a tool raised: a desk's refusal (404, 422, 409) is told to
            # the agent as the api would tell it; anything else stays masked.
            cause = exc.__cause__
            if isinstance(cause, ServiceError):
                outcome, error = "error", f"{cause.status_code} {type(cause).__name__}"
                raise ToolError(str(cause.detail)) from None
            outcome, error = "error", type(cause).__name__ if cause is not None else "tool"
            raise
        except Exception as exc:
            outcome, error = "error", type(exc).__name__
            raise
        finally:
            await self._audit(name, outcome, error, holder, started)

    async def _call(
        self,
        context: MiddlewareContext[mt.CallToolRequestParams],
        call_next: CallNext[mt.CallToolRequestParams, ToolResult],
        name: str,
        holder: Holder | None,
    ) -> ToolResult:
        if holder is None:
            raise Refused("denied", "no token", "Send a Concierge MCP token: Bearer <token>")
        scope = self.scopes.get(name)
        if scope is None:
            raise Refused("invalid", "unknown tool", f"Unknown tool: {name[:64]!r}")
        if scope not in holder.scopes:
            raise Refused(
                "denied",
                f"scope {scope}",
                f"This token lacks the scope {scope.value!r} that {name} needs; issue a "
                "token with it in the bot (/mcp_token)",
            )
        async with self.runtime.sessions() as session:
            user = await UserRepository(session).get(holder.user_id)
            if user is None:  # deleted since the token was checked
                raise Refused("denied", "no user", "The token's user is gone")
            with calling(ToolCall(user, holder, session, self.runtime.state)):
                try:
                    return await call_next(context)
                except NotFoundError as exc:
                    raise Refused("invalid", "unknown tool", str(exc)) from None

    async def _audit(
        self, tool: str, outcome: str, error: str | None, holder: Holder | None, started: float
    ) -> None:
        duration_ms = round((time.monotonic() - started) * 1000)
        log.info("mcp tool %s: %s in %d ms", tool[:64], outcome, duration_ms)
        try:
            async with self.runtime.sessions() as session:
                await McpAudit(McpCallRepository(session)).record(
                    tool=tool, outcome=outcome, duration_ms=duration_ms, holder=holder,
                    error=error,
                )  # fmt: skip
        except Exception:  # the answer stands even when its audit row cannot be written
            log.exception("could not audit the mcp call of %s", tool[:64])
