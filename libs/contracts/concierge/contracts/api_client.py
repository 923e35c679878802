"""Typed client for ``api``: the one way other services call it."""

from __future__ import annotations

from datetime import datetime

from concierge.common.http_client import ServiceClient, ServiceResponseError
from concierge.contracts.identity import (
    UserPage,
    UserRead,
    UserRegister,
    UserRole,
    UserStatus,
    UserStatusChange,
    UserUpdate,
)
from concierge.contracts.notify import (
    AdminAlertCreate,
    AdminAlertQueued,
    BroadcastCreate,
    BroadcastRead,
    ChatBlocked,
    ClaimedBatch,
    ClaimedNotification,
    ClaimRequest,
    DeliveryReport,
    NotificationCreate,
    NotificationRead,
    ReportBatch,
    ReportSummary,
)
from concierge.contracts.search import (
    Answer,
    AnswerRequest,
    DocumentKind,
    SearchMode,
    SearchPage,
)
from concierge.contracts.sources import SourceCreate, SourceRead, SourceUpdate

ACTING_USER_HEADER = "X-Acting-User"
USERS = "/api/v1/users"
NOTIFICATIONS = "/api/v1/notifications"
BROADCASTS = "/api/v1/admin/broadcasts"
SEARCH = "/api/v1/search"
ANSWER = "/api/v1/assistant/answer"
SOURCES = "/api/v1/admin/sources"


def acting_as(telegram_id: int) -> dict[str, str]:
    """The header a desk's typed client sends to act for a person (with the service token)."""
    return {ACTING_USER_HEADER: str(telegram_id)}


class ApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def ping(self) -> None:
        await self.http.request("GET", "/health")

    async def register_user(self, user: UserRegister) -> UserRead:
        # Registering is an upsert keyed by telegram_id, so a retry cannot duplicate.
        response = await self.http.request(
            "POST", USERS, json=user.model_dump(mode="json"), idempotent=True
        )
        return UserRead.model_validate(response.json())

    async def get_user(self, telegram_id: int) -> UserRead | None:
        try:
            response = await self.http.request("GET", f"{USERS}/{telegram_id}")
        except ServiceResponseError as exc:
            if exc.status_code == 404:
                return None
            raise
        return UserRead.model_validate(response.json())

    async def update_user(self, telegram_id: int, update: UserUpdate) -> UserRead:
        response = await self.http.request(
            "PATCH",
            f"{USERS}/{telegram_id}",
            json=update.model_dump(mode="json", exclude_unset=True),
            idempotent=True,
        )
        return UserRead.model_validate(response.json())

    async def change_status(self, telegram_id: int, status: UserStatus) -> UserRead:
        response = await self.http.request(
            "PUT",
            f"{USERS}/{telegram_id}/status",
            json=UserStatusChange(status=status).model_dump(mode="json"),
        )
        return UserRead.model_validate(response.json())

    async def list_users(
        self,
        acting_admin: int,
        *,
        role: UserRole | None = None,
        status: UserStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> UserPage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if role:
            params["role"] = role.value
        if status:
            params["status"] = status.value
        response = await self.http.request(
            "GET",
            "/api/v1/admin/users",
            params=params,
            headers={ACTING_USER_HEADER: str(acting_admin)},
        )
        return UserPage.model_validate(response.json())

    # --- notifications ------------------------------------------------------------

    async def create_notification(
        self, notification: NotificationCreate
    ) -> tuple[NotificationRead, bool]:
        """Queue a notification; returns it and whether it is new (False: the key was used)."""
        # The dedup key makes a retried POST harmless.
        response = await self.http.request(
            "POST", NOTIFICATIONS, json=notification.model_dump(mode="json"), idempotent=True
        )
        return NotificationRead.model_validate(response.json()), response.status_code == 201

    async def tell_admins(self, alert: AdminAlertCreate) -> AdminAlertQueued:
        """Queue a message to every reachable admin; the key makes a retry harmless."""
        response = await self.http.request(
            "POST", f"{NOTIFICATIONS}/admins", json=alert.model_dump(mode="json"), idempotent=True
        )
        return AdminAlertQueued.model_validate(response.json())

    async def claim_notifications(self, limit: int, lease_s: float) -> list[ClaimedNotification]:
        """Lease due notifications (at most one per chat). Not retried here: a lost answer
        leaves rows leased, and they come back when the lease runs out."""
        body = ClaimRequest(limit=limit, lease_s=lease_s).model_dump(mode="json")
        response = await self.http.request("POST", f"{NOTIFICATIONS}/claims", json=body)
        return ClaimedBatch.model_validate(response.json()).items

    async def report_deliveries(self, reports: list[DeliveryReport]) -> ReportSummary:
        # Applying a report twice changes nothing (it only moves leased rows), so retry.
        body = ReportBatch(reports=reports).model_dump(mode="json")
        response = await self.http.request(
            "POST", f"{NOTIFICATIONS}/reports", json=body, idempotent=True
        )
        return ReportSummary.model_validate(response.json())

    async def set_chat_blocked(self, chat_id: int, blocked: bool) -> None:
        """The user blocked (or unblocked) the bot: stop (or resume) notifying them."""
        await self.http.request(
            "PUT",
            f"{NOTIFICATIONS}/chats/{chat_id}/blocked",
            json=ChatBlocked(blocked=blocked).model_dump(mode="json"),
        )

    async def create_broadcast(
        self, acting_admin: int, broadcast: BroadcastCreate
    ) -> BroadcastRead:
        response = await self.http.request(
            "POST",
            BROADCASTS,
            json=broadcast.model_dump(mode="json"),
            headers={ACTING_USER_HEADER: str(acting_admin)},
        )
        return BroadcastRead.model_validate(response.json())

    async def get_broadcast(self, acting_admin: int, broadcast_id: int) -> BroadcastRead:
        response = await self.http.request(
            "GET", f"{BROADCASTS}/{broadcast_id}", headers={ACTING_USER_HEADER: str(acting_admin)}
        )
        return BroadcastRead.model_validate(response.json())

    async def search(
        self,
        query: str,
        *,
        kind: DocumentKind | None = None,
        source: int | None = None,
        since: datetime | None = None,
        limit: int = 10,
        cursor: str | None = None,
        mode: SearchMode | None = None,
    ) -> SearchPage:
        params: dict[str, str | int] = {"q": query, "limit": limit}
        if mode is not None:
            params["mode"] = mode.value
        if kind is not None:
            params["kind"] = kind.value
        if source is not None:
            params["source"] = source
        if since is not None:
            params["since"] = since.isoformat()
        if cursor is not None:
            params["cursor"] = cursor
        response = await self.http.request("GET", SEARCH, params=params)
        return SearchPage.model_validate(response.json())

    async def answer(self, request: AnswerRequest) -> Answer:
        # Answering reads and may call an LLM; nothing is written, so it may be retried.
        response = await self.http.request(
            "POST", ANSWER, json=request.model_dump(mode="json"), idempotent=True
        )
        return Answer.model_validate(response.json())

    async def list_sources(self, acting_admin: int) -> list[SourceRead]:
        response = await self.http.request(
            "GET", SOURCES, headers={ACTING_USER_HEADER: str(acting_admin)}
        )
        return [SourceRead.model_validate(item) for item in response.json()]

    async def add_source(self, acting_admin: int, source: SourceCreate) -> SourceRead:
        response = await self.http.request(
            "POST",
            SOURCES,
            json=source.model_dump(mode="json", exclude_none=True),
            headers={ACTING_USER_HEADER: str(acting_admin)},
        )
        return SourceRead.model_validate(response.json())

    async def update_source(
        self, acting_admin: int, source_id: int, update: SourceUpdate
    ) -> SourceRead:
        response = await self.http.request(
            "PATCH",
            f"{SOURCES}/{source_id}",
            json=update.model_dump(mode="json", exclude_unset=True),
            headers={ACTING_USER_HEADER: str(acting_admin)},
            idempotent=True,
        )
        return SourceRead.model_validate(response.json())

    async def delete_source(self, acting_admin: int, source_id: int) -> None:
        await self.http.request(
            "DELETE", f"{SOURCES}/{source_id}", headers={ACTING_USER_HEADER: str(acting_admin)}
        )
