"""One error for every way a model gives no usable answer, with a reason a person (or
the degraded answer's ``degraded_reason``) can read. Never the key, never the body."""

from __future__ import annotations

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelHTTPError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)


class LlmError(Exception):
    """The LLM gave no usable answer; the message says why."""


def reason_of(exc: BaseException) -> str:
    """What went wrong, from an exception of pydantic-ai or a provider's SDK."""
    if isinstance(exc, ModelHTTPError):
        return f"the model answered HTTP {exc.status_code}"
    if isinstance(exc, UsageLimitExceeded):
        return f"the conversation hit its cap ({exc})"
    text = f"{type(exc).__name__}: {exc}".lower()
    cause = exc.__cause__ or exc.__context__
    chain = f"{text} {type(cause).__name__}: {cause}".lower() if cause else text
    if "json" in chain and any(word in chain for word in ("decode", "expect", "parse")):
        return "the model's reply is not JSON"
    if isinstance(exc, ModelAPIError) and ("connect" in chain or "connection" in chain):
        return f"the model could not be reached ({type(cause or exc).__name__})"
    if isinstance(exc, UnexpectedModelBehavior):
        return "the model's reply could not be read"
    if isinstance(exc, ModelAPIError):
        return f"the model could not be reached ({type(cause or exc).__name__})"
    return f"the model's reply could not be read ({type(exc).__name__})"
