"""Any JSON availability endpoint, read with configured paths.

Config: ``url`` (a template with ``{office}``, ``{service}``, ``{start}``, ``{end}``;
relative to the provider's base URL), ``slots_path`` (dotted path to the list of
slots; ``*`` walks every item of a list), ``time_field`` (inside each item, if slots
are objects), and for the catalog ``offices_url``/``offices_path``/``services_path``.
Times are ISO 8601 (local ones in the provider's time zone) or unix timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from concierge.worker.watch.providers.base import (
    Catalog,
    Office,
    ProviderError,
    Query,
    Service,
    configured_catalog,
    fetch_json,
)


def walk(data: Any, path: str) -> list[Any]:
    """Every value at a dotted path; ``*`` fans out over a list."""
    values = [data]
    for part in [p for p in path.split(".") if p]:
        found: list[Any] = []
        for value in values:
            if part == "*" and isinstance(value, list):
                found += value
            elif isinstance(value, dict) and part in value:
                found.append(value[part])
        values = found
    return values


def parse_time(value: Any, zone: ZoneInfo) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2**40:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    return None


class JsonProvider:
    def __init__(self, base_url: str, config: dict[str, Any], timezone: str = "UTC") -> None:
        self.base_url = base_url
        self.config = config
        self.zone = ZoneInfo(timezone)
        if not config.get("url") or not config.get("slots_path"):
            raise ProviderError("a JSON provider needs url and slots_path in its config")

    def _url(self, template: str, **values: str) -> str:
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return str(httpx.URL(self.base_url).join(template))

    async def catalog(self, http: httpx.AsyncClient) -> Catalog:
        url = self.config.get("offices_url")
        if not url:
            return configured_catalog(self.config)
        data = await fetch_json(http, self._url(url))
        offices = [
            Office(
                str(o["id"]),
                str(o.get("name") or o["id"])[:300],
                [str(s) for s in o.get("services", [])],
            )
            for o in walk(data, self.config.get("offices_path", "offices.*"))
            if isinstance(o, dict) and "id" in o
        ]
        services = [
            Service(str(s["id"]), str(s.get("name") or s["id"])[:300])
            for s in walk(data, self.config.get("services_path", "services.*"))
            if isinstance(s, dict) and "id" in s
        ]
        return Catalog(offices, services)

    async def slots(self, http: httpx.AsyncClient, query: Query) -> list[datetime]:
        url = self._url(
            self.config["url"],
            office=query.office,
            service=query.service,
            start=query.start.isoformat(),
            end=query.end.isoformat(),
        )
        data = await fetch_json(http, url)
        path = self.config["slots_path"]
        container = walk(data, path.rsplit(".*", 1)[0]) if path.endswith(".*") else [True]
        if not container:
            raise ProviderError(f"the answer has nothing at {path!r}: did its format change?")
        field = self.config.get("time_field")
        found = []
        for item in walk(data, path):
            value = item.get(field) if field and isinstance(item, dict) else item
            moment = parse_time(value, self.zone)
            if moment is None:
                raise ProviderError(f"a slot at {path!r} is not a time: {str(value)[:40]!r}")
            found.append(moment)
        return sorted(set(found))
