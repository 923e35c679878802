"""What makes a listing trustworthy to buyers and worth keeping to sellers: sold and
reserved marks, expiry with a reminder and renewal, the seller's figures (views,
contacts), reports that reach moderation, and the default currency of a new listing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.clock import utcnow
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing
from tests.services.api.conftest import ADMIN_ID
from tests.services.api.market.conftest import BUYER_ID, SELLER_ID, WebClient
from tests.services.api.market.test_inquiries import OTHER_BUYER_ID, callbacks, write
from tests.services.api.market.test_listings import LISTINGS, approved, create, reject
from tests.services.api.market.test_moderation import jobs, outbox

ADMIN = "/api/v1/admin"
SWEEP = "/api/v1/market/expiry-sweep"


async def mark(client: httpx.AsyncClient, listing_id: int, availability: str) -> httpx.Response:
    return await client.post(
        f"{LISTINGS}/{listing_id}/availability", json={"availability": availability}
    )


async def set_expiry(session: AsyncSession, listing_id: int, expires_in: timedelta) -> None:
    await session.execute(
        update(Listing).where(Listing.id == listing_id).values(expires_at=utcnow() + expires_in)
    )


class TestAvailability:
    async def test_the_seller_marks_it_and_buyers_in_a_conversation_are_told(
        self, seller, buyer, admin, session
    ):
        listing = await approved(seller, admin)
        await write(buyer, listing["id"])
        response = await mark(seller, listing["id"], "reserved")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["availability"] == "reserved"
        assert body["status"] == "approved"  # no moderation for this
        assert body["revision"] == listing["revision"]
        (told,) = await outbox(session, BUYER_ID, "market.availability")
        assert "reserved" in told.payload["text"]
        seen = (await buyer.get(f"{LISTINGS}/{listing['id']}")).json()
        assert seen["availability"] == "reserved"

    async def test_only_the_seller_and_only_a_published_listing(self, seller, buyer, admin):
        listing = await approved(seller, admin)
        assert (await mark(buyer, listing["id"], "sold")).status_code == 404
        draft = await create(seller)
        refused = await mark(seller, draft["id"], "sold")
        assert refused.status_code == 409
        assert refused.json()["code"] == "listing_not_published"
        assert refused.json()["params"] == {"status": "draft"}
        assert (await mark(seller, listing["id"], "gone")).status_code == 422


class TestExpiry:
    async def test_approval_publishes_for_a_lifetime(self, seller, admin):
        listing = await approved(seller, admin)
        assert listing["expires_at"] is not None
        # 30 days by default.
        published = datetime.fromisoformat(listing["published_at"])
        expires = datetime.fromisoformat(listing["expires_at"])
        assert expires - published == timedelta(days=30)

    async def test_reminded_once_then_expired_out_of_search_then_renewed(
        self, seller, admin, service, session, redis
    ):
        listing = await approved(seller, admin)
        await set_expiry(session, listing["id"], timedelta(days=2))
        first = (await service.post(SWEEP)).json()
        assert first == {"reminded": 1, "expired": 0}
        assert (await service.post(SWEEP)).json() == {"reminded": 0, "expired": 0}
        (reminder,) = await outbox(session, SELLER_ID, "market.listing_expiring")
        assert callbacks(reminder) == [f"lst:renew:{listing['id']}"]

        await set_expiry(session, listing["id"], timedelta(seconds=-1))
        assert (await service.post(SWEEP)).json() == {"reminded": 0, "expired": 1}
        expired = (await seller.get(f"{LISTINGS}/{listing['id']}")).json()
        assert expired["status"] == "expired"
        assert ("market.unindex_listing", {"listing_id": listing["id"]}) in await jobs(redis)
        (notice,) = await outbox(session, SELLER_ID, "market.listing_expired")
        assert callbacks(notice) == [f"lst:renew:{listing['id']}"]
        assert (await admin.get(f"{LISTINGS}/{listing['id']}")).json()["status"] == "expired"

        renewed = await seller.post(f"{LISTINGS}/{listing['id']}/renew")
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["status"] == "approved"
        assert ("market.index_listing", {"listing_id": listing["id"]}) in await jobs(redis)
        audit = (await admin.get(f"{ADMIN}/listings/{listing['id']}/audit")).json()
        assert [(e["action"], e["actor_telegram_id"]) for e in audit][-2:] == [
            ("expired", None),
            ("renewed", SELLER_ID),
        ]

    async def test_renewing_a_published_listing_extends_it(self, seller, admin, session):
        listing = await approved(seller, admin)
        await set_expiry(session, listing["id"], timedelta(days=1))
        renewed = (await seller.post(f"{LISTINGS}/{listing['id']}/renew")).json()
        left = datetime.fromisoformat(renewed["expires_at"]) - utcnow()
        assert timedelta(days=29) < left <= timedelta(days=30)

    async def test_a_draft_is_not_renewed(self, seller):
        draft = await create(seller)
        response = await seller.post(f"{LISTINGS}/{draft['id']}/renew")
        assert (response.status_code, response.json()["code"]) == (409, "listing_not_renewable")

    async def test_the_sweep_is_for_services_only(self, buyer):
        assert (await buyer.post(SWEEP)).status_code == 401


class TestSellerFigures:
    async def test_views_count_people_once_and_contacts_count_buyers(
        self, seller, buyer, admin, web_client: WebClient
    ):
        listing = await approved(seller, admin)
        other = await web_client(OTHER_BUYER_ID)
        for client in (buyer, buyer, other, seller):
            await client.get(f"{LISTINGS}/{listing['id']}")
        await write(buyer, listing["id"])
        own = (await seller.get(f"{LISTINGS}/{listing['id']}")).json()
        # The buyer twice and the other buyer once; not the seller, nor the admin who
        # looked before it was published.
        assert own["stats"] == {"views": 2, "contacts": 1}
        mine = (await seller.get(f"{LISTINGS}/mine")).json()["items"]
        assert mine[0]["stats"] == {"views": 2, "contacts": 1}
        assert (await buyer.get(f"{LISTINGS}/{listing['id']}")).json()["stats"] is None


class TestReports:
    async def test_a_report_reaches_the_admins_and_moderation_then_is_dismissed(
        self, seller, buyer, admin, session
    ):
        listing = await approved(seller, admin, title="Too good to be true")
        response = await buyer.post(
            f"{LISTINGS}/{listing['id']}/reports",
            json={"reason": "fraud", "comment": "Asks for prepayment"},
        )
        assert response.status_code == 201, response.text
        (told,) = await outbox(session, ADMIN_ID, "market.listing_reported")
        assert "fraud" in told.payload["text"]
        assert "Asks for prepayment" in told.payload["text"]
        summary = (await admin.get(f"{ADMIN}/moderation/summary")).json()
        assert summary == {"pending": 0, "reported": 1}
        page = (await admin.get(f"{ADMIN}/moderation/reports")).json()
        (item,) = page["items"]
        assert item["listing"]["id"] == listing["id"]
        assert [(r["reason"], r["comment"]) for r in item["reports"]] == [
            ("fraud", "Asks for prepayment")
        ]
        again = await buyer.post(f"{LISTINGS}/{listing['id']}/reports", json={"reason": "other"})
        assert (again.status_code, again.json()["code"]) == (409, "already_reported")
        dismissed = await admin.post(f"{ADMIN}/listings/{listing['id']}/reports/dismiss")
        assert dismissed.json() == {"resolved": 1}
        assert (await admin.get(f"{ADMIN}/moderation/summary")).json()["reported"] == 0

    async def test_taking_a_reported_listing_down_upholds_the_reports(
        self, seller, buyer, admin, redis
    ):
        listing = await approved(seller, admin)
        await buyer.post(f"{LISTINGS}/{listing['id']}/reports", json={"reason": "prohibited"})
        taken = await reject(admin, listing["id"], "Weapons are not allowed")
        assert taken.status_code == 200, taken.text
        assert taken.json()["status"] == "rejected"
        assert ("market.unindex_listing", {"listing_id": listing["id"]}) in await jobs(redis)
        assert (await admin.get(f"{ADMIN}/moderation/summary")).json()["reported"] == 0
        assert (await buyer.get(f"{LISTINGS}/{listing['id']}")).status_code == 404

    async def test_own_and_unpublished_listings_cannot_be_reported(self, seller, buyer, admin):
        listing = await approved(seller, admin)
        own = await seller.post(f"{LISTINGS}/{listing['id']}/reports", json={"reason": "other"})
        assert (own.status_code, own.json()["code"]) == (409, "own_listing")
        draft = await create(seller)
        hidden = await buyer.post(f"{LISTINGS}/{draft['id']}/reports", json={"reason": "other"})
        assert hidden.status_code == 404

    async def test_moderation_routes_are_for_admins(self, buyer):
        for path in ("/moderation/summary", "/moderation/reports"):
            assert (await buyer.get(f"{ADMIN}{path}")).status_code == 403


class TestSuggestedCurrency:
    async def suggested(self, client: httpx.AsyncClient, **params: Any) -> str:
        response = await client.get(f"{LISTINGS}/suggested-currency", params=params)
        assert response.status_code == 200, response.text
        return str(response.json()["currency"])

    async def test_the_city_decides_then_the_last_listing_then_the_language(self, seller, session):
        # The seller speaks English (web_client signs users in with language_code "en").
        assert await self.suggested(seller) == "USD"
        assert await self.suggested(seller, city="Berlin") == "EUR"
        assert await self.suggested(seller, city="  москва ") == "RUB"
        await session.execute(
            update(User).where(User.telegram_id == SELLER_ID).values(language="ru")
        )
        assert await self.suggested(seller) == "RUB"
        assert await self.suggested(seller, city="Berlin") == "EUR"
        await create(seller, currency="EUR", city="Nowhere")
        assert await self.suggested(seller) == "EUR"  # what they used last time

    async def test_a_listing_without_a_currency_gets_the_suggested_one(self, seller):
        body = {"title": "Bike", "category": "hobby", "price": "180", "city": "Berlin"}
        response = await seller.post(LISTINGS, json=body)
        assert response.status_code == 201, response.text
        assert response.json()["currency"] == "EUR"

    async def test_an_invalid_city_is_422(self, seller):
        response = await seller.get(f"{LISTINGS}/suggested-currency", params={"city": "x\x01"})
        assert response.status_code == 422
