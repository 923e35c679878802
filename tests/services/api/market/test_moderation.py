"""Admin moderation: the pending queue, approve and reject, what owners and admins are
told through the outbox, the worker's indexing jobs, and the audit log."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from concierge.domain.notify.models import Outbox
from tests.services.api.conftest import ADMIN_ID
from tests.services.api.market.conftest import SELLER_ID
from tests.services.api.market.test_listings import LISTINGS, approve, create, reject

ADMIN = "/api/v1/admin"
QUEUE = f"{ADMIN}/moderation/queue"


async def submitted(seller: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    listing = await create(seller, **fields)
    response = await seller.post(f"{LISTINGS}/{listing['id']}/submit")
    assert response.status_code == 200, response.text
    return response.json()


async def outbox(session, chat_id: int, kind: str) -> list[Outbox]:
    rows = await session.scalars(
        select(Outbox).where(Outbox.chat_id == chat_id, Outbox.kind == kind).order_by(Outbox.id)
    )
    return list(rows.all())


def web_app_url(row: Outbox) -> str:
    (button,) = row.payload["reply_markup"]["inline_keyboard"][0]
    return button["web_app"]["url"]


async def jobs(redis) -> list[tuple[str, dict[str, Any]]]:
    return [
        (fields["type"], json.loads(fields["payload"])) for _, fields in await redis.xrange("jobs")
    ]


class TestQueue:
    async def test_pending_listings_oldest_submitted_first_page_by_page(self, seller, admin):
        drafts = [await create(seller, title=f"Item {n}") for n in range(5)]
        order = [drafts[n]["id"] for n in (3, 0, 4, 1)]  # drafts[2] is never submitted
        for listing_id in order:
            assert (await seller.post(f"{LISTINGS}/{listing_id}/submit")).status_code == 200
        first = (await admin.get(QUEUE, params={"limit": 3})).json()
        assert [item["id"] for item in first["items"]] == order[:3]
        assert first["next_cursor"]
        rest = (await admin.get(QUEUE, params={"limit": 3, "cursor": first["next_cursor"]})).json()
        assert [item["id"] for item in rest["items"]] == order[3:]
        assert rest["next_cursor"] is None

    async def test_decided_listings_leave_the_queue(self, seller, admin):
        one, two = await submitted(seller), await submitted(seller)
        await approve(admin, one["id"])
        queue = (await admin.get(QUEUE)).json()
        assert [item["id"] for item in queue["items"]] == [two["id"]]

    async def test_a_bad_cursor_is_422(self, admin):
        response = await admin.get(QUEUE, params={"cursor": "eyJub3QiOiJhIGxpc3QifQ"})
        assert response.status_code == 422
        assert "cursor" in response.json()["detail"]


class TestApprove:
    async def test_approval_publishes_notifies_the_owner_and_queues_indexing(
        self, seller, admin, session, redis
    ):
        listing = await submitted(seller)
        response = await approve(admin, listing["id"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "approved"
        assert body["published_at"] is not None
        assert body["is_mine"] is False

        (row,) = await outbox(session, SELLER_ID, "market.listing_approved")
        assert row.payload["parse_mode"] == "HTML"
        assert "is published" in row.payload["text"]
        assert web_app_url(row).endswith(f"?startapp=listing_{listing['id']}")
        assert await jobs(redis) == [("market.index_listing", {"listing_id": listing["id"]})]

        seen_by_owner = (await seller.get(f"{LISTINGS}/{listing['id']}")).json()
        assert seen_by_owner["status"] == "approved"
        assert seen_by_owner["published_at"] == body["published_at"]

    async def test_the_owner_is_told_in_their_language(self, seller, admin, service, session):
        await service.patch(f"/api/v1/users/{SELLER_ID}", json={"language": "ru"})
        listing = await submitted(seller)
        await approve(admin, listing["id"])
        (row,) = await outbox(session, SELLER_ID, "market.listing_approved")
        assert "опубликовано" in row.payload["text"]

    async def test_only_a_pending_listing_can_be_approved(self, seller, admin, session, redis):
        draft = await create(seller)
        response = await approve(admin, draft["id"])
        assert response.status_code == 409
        assert (await seller.get(f"{LISTINGS}/{draft['id']}")).json()["status"] == "draft"
        listing = await submitted(seller)
        assert (await approve(admin, listing["id"])).status_code == 200
        assert (await approve(admin, listing["id"])).status_code == 409
        assert len(await outbox(session, SELLER_ID, "market.listing_approved")) == 1
        assert len(await jobs(redis)) == 1

    async def test_an_unknown_listing_is_404_and_bad_ids_422(self, admin):
        approval = {"revision": 1}
        response = await admin.post(f"{ADMIN}/listings/{2**62}/approve", json=approval)
        assert response.status_code == 404
        for bad in ("0", "-3", str(2**70), "x"):
            response = await admin.post(f"{ADMIN}/listings/{bad}/approve", json=approval)
            assert response.status_code == 422
        listing_id = 2**62
        for body in (None, {}, {"revision": 0}, {"revision": "1"}, {"revision": 1.5}):
            response = await admin.post(f"{ADMIN}/listings/{listing_id}/approve", json=body)
            assert response.status_code == 422, body


class TestTheVersionTheAdminSaw:
    """The owner changes a pending listing after the admin opened it: the decision names
    the revision the admin saw, so it is refused (409) and the listing stays queued."""

    async def test_approving_a_listing_edited_since_is_409(self, seller, admin, session, redis):
        listing = await submitted(seller, title="Honest bike")
        seen = next(item for item in (await admin.get(QUEUE)).json()["items"])
        assert seen["id"] == listing["id"]
        edited = await seller.patch(
            f"{LISTINGS}/{listing['id']}", json={"title": "Bike (now a scam link)"}
        )
        assert edited.json()["revision"] == seen["revision"] + 1

        response = await admin.post(
            f"{ADMIN}/listings/{listing['id']}/approve", json={"revision": seen["revision"]}
        )
        assert response.status_code == 409
        assert "changed" in response.json()["detail"]
        queue = (await admin.get(QUEUE)).json()["items"]
        assert [(item["id"], item["status"]) for item in queue] == [(listing["id"], "pending")]
        assert await outbox(session, SELLER_ID, "market.listing_approved") == []
        assert await jobs(redis) == []

        fresh = await admin.post(
            f"{ADMIN}/listings/{listing['id']}/approve", json={"revision": queue[0]["revision"]}
        )
        assert fresh.status_code == 200
        assert fresh.json()["title"] == "Bike (now a scam link)"

    async def test_rejecting_a_listing_edited_since_is_409(self, seller, admin):
        listing = await submitted(seller)
        await seller.patch(f"{LISTINGS}/{listing['id']}", json={"price": "1"})
        response = await admin.post(
            f"{ADMIN}/listings/{listing['id']}/reject",
            json={"revision": listing["revision"], "reason": "Too expensive"},
        )
        assert response.status_code == 409
        mine = (await seller.get(f"{LISTINGS}/{listing['id']}")).json()
        assert (mine["status"], mine["rejection_reason"]) == ("pending", None)

    async def test_an_unchanged_resubmission_keeps_its_revision(self, seller, admin):
        listing = await submitted(seller)
        again = (await seller.post(f"{LISTINGS}/{listing['id']}/submit")).json()
        assert again["revision"] == listing["revision"]
        response = await admin.post(
            f"{ADMIN}/listings/{listing['id']}/approve", json={"revision": listing["revision"]}
        )
        assert response.status_code == 200


class TestReject:
    async def test_rejection_needs_a_reason(self, seller, admin):
        listing = await submitted(seller)
        url = f"{ADMIN}/listings/{listing['id']}/reject"
        revision = listing["revision"]
        for body in (
            None,
            {},
            {"revision": revision},
            {"revision": revision, "reason": ""},
            {"revision": revision, "reason": "  a "},
            {"revision": revision, "reason": "x" * 501},
            {"revision": revision, "reason": "null \x00 byte"},
        ):
            response = await admin.post(url, json=body)
            assert response.status_code == 422, (body, response.text)
        assert (await seller.get(f"{LISTINGS}/{listing['id']}")).json()["status"] == "pending"

    async def test_the_owner_is_told_why_with_the_reason_escaped(self, seller, admin, session):
        listing = await submitted(seller, title="Bike <b>cheap</b>")
        reason = "No <script>alert(1)</script> & no links"
        response = await reject(admin, listing["id"], reason)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected"
        assert response.json()["rejection_reason"] == reason

        (row,) = await outbox(session, SELLER_ID, "market.listing_rejected")
        text = row.payload["text"]
        assert "No &lt;script&gt;alert(1)&lt;/script&gt; &amp; no links" in text
        assert "Bike &lt;b&gt;cheap&lt;/b&gt;" in text
        assert "<script>" not in text
        assert "<b>" not in text
        assert web_app_url(row).endswith(f"?startapp=edit_{listing['id']}")

        mine = (await seller.get(f"{LISTINGS}/{listing['id']}")).json()
        assert mine["rejection_reason"] == reason

    async def test_a_rejected_listing_can_be_fixed_and_approved(self, seller, admin, redis):
        listing = await submitted(seller)
        await reject(admin, listing["id"], "Blurry")
        assert await jobs(redis) == []
        again = await seller.post(f"{LISTINGS}/{listing['id']}/submit")
        assert again.json()["status"] == "pending"
        approved = await approve(admin, listing["id"])
        assert approved.json()["rejection_reason"] is None

    async def test_only_a_pending_listing_can_be_rejected(self, seller, admin):
        draft = await create(seller)
        response = await reject(admin, draft["id"], "No")
        assert response.status_code in (409, 422)
        response = await reject(admin, draft["id"], "Not ready")
        assert response.status_code == 409


class TestAnnouncements:
    async def test_submitting_announces_the_listing_to_admins(self, seller, admin, session):
        listing = await submitted(seller, title="<i>Sofa</i> & chairs")
        (row,) = await outbox(session, ADMIN_ID, "market.listing_pending")
        assert row.payload["parse_mode"] == "HTML"
        assert "&lt;i&gt;Sofa&lt;/i&gt; &amp; chairs" in row.payload["text"]
        assert "<i>" not in row.payload["text"]
        assert web_app_url(row).endswith("?startapp=moderation")
        assert str(listing["id"]) in row.dedup_key
        assert await outbox(session, SELLER_ID, "market.listing_pending") == []

    async def test_each_submission_is_announced_again(self, seller, admin, session):
        listing = await submitted(seller)
        await reject(admin, listing["id"], "Blurry")
        await seller.patch(f"{LISTINGS}/{listing['id']}", json={"title": "Sharper photo"})
        rows = await outbox(session, ADMIN_ID, "market.listing_pending")
        assert len(rows) == 2


class TestAdminsOnly:
    async def test_non_admins_get_403(self, seller, buyer):
        listing = await submitted(seller)
        for client in (seller, buyer):
            assert (await client.get(QUEUE)).status_code == 403
            url = f"{ADMIN}/listings/{listing['id']}"
            decision = {"revision": listing["revision"], "reason": "Nope"}
            approval = await client.post(f"{url}/approve", json={"revision": listing["revision"]})
            assert approval.status_code == 403
            assert (await client.post(f"{url}/reject", json=decision)).status_code == 403
            assert (await client.get(f"{url}/audit")).status_code == 403
        assert (await seller.get(f"{LISTINGS}/{listing['id']}")).json()["status"] == "pending"

    async def test_no_token_is_401(self, market_app):
        transport = httpx.ASGITransport(app=market_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as anonymous:
            assert (await anonymous.get(QUEUE)).status_code == 401


class TestAudit:
    async def test_the_audit_log_says_who_did_what(self, seller, admin):
        listing = await submitted(seller)
        url = f"{ADMIN}/listings/{listing['id']}"
        await reject(admin, listing["id"], "Add the size")
        await seller.patch(f"{LISTINGS}/{listing['id']}", json={"description": "Size 54"})
        await approve(admin, listing["id"])
        await seller.post(f"{LISTINGS}/{listing['id']}/archive")
        response = await admin.get(f"{url}/audit")
        assert response.status_code == 200
        entries = [(e["action"], e["actor_telegram_id"], e["reason"]) for e in response.json()]
        assert entries == [
            ("submitted", SELLER_ID, None),
            ("rejected", ADMIN_ID, "Add the size"),
            ("edited", SELLER_ID, None),
            ("approved", ADMIN_ID, None),
            ("archived", SELLER_ID, None),
        ]
        assert all(e["listing_id"] == listing["id"] for e in response.json())

    async def test_an_unknown_listing_has_no_audit(self, admin):
        assert (await admin.get(f"{ADMIN}/listings/{2**62}/audit")).status_code == 404
