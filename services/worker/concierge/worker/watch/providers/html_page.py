"""A page without an API, read with CSS selectors (lxml + cssselect).

Config: ``url`` (template like the JSON provider's), ``page_selector`` (an element
every good answer has, free slots or not: without it the portal changed its markup
and the target goes unhealthy instead of reporting "no slots"), ``slot_selector``
(one element per free slot) and ``time_attribute`` (where the time is; the element's
text if unset), ISO 8601 in the provider's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
from cssselect import SelectorError

from concierge.worker.watch.providers.base import (
    Catalog,
    ProviderError,
    Query,
    configured_catalog,
    fetch_text,
)
from concierge.worker.watch.providers.json_paths import parse_time


class HtmlProvider:
    def __init__(self, base_url: str, config: dict[str, Any], timezone: str = "UTC") -> None:
        self.base_url = base_url
        self.config = config
        self.zone = ZoneInfo(timezone)
        for key in ("url", "page_selector", "slot_selector"):
            if not config.get(key):
                raise ProviderError(f"an HTML provider needs {key} in its config")

    async def catalog(self, http: httpx.AsyncClient) -> Catalog:
        return configured_catalog(self.config)  # the admin lists them

    async def slots(self, http: httpx.AsyncClient, query: Query) -> list[datetime]:
        template = str(self.config["url"])
        values = {
            "office": query.office,
            "service": query.service,
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
        }
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        text = await fetch_text(http, str(httpx.URL(self.base_url).join(template)))
        try:
            page = lxml.html.document_fromstring(text or "<html></html>")
            if not page.cssselect(self.config["page_selector"]):
                raise ProviderError(
                    f"the page has no {self.config['page_selector']!r}: its markup changed"
                )
            elements = page.cssselect(self.config["slot_selector"])
        except (SelectorError, ValueError, lxml.etree.LxmlError) as exc:
            raise ProviderError(f"the page could not be read: {exc}") from exc
        attribute = self.config.get("time_attribute")
        found = []
        for element in elements:
            value = element.get(attribute) if attribute else element.text_content().strip()
            moment = parse_time(value, self.zone)
            if moment is None:
                raise ProviderError(f"a slot is not a time: {str(value)[:40]!r}: markup changed?")
            found.append(moment)
        return sorted(set(found))
