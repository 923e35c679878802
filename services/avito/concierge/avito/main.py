"""The Avito gateway's ASGI app: the messenger webhook, the forwarder, the typed routes.

``POST /avito/webhook/{token}`` is public (nginx's ``/avito/``); everything under ``/v1``
needs the service token and is for our services only (``AvitoGatewayClient`` in
``concierge.contracts.avito``). The gateway never touches Postgres: credentials come
from the api, guest messages go to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from redis.asyncio import Redis
from redis.exceptions import RedisError

from concierge.avito.client import (
    AccountUnknown,
    AvitoApi,
    AvitoError,
    AvitoUnavailable,
    Credentials,
    CredentialsRevoked,
)
from concierge.avito.forwarder import EventForwarder
from concierge.avito.settings import WEBHOOK_PREFIX, AvitoSettings
from concierge.avito.split import split_message
from concierge.avito.webhook import (
    EVENTS,
    EventInbox,
    InvalidEvent,
    account_of,
    parse_event,
    webhook_token,
)
from concierge.common.auth import require_service_token
from concierge.common.errors import BadRequest, Conflict, Invalid, NotFound, Unavailable
from concierge.common.http_client import ServiceClient, ServiceUnavailable
from concierge.common.service_app import ReadinessCheck, create_service_app
from concierge.contracts.avito import (
    GATEWAY_PREFIX,
    AvitoBooking,
    AvitoErrorCode,
    AvitoItem,
    AvitoSelf,
    ChatMessageRead,
    ChatRead,
    CloseDatesWrite,
    CredentialsCheck,
    IntervalsWrite,
    ItemsPage,
    PricesWrite,
    SendResult,
    SendText,
    WebhookSubscription,
    WriteResult,
)
from concierge.streams import StreamGroup

log = logging.getLogger(__name__)
STOP_GRACE_S = 3.0
T = TypeVar("T")

AccountId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ChatIdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9~_:.\-]+$")]


def create_app(settings: AvitoSettings | None = None) -> FastAPI:
    settings = settings or AvitoSettings()
    secret = settings.webhook_secret.get_secret_value()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            redis = Redis.from_url(settings.redis_url, decode_responses=True)
            stack.push_async_callback(redis.aclose)
            api = ServiceClient(
                settings.api_url, settings.service_token.get_secret_value(), timeout=30.0
            )
            stack.push_async_callback(api.aclose)
            http = httpx.AsyncClient(
                base_url=settings.base_url.rstrip("/"),
                timeout=httpx.Timeout(settings.request_timeout_s, connect=5.0),
                trust_env=False,
            )
            stack.push_async_callback(http.aclose)
            app.state.redis, app.state.api_http = redis, api
            app.state.avito = AvitoApi(
                http,
                redis,
                Credentials(api),
                refresh_margin_s=settings.token_refresh_margin_s,
                attempts=settings.attempts,
                max_backoff_s=settings.max_backoff_s,
            )
            app.state.inbox = EventInbox(redis, settings.event_stream, settings.dedup_ttl_s)
            group = StreamGroup(redis, settings.event_stream, "avito", settings.consumer_name)
            forwarder = EventForwarder(group, api, settings.forward_batch)
            task = asyncio.create_task(forwarder.run(), name="avito-forwarder")

            async def stop_forwarder() -> None:
                forwarder.stop()
                try:
                    await asyncio.wait_for(task, STOP_GRACE_S)
                except TimeoutError:
                    log.warning("the avito forwarder did not stop in time; cancelled")

            stack.push_async_callback(stop_forwarder)
            yield

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"redis": app.state.redis.ping}

    app = create_service_app(
        "avito",
        settings,
        lifespan=lifespan,
        readiness=readiness,
        quiet_paths={WEBHOOK_PREFIX + "/{token}"},
    )
    app.state.service_token = settings.service_token.get_secret_value()

    @app.post(WEBHOOK_PREFIX + "/{token}", include_in_schema=False)
    async def webhook(request: Request, token: str) -> Response:
        account_id = account_of(secret, token)
        if account_id is None:
            EVENTS.labels("wrong_token").inc()
            raise NotFound("Not Found")
        try:
            event = parse_event(await request.body(), account_id)
        except InvalidEvent as exc:
            EVENTS.labels("malformed").inc()
            raise BadRequest(str(exc)) from exc
        if event is None:
            EVENTS.labels("skipped").inc()
            return Response(status_code=200)
        try:
            await request.app.state.inbox.accept(event)
        except RedisError as exc:  # not stored, so not acknowledged: Avito sends it again
            raise Unavailable("Event store unavailable") from exc
        return Response(status_code=200)

    app.include_router(_gateway_routes(settings, secret))
    return app


async def _avito(
    work: Callable[[], Awaitable[T]],
) -> T:
    """Run a call to Avito, turning its outcomes into the gateway's error codes."""
    try:
        return await work()
    except CredentialsRevoked as exc:
        raise Conflict(
            "Avito refused the account's credentials", code=AvitoErrorCode.CREDENTIALS_REVOKED
        ) from exc
    except AccountUnknown as exc:
        raise NotFound("No such account") from exc
    except (AvitoUnavailable, ServiceUnavailable) as exc:
        raise Unavailable(
            "Avito is unavailable, try again later", code=AvitoErrorCode.UNAVAILABLE
        ) from exc
    except AvitoError as exc:
        if exc.status == 409:
            params = _booking_param(exc.body)
            raise Conflict(
                f"Avito: {exc.message}", code=AvitoErrorCode.PAID_OVERLAP, params=params
            ) from exc
        if exc.status in (403, 404):
            raise NotFound("Avito does not know it", code=AvitoErrorCode.NOT_FOUND) from exc
        raise Invalid(f"Avito refused: {exc.message}", code=AvitoErrorCode.REJECTED) from exc


def _booking_param(body: Any) -> dict[str, str | int]:
    error = body.get("error") if isinstance(body, dict) else None
    booking = error.get("booking_id") if isinstance(error, dict) else None
    return {"booking_id": booking} if isinstance(booking, int | str) else {}


def _api(request: Request) -> AvitoApi:
    api: AvitoApi = request.app.state.avito
    return api


def _gateway_routes(settings: AvitoSettings, secret: str) -> APIRouter:
    router = APIRouter(prefix=GATEWAY_PREFIX, dependencies=[Depends(require_service_token)])
    base = "/accounts/{account_id}"

    @router.post("/check")
    async def check(request: Request, body: CredentialsCheck) -> AvitoSelf:
        data = await _avito(lambda: _api(request).account_with(body.client_id, body.client_secret))
        return AvitoSelf.model_validate(data)

    @router.get(base + "/self")
    async def account_self(request: Request, account_id: AccountId) -> AvitoSelf:
        data = await _avito(lambda: _api(request).call(account_id, "GET", "/core/v1/accounts/self"))
        return AvitoSelf.model_validate(data)

    @router.get(base + "/items")
    async def items(
        request: Request,
        account_id: AccountId,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> ItemsPage:
        params = {"page": page, "per_page": per_page, "status": "active,old,blocked"}
        data = await _avito(
            lambda: _api(request).call(account_id, "GET", "/core/v1/items", params=params)
        )
        resources = data.get("resources", []) if isinstance(data, dict) else []
        found = [AvitoItem.model_validate(r) for r in resources if isinstance(r, dict)]
        return ItemsPage(items=found, page=page, per_page=per_page)

    @router.get(base + "/items/{item_id}/bookings")
    async def bookings(
        request: Request,
        account_id: AccountId,
        item_id: ItemId,
        date_start: date,
        date_end: date,
    ) -> list[AvitoBooking]:
        if date_end <= date_start or date_end - date_start > timedelta(days=731):
            raise Invalid("date_end must be after date_start, within two years")
        params = {
            "date_start": date_start.isoformat(),
            "date_end": date_end.isoformat(),
            "with_unpaid": "true",
        }
        path = f"/realty/v1/accounts/{{uid}}/items/{item_id}/bookings"
        data = await _avito(lambda: _api(request).call(account_id, "GET", path, params=params))
        found = data.get("bookings", []) if isinstance(data, dict) else []
        return [AvitoBooking.model_validate(b) for b in found if isinstance(b, dict)]

    @router.put(base + "/items/{item_id}/intervals")
    async def intervals(
        request: Request, account_id: AccountId, item_id: ItemId, body: IntervalsWrite
    ) -> WriteResult:
        payload = {
            "item_id": item_id,
            "intervals": [{**i.model_dump(mode="json"), "open": 1} for i in body.intervals],
            "source": "concierge",
        }
        await _avito(
            lambda: _api(request).call(
                account_id, "POST", "/realty/v1/items/intervals", json=payload
            )
        )
        return WriteResult()

    @router.put(base + "/items/{item_id}/closed")
    async def closed(
        request: Request, account_id: AccountId, item_id: ItemId, body: CloseDatesWrite
    ) -> WriteResult:
        payload = {
            "bookings": [{**b.model_dump(mode="json"), "type": "manual"} for b in body.bookings],
            "source": "concierge",
        }
        path = f"/core/v1/accounts/{{uid}}/items/{item_id}/bookings"
        await _avito(lambda: _api(request).call(account_id, "POST", path, json=payload))
        return WriteResult()

    @router.put(base + "/items/{item_id}/prices")
    async def prices(
        request: Request, account_id: AccountId, item_id: ItemId, body: PricesWrite
    ) -> WriteResult:
        path = f"/realty/v1/accounts/{{uid}}/items/{item_id}/prices"
        payload = body.model_dump(mode="json")
        await _avito(lambda: _api(request).call(account_id, "POST", path, json=payload))
        return WriteResult()

    @router.get(base + "/chats")
    async def chats(
        request: Request,
        account_id: AccountId,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> list[ChatRead]:
        params = {"limit": limit, "offset": offset}
        data = await _avito(
            lambda: _api(request).call(
                account_id, "GET", "/messenger/v2/accounts/{uid}/chats", params=params
            )
        )
        return [_chat(c) for c in (data.get("chats") or []) if isinstance(c, dict)]

    @router.get(base + "/chats/{chat_id}/messages")
    async def messages(
        request: Request,
        account_id: AccountId,
        chat_id: ChatIdPath,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> list[ChatMessageRead]:
        path = f"/messenger/v3/accounts/{{uid}}/chats/{chat_id}/messages/"
        params = {"limit": limit, "offset": offset}
        data = await _avito(lambda: _api(request).call(account_id, "GET", path, params=params))
        return [_message(m) for m in (data.get("messages") or []) if isinstance(m, dict)]

    @router.post(base + "/chats/{chat_id}/read")
    async def read(request: Request, account_id: AccountId, chat_id: ChatIdPath) -> WriteResult:
        path = f"/messenger/v1/accounts/{{uid}}/chats/{chat_id}/read"
        await _avito(lambda: _api(request).call(account_id, "POST", path))
        return WriteResult()

    @router.post(base + "/chats/{chat_id}/messages")
    async def send(
        request: Request, account_id: AccountId, chat_id: ChatIdPath, body: SendText
    ) -> SendResult:
        path = f"/messenger/v1/accounts/{{uid}}/chats/{chat_id}/messages"
        sent: list[str] = []
        for part in split_message(body.text):
            payload = {"message": {"text": part}, "type": "text"}
            data = await _avito(
                lambda p=payload: _api(request).call(  # type: ignore[misc]
                    account_id, "POST", path, json=p, resend=False
                )
            )
            sent.append(str(data.get("id", "")) if isinstance(data, dict) else "")
        return SendResult(message_ids=sent)

    @router.post(base + "/webhook")
    async def subscribe(request: Request, account_id: AccountId) -> WebhookSubscription:
        url = (
            f"{settings.public_url.rstrip('/')}{WEBHOOK_PREFIX}/{webhook_token(secret, account_id)}"
        )
        await _avito(
            lambda: _api(request).call(
                account_id, "POST", "/messenger/v3/webhook", json={"url": url}
            )
        )
        return WebhookSubscription(url=url)

    @router.delete(base + "/token", status_code=204)
    async def forget(request: Request, account_id: AccountId) -> Response:
        await _api(request).forget(account_id)
        return Response(status_code=204)

    return router


def _chat(raw: dict[str, Any]) -> ChatRead:
    context = raw.get("context") or {}
    value = context.get("value") if isinstance(context, dict) else None
    users = raw.get("users") or []
    guest = users[-1] if users and isinstance(users[-1], dict) else {}
    last = raw.get("last_message") or {}
    content = last.get("content") if isinstance(last, dict) else None
    return ChatRead(
        id=str(raw.get("id", "")),
        item_id=value.get("id") if isinstance(value, dict) else None,
        guest_id=guest.get("id"),
        guest_name=guest.get("name"),
        created=raw.get("created"),
        updated=raw.get("updated"),
        last_message=content.get("text") if isinstance(content, dict) else None,
    )


def _message(raw: dict[str, Any]) -> ChatMessageRead:
    content = raw.get("content") or {}
    return ChatMessageRead(
        id=str(raw.get("id", "")),
        author_id=int(raw.get("author_id") or 0),
        created=int(raw.get("created") or 0),
        type=str(raw.get("type") or "text"),
        text=content.get("text") if isinstance(content, dict) else None,
        is_read=raw.get("is_read"),
    )
