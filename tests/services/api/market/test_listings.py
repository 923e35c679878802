"""A seller's listings through /api/v1/listings: create, read, edit, submit, archive,
the caps and field rules, and what other callers may see."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import pytest

from concierge.contracts.market import MAX_ACTIVE_LISTINGS

LISTINGS = "/api/v1/listings"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def listing_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Road bike, 54 cm",
        "description": "Aluminium frame, new tyres.",
        "category": "hobby",
        "price": "15000.00",
        "currency": "RUB",
        "city": "Tbilisi",
    }
    return {**body, **overrides}


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post(LISTINGS, json=listing_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def approve(admin: httpx.AsyncClient, listing_id: int) -> httpx.Response:
    """Approve the listing at the revision the admin sees now, as the Mini App does."""
    revision = (await admin.get(f"{LISTINGS}/{listing_id}")).json()["revision"]
    return await admin.post(
        f"/api/v1/admin/listings/{listing_id}/approve", json={"revision": revision}
    )


async def reject(admin: httpx.AsyncClient, listing_id: int, reason: str) -> httpx.Response:
    """Reject the listing at the revision the admin sees now, as the Mini App does."""
    revision = (await admin.get(f"{LISTINGS}/{listing_id}")).json()["revision"]
    return await admin.post(
        f"/api/v1/admin/listings/{listing_id}/reject",
        json={"revision": revision, "reason": reason},
    )


async def approved(seller: httpx.AsyncClient, admin: httpx.AsyncClient, **fields: Any) -> dict:
    listing = await create(seller, **fields)
    assert (await seller.post(f"{LISTINGS}/{listing['id']}/submit")).status_code == 200
    response = await approve(admin, listing["id"])
    assert response.status_code == 200, response.text
    return response.json()


class TestCreateAndRead:
    async def test_create_gives_a_draft_of_the_caller(self, seller):
        listing = await create(seller)
        assert listing["status"] == "draft"
        assert listing["is_mine"] is True
        assert listing["published_at"] is None
        assert listing["rejection_reason"] is None
        assert listing["price"] == "15000.00"
        assert listing["photos"] == []
        again = await seller.get(f"{LISTINGS}/{listing['id']}")
        assert again.status_code == 200
        assert again.json() == listing

    async def test_categories_are_listed(self, seller):
        response = await seller.get(f"{LISTINGS}/categories")
        assert response.status_code == 200
        assert "electronics" in response.json()
        assert "other" in response.json()

    async def test_script_in_the_title_is_stored_verbatim_as_text(self, seller):
        title = "<script>alert('x')</script> & <b>bold</b>"
        listing = await create(seller, title=title)
        response = await seller.get(f"{LISTINGS}/{listing['id']}")
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["title"] == title


class TestForbiddenFields:
    @pytest.mark.parametrize(
        "field",
        [
            {"status": "approved"},
            {"owner_id": 1},
            {"published_at": "2026-01-01T00:00:00Z"},
            {"rejection_reason": "x"},
        ],
    )
    async def test_create_refuses_fields_users_may_not_write(self, seller, field):
        response = await seller.post(LISTINGS, json=listing_body(**field))
        assert response.status_code == 422, response.text

    @pytest.mark.parametrize(
        "field", [{"status": "approved"}, {"owner_id": 1}, {"published_at": None}]
    )
    async def test_update_refuses_them_too(self, seller, field):
        listing = await create(seller)
        response = await seller.patch(f"{LISTINGS}/{listing['id']}", json=field)
        assert response.status_code == 422, response.text
        assert (await seller.get(f"{LISTINGS}/{listing['id']}")).json()["status"] == "draft"


class TestFieldValidation:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"title": ""},
            {"title": "   "},
            {"title": "x" * 121},
            {"title": "Bike\x00"},
            {"title": "two\nlines"},
            {"price": "-1"},
            {"price": "1000000000.01"},
            {"price": 1e300},
            {"price": "NaN"},
            {"price": "12.345"},
            {"price": "abc"},
            {"category": "weapons"},
            {"currency": "BTC"},
            {"city": ""},
            {"city": "Tbi\x00lisi"},
            {"description": "x" * 10_000},
            {"description": "nul \x00 inside"},
        ],
    )
    async def test_bad_fields_are_422(self, seller, overrides):
        response = await seller.post(LISTINGS, json=listing_body(**overrides))
        assert response.status_code in (400, 422), response.text
        assert (await seller.get(f"{LISTINGS}/mine")).json()["items"] == []

    async def test_missing_fields_and_a_non_object_body_are_422(self, seller):
        assert (await seller.post(LISTINGS, json={"title": "Only a title"})).status_code == 422
        assert (await seller.post(LISTINGS, json=[1, 2])).status_code == 422
        response = await seller.post(
            LISTINGS, content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422

    async def test_a_multiline_description_is_fine(self, seller):
        listing = await create(seller, description="Line one\nLine two\twith a tab")
        assert listing["description"] == "Line one\nLine two\twith a tab"

    async def test_update_validates_too_and_refuses_nulls(self, seller):
        listing = await create(seller)
        url = f"{LISTINGS}/{listing['id']}"
        for body in ({"price": "-5"}, {"title": "a\x00b"}, {"title": None}, {"city": None}):
            response = await seller.patch(url, json=body)
            assert response.status_code in (400, 422), (body, response.text)
        assert (await seller.get(url)).json() == listing


class TestActiveCap:
    async def test_the_51st_active_listing_is_409_until_one_is_archived(self, seller):
        ids = [(await create(seller, title=f"Item {n}"))["id"] for n in range(MAX_ACTIVE_LISTINGS)]
        refused = await seller.post(LISTINGS, json=listing_body())
        assert refused.status_code == 409
        assert str(MAX_ACTIVE_LISTINGS) in refused.json()["detail"]
        assert (await seller.post(f"{LISTINGS}/{ids[0]}/archive")).status_code == 200
        await create(seller, title="One more")

    async def test_the_cap_is_per_user(self, seller, buyer):
        for n in range(MAX_ACTIVE_LISTINGS):
            await create(seller, title=f"Item {n}")
        await create(buyer)


class TestUpdate:
    async def test_only_the_fields_sent_change_and_a_draft_stays_a_draft(self, seller):
        listing = await create(seller)
        response = await seller.patch(f"{LISTINGS}/{listing['id']}", json={"price": "99.5"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["price"] == "99.50"
        assert body["title"] == listing["title"]
        assert body["status"] == "draft"

    async def test_editing_an_approved_listing_sends_it_back_to_moderation(self, seller, admin):
        listing = await approved(seller, admin)
        assert listing["published_at"] is not None
        response = await seller.patch(f"{LISTINGS}/{listing['id']}", json={"title": "New title"})
        assert response.status_code == 200
        assert response.json()["status"] == "pending"
        assert response.json()["published_at"] is None
        queue = (await admin.get("/api/v1/admin/moderation/queue")).json()
        assert [item["id"] for item in queue["items"]] == [listing["id"]]

    async def test_an_edit_that_changes_nothing_keeps_the_listing_published(self, seller, admin):
        listing = await approved(seller, admin)
        response = await seller.patch(
            f"{LISTINGS}/{listing['id']}", json={"title": listing["title"]}
        )
        assert response.json()["status"] == "approved"

    async def test_editing_a_rejected_listing_sends_it_back_to_moderation(self, seller, admin):
        listing = await create(seller)
        await seller.post(f"{LISTINGS}/{listing['id']}/submit")
        await reject(admin, listing["id"], "Add a photo")
        response = await seller.patch(f"{LISTINGS}/{listing['id']}", json={"city": "Batumi"})
        assert response.json()["status"] == "pending"
        assert response.json()["rejection_reason"] == "Add a photo"  # kept until re-moderated

    async def test_an_archived_listing_cannot_be_edited(self, seller):
        listing = await create(seller)
        await seller.post(f"{LISTINGS}/{listing['id']}/archive")
        response = await seller.patch(f"{LISTINGS}/{listing['id']}", json={"title": "Again"})
        assert response.status_code == 409


class TestSubmitAndArchive:
    async def test_submit_moves_a_draft_to_pending_once(self, seller):
        listing = await create(seller)
        first = await seller.post(f"{LISTINGS}/{listing['id']}/submit")
        assert first.status_code == 200
        assert first.json()["status"] == "pending"
        again = await seller.post(f"{LISTINGS}/{listing['id']}/submit")
        assert again.status_code == 200
        assert again.json()["updated_at"] == first.json()["updated_at"]

    async def test_an_approved_or_archived_listing_cannot_be_submitted(self, seller, admin):
        listing = await approved(seller, admin)
        assert (await seller.post(f"{LISTINGS}/{listing['id']}/submit")).status_code == 409
        await seller.post(f"{LISTINGS}/{listing['id']}/archive")
        assert (await seller.post(f"{LISTINGS}/{listing['id']}/submit")).status_code == 409

    async def test_archive_from_any_status_once(self, seller, admin):
        draft = await create(seller)
        published = await approved(seller, admin)
        for listing in (draft, published):
            response = await seller.post(f"{LISTINGS}/{listing['id']}/archive")
            assert response.status_code == 200
            assert response.json()["status"] == "archived"
            assert (await seller.post(f"{LISTINGS}/{listing['id']}/archive")).status_code == 409

    async def test_archiving_a_published_listing_asks_the_worker_to_unindex_it(
        self, seller, admin, redis
    ):
        listing = await approved(seller, admin)
        await seller.post(f"{LISTINGS}/{listing['id']}/archive")
        jobs = [fields["type"] for _, fields in await redis.xrange("jobs")]
        assert jobs == ["market.index_listing", "market.unindex_listing"]

    async def test_archiving_a_draft_asks_for_nothing(self, seller, redis):
        listing = await create(seller)
        await seller.post(f"{LISTINGS}/{listing['id']}/archive")
        assert await redis.xrange("jobs") == []

    async def test_redis_failure_does_not_fail_the_request(self, seller, admin, market_app, caplog):
        listing = await approved(seller, admin)

        class BrokenQueue:
            async def enqueue(self, *args: object, **kwargs: object) -> None:
                raise ConnectionError("redis is away")

        market_app.state.jobs = BrokenQueue()
        with caplog.at_level(logging.WARNING, logger="concierge.api.market"):
            response = await seller.post(f"{LISTINGS}/{listing['id']}/archive")
        assert response.status_code == 200
        assert response.json()["status"] == "archived"
        assert "could not enqueue market.unindex_listing" in caplog.text


class TestMine:
    async def test_newest_changed_first_with_a_status_filter(self, seller, buyer):
        first = await create(seller, title="First")
        second = await create(seller, title="Second")
        await create(buyer, title="Not mine")
        await seller.post(f"{LISTINGS}/{first['id']}/submit")
        page = (await seller.get(f"{LISTINGS}/mine")).json()
        assert [item["id"] for item in page["items"]] == [first["id"], second["id"]]
        assert page["next_cursor"] is None
        drafts = (await seller.get(f"{LISTINGS}/mine", params={"status": "draft"})).json()
        assert [item["id"] for item in drafts["items"]] == [second["id"]]

    async def test_pages_follow_the_cursor_without_gaps_or_repeats(self, seller):
        ids = [(await create(seller, title=f"Item {n}"))["id"] for n in range(7)]
        seen, cursor = [], None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await seller.get(f"{LISTINGS}/mine", params=params)).json()
            assert len(page["items"]) <= 3
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(ids))

    @pytest.mark.parametrize(
        "params",
        [
            {"cursor": "garbage!!"},
            {"cursor": "bm90IGpzb24"},  # "not json"
            {"cursor": "WzEsMl0"},  # [1,2]
            {"cursor": "x" * 500},
            {"cursor": b64('["2026-01-01T00:00:00",1]')},  # no time zone
            {"cursor": b64('["2026-01-01T00:00:00+00:00",true]')},
            {"cursor": b64('["2026-01-01T00:00:00+00:00",-1]')},
            {"cursor": b64('["2026-01-01T00:00:00+00:00",99999999999999999999999]')},
            {"cursor": b64('["yesterday",1]')},
            {"cursor": b64('["0001-01-01T00:00:00+14:00",1]')},
            {"cursor": b64('["9999-12-31T23:59:59-14:00",1]')},
            {"cursor": b64('{"at":1}')},
            {"limit": 0},
            {"limit": 51},
            {"limit": "many"},
            {"status": "sold"},
        ],
    )
    async def test_bad_paging_is_a_clear_4xx(self, seller, params):
        response = await seller.get(f"{LISTINGS}/mine", params=params)
        assert response.status_code in (400, 422), response.text
        assert response.json()["detail"]


class TestScoping:
    async def test_another_users_draft_does_not_exist_for_you(self, seller, buyer):
        listing = await create(seller)
        url = f"{LISTINGS}/{listing['id']}"
        assert (await buyer.get(url)).status_code == 404
        assert (await buyer.patch(url, json={"title": "Mine now"})).status_code == 404
        assert (await buyer.post(f"{url}/submit")).status_code == 404
        assert (await buyer.post(f"{url}/archive")).status_code == 404
        unchanged = (await seller.get(url)).json()
        assert unchanged["status"] == "draft"
        assert unchanged["title"] == listing["title"]

    async def test_another_users_pending_or_rejected_listing_is_404(self, seller, buyer, admin):
        pending = await create(seller)
        await seller.post(f"{LISTINGS}/{pending['id']}/submit")
        assert (await buyer.get(f"{LISTINGS}/{pending['id']}")).status_code == 404
        await reject(admin, pending["id"], "Blurry")
        assert (await buyer.get(f"{LISTINGS}/{pending['id']}")).status_code == 404

    async def test_an_approved_listing_is_visible_but_not_editable_by_others(
        self, seller, buyer, admin
    ):
        listing = await approved(seller, admin)
        response = await buyer.get(f"{LISTINGS}/{listing['id']}")
        assert response.status_code == 200
        assert response.json()["is_mine"] is False
        assert response.json()["rejection_reason"] is None
        url = f"{LISTINGS}/{listing['id']}"
        assert (await buyer.patch(url, json={"title": "Mine now"})).status_code == 404
        assert (await buyer.post(f"{url}/archive")).status_code == 404

    async def test_a_buyer_never_sees_an_old_rejection_reason(self, seller, buyer, admin):
        listing = await create(seller)
        await seller.post(f"{LISTINGS}/{listing['id']}/submit")
        await reject(admin, listing["id"], "Secret note")
        await seller.post(f"{LISTINGS}/{listing['id']}/submit")
        await approve(admin, listing["id"])
        for client in (buyer, seller):
            assert (await client.get(f"{LISTINGS}/{listing['id']}")).json()[
                "rejection_reason"
            ] is None

    @pytest.mark.parametrize("bad_id", ["0", "-1", str(2**63), str(2**70), "abc", "1.5"])
    async def test_ids_out_of_range_are_422_not_500(self, seller, bad_id):
        url = f"{LISTINGS}/{bad_id}"
        for response in (
            await seller.get(url),
            await seller.patch(url, json={"title": "Whatever"}),
            await seller.post(f"{url}/submit"),
            await seller.post(f"{url}/archive"),
        ):
            assert response.status_code in (404, 422), (bad_id, response.text)

    async def test_an_unknown_id_is_404(self, seller):
        assert (await seller.get(f"{LISTINGS}/{2**63 - 1}")).status_code == 404
