"""Typed client of the media desk's routes for the bot, acting for a user (the service
token and ``X-Acting-User``). Errors are ``ServiceResponseError`` (4xx, with the api's
readable ``detail``) or ``ServiceUnavailable``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.media import (
    AddResult,
    GenreRead,
    IndexerCreate,
    IndexerRead,
    MediaPreferencesRead,
    MediaPreferencesUpdate,
    ProposalRead,
    RecommendationRead,
    SeedboxCreate,
    SeedboxRead,
    TitleRead,
    WatchedCreate,
    WatchedRead,
)

MEDIA = "/api/v1/media"
# a 503 with a code is the person's seedbox or indexer failing: an answer, not an outage
CODED = frozenset({503})


def _as(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


class MediaApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def preferences(self, user: int) -> MediaPreferencesRead:
        response = await self.http.request("GET", f"{MEDIA}/preferences", headers=_as(user))
        return MediaPreferencesRead.model_validate(response.json())

    async def update_preferences(
        self, user: int, data: MediaPreferencesUpdate
    ) -> MediaPreferencesRead:
        response = await self.http.request(
            "PUT",
            f"{MEDIA}/preferences",
            json=data.model_dump(mode="json", exclude_none=True),
            headers=_as(user),
        )
        return MediaPreferencesRead.model_validate(response.json())

    async def add_indexer(self, user: int, data: IndexerCreate) -> IndexerRead:
        body = {**data.model_dump(mode="json"), "apikey": data.apikey.get_secret_value()}
        response = await self.http.request(
            "POST", f"{MEDIA}/indexers", json=body, headers=_as(user)
        )
        return IndexerRead.model_validate(response.json())

    async def add_seedbox(self, user: int, data: SeedboxCreate) -> SeedboxRead:
        body = data.model_dump(mode="json")
        body["password"] = data.password.get_secret_value() if data.password else None
        response = await self.http.request(
            "POST", f"{MEDIA}/seedboxes", json=body, headers=_as(user)
        )
        return SeedboxRead.model_validate(response.json())

    async def titles(self, user: int, query: str) -> list[TitleRead]:
        response = await self.http.request(
            "GET", f"{MEDIA}/titles", params={"q": query}, headers=_as(user), coded_statuses=CODED
        )
        return [TitleRead.model_validate(item) for item in response.json()]

    async def releases(self, user: int, query: str, tmdb_id: int | None) -> list[ProposalRead]:
        params: dict[str, Any] = {"q": query}
        if tmdb_id is not None:
            params["tmdb_id"] = tmdb_id
        response = await self.http.request(
            "GET", f"{MEDIA}/releases", params=params, headers=_as(user), coded_statuses=CODED
        )
        return [ProposalRead.model_validate(item) for item in response.json()]

    async def add(self, user: int, token: str) -> AddResult:
        response = await self.http.request(
            "POST", f"{MEDIA}/proposals/{token}/add", headers=_as(user), coded_statuses=CODED
        )
        return AddResult.model_validate(response.json())

    async def other(self, user: int, token: str) -> list[ProposalRead]:
        response = await self.http.request(
            "POST", f"{MEDIA}/proposals/{token}/other", headers=_as(user), coded_statuses=CODED
        )
        return [ProposalRead.model_validate(item) for item in response.json()]

    async def cancel(self, user: int, token: str) -> None:
        await self.http.request("POST", f"{MEDIA}/proposals/{token}/cancel", headers=_as(user))

    async def genres(self, user: int) -> list[GenreRead]:
        response = await self.http.request(
            "GET", f"{MEDIA}/genres", headers=_as(user), coded_statuses=CODED
        )
        return [GenreRead.model_validate(item) for item in response.json()]

    async def recommendations(self, user: int, limit: int = 10) -> list[RecommendationRead]:
        response = await self.http.request(
            "GET",
            f"{MEDIA}/recommendations",
            params={"limit": limit},
            headers=_as(user),
            coded_statuses=CODED,
        )
        return [RecommendationRead.model_validate(item) for item in response.json()]

    async def history(self, user: int) -> list[WatchedRead]:
        response = await self.http.request("GET", f"{MEDIA}/history", headers=_as(user))
        return [WatchedRead.model_validate(item) for item in response.json()]

    async def mark_watched(self, user: int, data: WatchedCreate) -> None:
        await self.http.request(
            "POST",
            f"{MEDIA}/history",
            json=data.model_dump(mode="json", exclude_none=True),
            headers=_as(user),
        )

    async def rate_download(self, user: int, download_id: int, rating: int) -> WatchedRead:
        response = await self.http.request(
            "POST",
            f"{MEDIA}/downloads/{download_id}/rating",
            json={"rating": rating},
            headers=_as(user),
        )
        return WatchedRead.model_validate(response.json())

    async def converse(self, user: int, text: str) -> AsyncIterator[dict[str, Any]]:
        """One turn of the conversation, its events as they stream."""
        async for line in self.http.stream_lines(
            "POST", f"{MEDIA}/conversation", json={"text": text}, headers=_as(user)
        ):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event
