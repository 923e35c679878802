"""Slot providers behind one interface; adding one is a module here plus its test."""

from __future__ import annotations

from typing import Any

from concierge.worker.watch.providers.base import (
    CaptchaDemanded,
    Catalog,
    Provider,
    ProviderError,
    Query,
    RateLimited,
)
from concierge.worker.watch.providers.html_page import HtmlProvider
from concierge.worker.watch.providers.json_paths import JsonProvider
from concierge.worker.watch.providers.zms import ZmsProvider

__all__ = [
    "CaptchaDemanded",
    "Catalog",
    "Provider",
    "ProviderError",
    "Query",
    "RateLimited",
    "build_provider",
]


def build_provider(kind: str, base_url: str, config: dict[str, Any], timezone: str) -> Provider:
    if kind == "zms":
        return ZmsProvider(base_url, config)
    if kind == "json":
        return JsonProvider(base_url, config, timezone)
    if kind == "html":
        return HtmlProvider(base_url, config, timezone)
    raise ProviderError(f"unknown provider kind {kind!r}")
