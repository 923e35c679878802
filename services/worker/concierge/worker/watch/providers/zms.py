"""The ZMS citizen API (it-at-m/eappointment; Munich's appointment system).

``offices-and-services/`` lists offices, services and which office offers what;
``available-days`` the days with free slots; ``available-appointments`` a day's free
times as unix timestamps. Errors come as ``{errorCode, errorMessage}``:
``rateLimitExceeded`` opens the breaker, ``captchaMissing``/``captchaInvalid``/
``captchaExpired`` pause the target. ``captcha-puzzle``, ``captcha-verify`` and
``book-appointment`` are never called.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from concierge.worker.watch.providers.base import (
    CaptchaDemanded,
    Catalog,
    Office,
    ProviderError,
    Query,
    RateLimited,
    Service,
    fetch_json,
)

CAPTCHA_CODES = frozenset({"captchaMissing", "captchaInvalid", "captchaExpired"})
RATE_CODES = frozenset({"rateLimitExceeded"})
NO_SLOTS_CODES = frozenset({"noAppointmentForThisDay", "noAppointmentForThisScope"})
MAX_DAYS_PER_POLL = 5  # a poll reads at most this many days' times (the nearest)


def _raise_for_error(data: Any) -> None:
    if not isinstance(data, dict):
        return
    codes = {str(data["errorCode"])} if data.get("errorCode") else set()
    for error in data.get("errors") or []:
        if isinstance(error, dict) and error.get("errorCode"):
            codes.add(str(error["errorCode"]))
    if codes & CAPTCHA_CODES:
        raise CaptchaDemanded(f"the provider demands a captcha ({', '.join(sorted(codes))})")
    if codes & RATE_CODES:
        raise RateLimited("rateLimitExceeded")
    if codes - NO_SLOTS_CODES:
        message = str(data.get("errorMessage") or "")[:200]
        raise ProviderError(f"ZMS error {', '.join(sorted(codes))}: {message}".strip(": "))


def _name(item: dict[str, Any]) -> str:
    return str(item.get("name") or item.get("id"))[:300]


class ZmsProvider:
    def __init__(self, base_url: str, config: dict[str, Any]) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.max_days = int(config.get("max_days_per_poll", MAX_DAYS_PER_POLL))

    async def catalog(self, http: httpx.AsyncClient) -> Catalog:
        data = await fetch_json(http, self.base_url + "offices-and-services/")
        _raise_for_error(data)
        if not isinstance(data, dict) or not isinstance(data.get("offices"), list):
            raise ProviderError("offices-and-services/ has no list of offices")
        offers: dict[str, list[str]] = {}
        for relation in data.get("relations") or []:
            if isinstance(relation, dict):
                office = str(relation.get("officeId", ""))
                offers.setdefault(office, []).append(str(relation.get("serviceId", "")))
        offices = [
            Office(str(o["id"]), _name(o), offers.get(str(o["id"]), []))
            for o in data["offices"]
            if isinstance(o, dict) and "id" in o
        ]
        services = [
            Service(str(s["id"]), _name(s))
            for s in data.get("services") or []
            if isinstance(s, dict) and "id" in s
        ]
        return Catalog(offices, services)

    async def slots(self, http: httpx.AsyncClient, query: Query) -> list[datetime]:
        common = {"officeId": query.office, "serviceId": query.service, "serviceCount": 1}
        days = await fetch_json(
            http,
            self.base_url + "available-days",
            {"startDate": query.start.isoformat(), "endDate": query.end.isoformat(), **common},
        )
        _raise_for_error(days)
        found: list[datetime] = []
        for day in _days(days)[: self.max_days]:
            times = await fetch_json(
                http, self.base_url + "available-appointments", {"date": day, **common}
            )
            _raise_for_error(times)
            if _no_slots(times):  # gone between the two requests
                continue
            stamps = times.get("appointmentTimestamps") if isinstance(times, dict) else None
            if not isinstance(stamps, list):
                raise ProviderError("available-appointments has no appointmentTimestamps")
            found += [datetime.fromtimestamp(int(s), UTC) for s in stamps if _is_int(s)]
        return sorted(set(found))


def _no_slots(data: Any) -> bool:
    return isinstance(data, dict) and data.get("errorCode") in NO_SLOTS_CODES


def _days(data: Any) -> list[str]:
    if _no_slots(data):
        return []
    items = data.get("availableDays") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProviderError("available-days has no availableDays")
    days = [item.get("time") if isinstance(item, dict) else item for item in items]
    return sorted(str(day) for day in days if isinstance(day, str) and len(day) == 10)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**40
