"""Typed client of the feed desk's routes for the bot, acting for a reader (the service
token and ``X-Acting-User``). Errors are ``ServiceResponseError``."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import acting_as
from concierge.contracts.feed import (
    ChannelAdd,
    ChannelRead,
    FeedNext,
    FeedState,
    RatingCreate,
    RatingRead,
    TrainingStep,
    Verdict,
)
from concierge.contracts.userbot import CODED_STATUSES

FEED = "/api/v1/feed"


class FeedApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def state(self, user: int) -> FeedState:
        response = await self.http.request("GET", FEED, headers=acting_as(user))
        return FeedState.model_validate(response.json())

    async def start(self, user: int) -> FeedState:
        response = await self.http.request(
            "POST", f"{FEED}/start", headers=acting_as(user), idempotent=True
        )
        return FeedState.model_validate(response.json())

    async def suggestions(self, user: int) -> list[ChannelRead]:
        response = await self.http.request("GET", f"{FEED}/suggestions", headers=acting_as(user))
        return [ChannelRead.model_validate(item) for item in response.json()]

    async def channels(self, user: int) -> list[ChannelRead]:
        response = await self.http.request("GET", f"{FEED}/channels", headers=acting_as(user))
        return [ChannelRead.model_validate(item) for item in response.json()]

    async def add_channel(self, user: int, data: ChannelAdd) -> ChannelRead:
        response = await self.http.request(
            "POST",
            f"{FEED}/channels",
            json=data.model_dump(mode="json", exclude_none=True),
            headers=acting_as(user),
            idempotent=True,
            # A 503 with a code is the user-bot's state (a flood wait, logged out), not an
            # outage: raised at once as ServiceResponseError, never retried.
            coded_statuses=CODED_STATUSES,
        )
        return ChannelRead.model_validate(response.json())

    async def begin_training(self, user: int) -> TrainingStep:
        response = await self.http.request(
            "POST", f"{FEED}/training", headers=acting_as(user), idempotent=True
        )
        return TrainingStep.model_validate(response.json())

    async def training_next(self, user: int) -> TrainingStep:
        response = await self.http.request("GET", f"{FEED}/training/next", headers=acting_as(user))
        return TrainingStep.model_validate(response.json())

    async def rate(self, user: int, document_id: int, verdict: Verdict) -> RatingRead:
        response = await self.http.request(
            "POST",
            f"{FEED}/ratings",
            json=RatingCreate(document_id=document_id, verdict=verdict).model_dump(mode="json"),
            headers=acting_as(user),
            idempotent=False,  # a 429 (flood control) must not be retried here
        )
        return RatingRead.model_validate(response.json())

    async def next_post(self, user: int) -> FeedNext:
        response = await self.http.request(
            "GET", f"{FEED}/next", headers=acting_as(user), idempotent=False
        )
        return FeedNext.model_validate(response.json())
