"""Typed client of the watch desk's routes for the bot, acting for a user (the service
token and ``X-Acting-User``). Errors are ``ServiceResponseError``."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import acting_as
from concierge.contracts.watch import (
    OfficeRead,
    Preferences,
    ProviderRead,
    ServiceRead,
    SlotSeen,
    WatchCreate,
    WatchRead,
    WatchUpdate,
)

PROVIDERS = "/api/v1/watch/providers"
WATCHES = "/api/v1/watches"
PREFERENCES = "/api/v1/watch/preferences"
SEEN = "/api/v1/watch/seen"


class WatchApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def providers(self, user: int) -> list[ProviderRead]:
        response = await self.http.request("GET", PROVIDERS, headers=acting_as(user))
        return [ProviderRead.model_validate(item) for item in response.json()]

    async def offices(
        self,
        user: int,
        provider: str,
        query: str | None = None,
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> list[OfficeRead]:
        params = {"limit": limit, "offset": offset, **({"q": query} if query else {})}
        response = await self.http.request(
            "GET", f"{PROVIDERS}/{provider}/offices", params=params, headers=acting_as(user)
        )
        return [OfficeRead.model_validate(item) for item in response.json()]

    async def services(self, user: int, provider: str, office: str) -> list[ServiceRead]:
        response = await self.http.request(
            "GET", f"{PROVIDERS}/{provider}/offices/{office}/services", headers=acting_as(user)
        )
        return [ServiceRead.model_validate(item) for item in response.json()]

    async def watches(self, user: int) -> list[WatchRead]:
        response = await self.http.request("GET", WATCHES, headers=acting_as(user))
        return [WatchRead.model_validate(item) for item in response.json()]

    async def create(self, user: int, watch: WatchCreate) -> WatchRead:
        response = await self.http.request(
            "POST", WATCHES, json=watch.model_dump(mode="json"), headers=acting_as(user)
        )
        return WatchRead.model_validate(response.json())

    async def update(self, user: int, watch_id: int, change: WatchUpdate) -> WatchRead:
        response = await self.http.request(
            "PATCH",
            f"{WATCHES}/{watch_id}",
            json=change.model_dump(mode="json", exclude_none=True),
            headers=acting_as(user),
            idempotent=True,
        )
        return WatchRead.model_validate(response.json())

    async def delete(self, user: int, watch_id: int) -> None:
        await self.http.request("DELETE", f"{WATCHES}/{watch_id}", headers=acting_as(user))

    async def preferences(self, user: int) -> Preferences:
        response = await self.http.request("GET", PREFERENCES, headers=acting_as(user))
        return Preferences.model_validate(response.json())

    async def save_preferences(self, user: int, preferences: Preferences) -> Preferences:
        response = await self.http.request(
            "PUT",
            PREFERENCES,
            json=preferences.model_dump(mode="json"),
            headers=acting_as(user),
            idempotent=True,
        )
        return Preferences.model_validate(response.json())

    async def seen(self, user: int, seen: SlotSeen) -> None:
        await self.http.request(
            "POST",
            SEEN,
            json=seen.model_dump(mode="json"),
            headers=acting_as(user),
            idempotent=True,
        )
