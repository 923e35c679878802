"""The Avito gateway against the sandbox's Avito emulator, over real HTTP: onboarding
through the api, the typed client, tokens (cache, expiry, revocation), retries, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common import clock
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.avito import (
    AvitoErrorCode,
    CloseDatesWrite,
    ClosedRange,
    DateRange,
    IntervalsWrite,
)
from concierge.domain.notify.models import Outbox
from concierge.domain.rentals.models import RentalsAccount
from tests.services.api.market.conftest import WebClient
from tests.services.avito.conftest import (
    AVITO_USER,
    CLIENT_ID,
    CLIENT_SECRET,
    LANDLORD,
    OTHER_LANDLORD,
    AvitoStack,
)


async def connect(avito: AvitoStack, web_client: WebClient, telegram_id: int = LANDLORD) -> int:
    """A landlord connects the sandbox's account; its id in the api."""
    landlord = await web_client(telegram_id)
    response = await landlord.post(
        "/api/v1/rentals/accounts",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


class TestOnboarding:
    async def test_connect_checks_stores_encrypted_and_imports_items(
        self, avito: AvitoStack, web_client: WebClient, session: AsyncSession
    ) -> None:
        await avito.landlord_account()
        await avito.item(AVITO_USER, "Студия у моря")
        await avito.item(AVITO_USER, "Двушка в центре")
        account_id = await connect(avito, web_client)
        stored = await session.get(RentalsAccount, account_id)
        assert stored is not None
        assert stored.avito_user_id == AVITO_USER
        assert CLIENT_SECRET.encode() not in stored.secret_encrypted  # encrypted at rest

        landlord = await web_client(LANDLORD)
        synced = await landlord.post(f"/api/v1/rentals/accounts/{account_id}/sync")
        assert synced.status_code == 200, synced.text
        assert synced.json()["items"] == 2
        assert synced.json()["revoked"] is False
        assert synced.json()["webhook"].startswith(f"{avito.gateway_url}/avito/webhook/")
        items = (await landlord.get(f"/api/v1/rentals/accounts/{account_id}/items")).json()
        assert sorted(i["title"] for i in items) == ["Двушка в центре", "Студия у моря"]

    async def test_wrong_secret_is_refused_and_nothing_is_stored(
        self, avito: AvitoStack, web_client: WebClient, session: AsyncSession
    ) -> None:
        await avito.landlord_account()
        landlord = await web_client(LANDLORD)
        response = await landlord.post(
            "/api/v1/rentals/accounts", json={"client_id": CLIENT_ID, "client_secret": "nope"}
        )
        assert response.status_code == 422, response.text
        assert await session.scalar(select(func.count()).select_from(RentalsAccount)) == 0

    @pytest.mark.parametrize(
        "body",
        [
            {"client_id": "a\x00b", "client_secret": "x"},
            {"client_id": "", "client_secret": "x"},
            {"client_id": "a", "client_secret": "x" * 501},
            {"client_id": 5, "client_secret": "x"},
            {"client_id": "a"},
        ],
    )
    async def test_bad_bodies_are_422(
        self, avito: AvitoStack, web_client: WebClient, body: dict[str, object]
    ) -> None:
        landlord = await web_client(LANDLORD)
        response = await landlord.post("/api/v1/rentals/accounts", json=body)
        assert response.status_code == 422

    async def test_another_landlords_account_is_404_and_read_cohosts_cannot_change(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        stranger = await web_client(OTHER_LANDLORD)
        for method, path in [
            ("GET", f"/api/v1/rentals/accounts/{account_id}/items"),
            ("POST", f"/api/v1/rentals/accounts/{account_id}/sync"),
            ("DELETE", f"/api/v1/rentals/accounts/{account_id}"),
        ]:
            assert (await stranger.request(method, path)).status_code == 404
        assert (await stranger.get("/api/v1/rentals/accounts")).json() == []

        owner = await web_client(LANDLORD)
        invited = await owner.post(
            f"/api/v1/rentals/accounts/{account_id}/cohosts",
            json={"telegram_id": OTHER_LANDLORD, "access": "read"},
        )
        assert invited.status_code == 201, invited.text
        mine = (await stranger.get("/api/v1/rentals/accounts")).json()
        assert [(a["id"], a["access"]) for a in mine] == [(account_id, "read")]
        assert (
            await stranger.get(f"/api/v1/rentals/accounts/{account_id}/items")
        ).status_code == 200
        sync = await stranger.post(f"/api/v1/rentals/accounts/{account_id}/sync")
        assert sync.status_code == 404  # read-only: may not change it

    async def test_credentials_route_needs_the_service_token(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        landlord = await web_client(LANDLORD)
        path = f"/api/v1/internal/rentals/accounts/{account_id}/credentials"
        assert (await landlord.get(path)).status_code == 401


class TestClient:
    async def test_calendar_writes_bookings_and_the_paid_overlap(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        item = await avito.item(AVITO_USER, "Студия")
        account_id = await connect(avito, web_client)
        today = clock.utcnow().date()
        stay = (today + timedelta(days=10), today + timedelta(days=13))
        booked = await avito.sandbox.post(
            "/sandbox/avito/bookings",
            json={"item_id": item, "check_in": stay[0].isoformat(),
                  "check_out": stay[1].isoformat(), "name": "Иван"},
        )  # fmt: skip
        booking_id = booked.json()["id"]

        found = await avito.client.bookings(account_id, item, today, today + timedelta(days=60))
        assert [(b.avito_booking_id, b.check_in, b.nights) for b in found] == [
            (booking_id, stay[0], 3)
        ]
        # the full open set: open everything but days 20..25
        open_set = IntervalsWrite(
            intervals=[
                DateRange(date_start=today, date_end=today + timedelta(days=20)),
                DateRange(
                    date_start=today + timedelta(days=25), date_end=today + timedelta(days=365)
                ),
            ]
        )
        await avito.client.set_intervals(account_id, item, open_set)
        calendar = (
            await avito.sandbox.get(
                f"/sandbox/avito/items/{item}/calendar",
                params={
                    "date_start": today.isoformat(),
                    "date_end": (today + timedelta(days=30)).isoformat(),
                },
            )
        ).json()
        assert calendar[(today + timedelta(days=21)).isoformat()] == "closed"
        assert calendar[(today + timedelta(days=11)).isoformat()] == "booked"
        assert calendar[(today + timedelta(days=26)).isoformat()] == "free"

        # closing the booked nights: 409 naming the booking, nothing closed
        overlap = CloseDatesWrite(
            bookings=[ClosedRange(date_start=today + timedelta(days=12),
                                  date_end=today + timedelta(days=15))]
        )  # fmt: skip
        with pytest.raises(ServiceResponseError) as refused:
            await avito.client.close_dates(account_id, item, overlap)
        assert refused.value.status_code == 409
        assert refused.value.code == AvitoErrorCode.PAID_OVERLAP
        assert refused.value.params == {"booking_id": booking_id}

        # a past date: Avito refuses it, the gateway says so (422), never a 500
        past = CloseDatesWrite(
            bookings=[ClosedRange(date_start=today - timedelta(days=2), date_end=today)]
        )
        with pytest.raises(ServiceResponseError) as rejected:
            await avito.client.close_dates(account_id, item, past)
        assert (rejected.value.status_code, rejected.value.code) == (422, AvitoErrorCode.REJECTED)

    async def test_another_accounts_item_is_404(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        theirs = await avito.item(AVITO_USER + 1, "Чужая квартира")
        account_id = await connect(avito, web_client)
        today = clock.utcnow().date()
        with pytest.raises(ServiceResponseError) as missing:
            await avito.client.bookings(account_id, theirs, today, today + timedelta(days=5))
        assert (missing.value.status_code, missing.value.code) == (404, AvitoErrorCode.NOT_FOUND)

    async def test_messenger_send_splits_on_sentences(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        item = await avito.item(AVITO_USER, "Студия")
        account_id = await connect(avito, web_client)
        wrote = await avito.sandbox.post(
            "/sandbox/avito/guests/777/messages", json={"item_id": item, "text": "Здравствуйте!"}
        )
        chat_id = wrote.json()["chat_id"]
        chats = await avito.client.chats(account_id)
        assert [(c.id, c.item_id, c.guest_id) for c in chats] == [(chat_id, item, 777)]

        sentence = "Парковка во дворе бесплатная, въезд с улицы Ленина. "
        long_text = sentence * 60  # ~3,100 characters
        sent = await avito.client.send(account_id, chat_id, long_text)
        assert len(sent.message_ids) == 4
        chat = (await avito.sandbox.get(f"/sandbox/avito/chats/{chat_id}")).json()
        parts = [m["content"]["text"] for m in chat["messages"][1:]]
        assert all(len(p) <= 1000 and p.endswith(".") for p in parts)
        assert " ".join(parts) == long_text.strip()

        await avito.client.mark_read(account_id, chat_id)
        messages = await avito.client.messages(account_id, chat_id)
        assert len(messages) == 5
        assert messages[-1].text == "Здравствуйте!"


class TestTokens:
    async def test_token_is_cached_and_refreshed_once_after_a_401(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        await avito.client.self(account_id)
        await avito.client.self(account_id)
        calls = (await avito.sandbox.get("/sandbox/avito/stats")).json()["calls"]
        assert calls.count("POST /token") == 2  # the onboarding check, then one for both calls
        assert await avito.redis.get(f"avito:token:{account_id}") is not None

        await avito.fault("expire")  # tokens expire now: 401, one refresh, the retry works
        me = await avito.client.self(account_id)
        assert me.id == AVITO_USER
        calls = (await avito.sandbox.get("/sandbox/avito/stats")).json()["calls"]
        assert calls.count("POST /token") == 3

    async def test_429_and_5xx_are_retried_and_a_lasting_outage_is_503(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        await avito.client.self(account_id)
        await avito.fault("429")
        await avito.fault("503")
        assert (await avito.client.self(account_id)).id == AVITO_USER
        await avito.fault("500", times=20)
        with pytest.raises(ServiceUnavailable):  # the gateway's 503 avito_unavailable
            await avito.client.self(account_id)

    async def test_revoked_credentials_are_told_once(
        self, avito: AvitoStack, web_client: WebClient, session: AsyncSession
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        await avito.sandbox.post(f"/sandbox/avito/accounts/{AVITO_USER}/revoke")
        await avito.redis.delete(f"avito:token:{account_id}")
        landlord = await web_client(LANDLORD)
        for _ in range(3):
            synced = await landlord.post(f"/api/v1/rentals/accounts/{account_id}/sync")
            assert synced.status_code in (200, 404), synced.text
        told = (await session.scalars(select(Outbox).where(Outbox.chat_id == LANDLORD))).all()
        assert [row.kind for row in told] == ["rentals.credentials_revoked"]
        assert "/avito_connect" in told[0].payload["text"]
        accounts = (await landlord.get("/api/v1/rentals/accounts")).json()
        assert accounts[0]["revoked"] is True
