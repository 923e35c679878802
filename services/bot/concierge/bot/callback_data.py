"""Callback data is ``prefix:field:field``, built and parsed in one place."""

from __future__ import annotations

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"


class CallbackDataTooLong(ValueError):
    pass


def pack(prefix: str, *fields: str | int) -> str:
    data = SEPARATOR.join([prefix, *(str(value) for value in fields)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise CallbackDataTooLong(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def unpack(data: str) -> tuple[str, list[str]]:
    prefix, *fields = data.split(SEPARATOR)
    return prefix, fields


def pattern(prefix: str) -> str:
    """A regex for CallbackQueryHandler matching every callback of this prefix."""
    return f"^{prefix}(:|$)"
