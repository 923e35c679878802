"""Bot API errors in Telegram's own shape.

Bot API routes answer ``{"ok": false, "error_code": N, "description": "..."}``
with the same HTTP status; client libraries decide by that status.
"""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> BotApiError:
    return BotApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> BotApiError:
    return BotApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> BotApiError:
    return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


UNAUTHORIZED = BotApiError(401, "Unauthorized")
NOT_FOUND = BotApiError(404, "Not Found")

CHAT_NOT_FOUND = "chat not found"
BLOCKED = "bot was blocked by the user"
TEXT_EMPTY = "message text is empty"
TEXT_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "message to edit not found"
DELETE_NOT_FOUND = "message to delete not found"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
POLL_TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)


def default_description(error_code: int, retry_after: int | None) -> str:
    """The description an injected fault carries when the test gives none."""
    if error_code == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    return {
        400: "Bad Request: injected fault",
        401: "Unauthorized",
        403: f"Forbidden: {BLOCKED}",
        404: "Not Found",
        409: "Conflict: injected fault",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(error_code, "Injected fault")
