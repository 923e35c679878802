"""Keep bot tokens out of the access log: Bot API paths carry them."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "concierge.access"
_TOKEN_IN_PATH = re.compile(r"(/bot\d+:)[A-Za-z0-9_-]+")


class TokenRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1<redacted>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def redact_tokens_in_access_log() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, TokenRedactingFilter) for existing in logger.filters):
        logger.addFilter(TokenRedactingFilter())
