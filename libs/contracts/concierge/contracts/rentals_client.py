"""Typed client of the rentals desk's routes for the bot, acting for a user (the service
token and ``X-Acting-User``). Errors are ``ServiceResponseError``/``ServiceUnavailable``."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.rentals import (
    AccountConnect,
    AccountRead,
    CalendarChange,
    CalendarConfirm,
    CalendarMonth,
    CalendarPreview,
    CalendarWritten,
    ItemRead,
    SyncResult,
)

ACCOUNTS = "/api/v1/rentals/accounts"
ITEMS = "/api/v1/rentals/items"


def _as(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


class RentalsApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def connect(self, user: int, data: AccountConnect) -> AccountRead:
        response = await self.http.request(
            "POST", ACCOUNTS, json=data.model_dump(), headers=_as(user)
        )
        return AccountRead.model_validate(response.json())

    async def accounts(self, user: int) -> list[AccountRead]:
        response = await self.http.request("GET", ACCOUNTS, headers=_as(user))
        return [AccountRead.model_validate(a) for a in response.json()]

    async def sync(self, user: int, account_id: int) -> SyncResult:
        response = await self.http.request(
            "POST", f"{ACCOUNTS}/{account_id}/sync", headers=_as(user), idempotent=True
        )
        return SyncResult.model_validate(response.json())

    async def items(self, user: int, account_id: int) -> list[ItemRead]:
        response = await self.http.request(
            "GET", f"{ACCOUNTS}/{account_id}/items", headers=_as(user)
        )
        return [ItemRead.model_validate(i) for i in response.json()]

    async def month(self, user: int, item_id: int, month: str) -> CalendarMonth:
        response = await self.http.request(
            "GET", f"{ITEMS}/{item_id}/calendar", params={"month": month}, headers=_as(user)
        )
        return CalendarMonth.model_validate(response.json())

    async def preview(self, user: int, item_id: int, change: CalendarChange) -> CalendarPreview:
        response = await self.http.request(
            "POST",
            f"{ITEMS}/{item_id}/calendar/preview",
            json=change.model_dump(mode="json"),
            headers=_as(user),
            idempotent=True,
        )
        return CalendarPreview.model_validate(response.json())

    async def confirm(self, user: int, item_id: int, data: CalendarConfirm) -> CalendarWritten:
        response = await self.http.request(
            "POST",
            f"{ITEMS}/{item_id}/calendar/confirm",
            json=data.model_dump(mode="json"),
            headers=_as(user),
        )
        return CalendarWritten.model_validate(response.json())
