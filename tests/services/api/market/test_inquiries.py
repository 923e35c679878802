"""Conversations between a buyer and a seller: starting one, relaying both ways through
the outbox (accounts hidden), the seller told once per buyer, ending, blocking, flood
control, and the chat that stops belonging to a conversation after a while."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.common.clock import utcnow
from concierge.contracts.market import NEW_INQUIRIES_PER_DAY, RELAY_LIMIT
from concierge.domain.identity.models import User
from concierge.domain.market.models import ConversationFocus, Listing
from concierge.domain.notify.models import Outbox
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.market.conftest import BUYER_ID, SELLER_ID, WebClient
from tests.services.api.market.test_listings import LISTINGS, approved

MESSAGES = "/api/v1/inquiries/messages"
INQUIRIES = "/api/v1/inquiries"
OTHER_BUYER_ID = 700_003
PROMPT = "market.inquiry_prompt"
RELAYED = "market.inquiry_message"


async def write(client: httpx.AsyncClient, listing_id: int) -> httpx.Response:
    return await client.post(f"{LISTINGS}/{listing_id}/inquiries")


async def say(client: httpx.AsyncClient, text: str, ref: str) -> httpx.Response:
    return await client.post(MESSAGES, json={"text": text, "ref": ref})


async def sent_to(session: AsyncSession, chat_id: int, kind: str | None = None) -> list[Outbox]:
    query = select(Outbox).where(Outbox.chat_id == chat_id).order_by(Outbox.id)
    if kind is not None:
        query = query.where(Outbox.kind == kind)
    return list((await session.scalars(query)).all())


def buttons(row: Outbox) -> list[dict[str, Any]]:
    markup = row.payload.get("reply_markup") or {"inline_keyboard": []}
    return [button for line in markup["inline_keyboard"] for button in line]


def callbacks(row: Outbox) -> list[str]:
    return [b["callback_data"] for b in buttons(row) if "callback_data" in b]


async def lamp(seller: httpx.AsyncClient, admin: httpx.AsyncClient, **fields: Any) -> dict:
    return await approved(
        seller, admin, title="Brass <lamp>", price="12500", currency="RUB", **fields
    )


async def in_conversation(seller, buyer, admin) -> tuple[dict[str, Any], dict[str, Any]]:
    listing = await lamp(seller, admin)
    response = await write(buyer, listing["id"])
    assert response.status_code == 200, response.text
    return listing, response.json()


class TestStart:
    async def test_the_buyer_is_prompted_in_the_chat_and_nobody_is_linked(
        self, seller, buyer, admin, session
    ):
        listing, inquiry = await in_conversation(seller, buyer, admin)
        assert inquiry["role"] == "buyer"
        assert inquiry["status"] == "open"
        assert inquiry["buyer_number"] == 1
        assert inquiry["seller_link"] is None  # the seller did not allow direct contact
        (prompt,) = await sent_to(session, BUYER_ID, PROMPT)
        assert "Brass &lt;lamp&gt;" in prompt.payload["text"]  # escaped for HTML
        assert "₽12,500" in prompt.payload["text"]  # the buyer reads English
        assert callbacks(prompt) == [f"inq:end:{inquiry['id']}"]
        assert not [b for b in buttons(prompt) if "url" in b]
        assert listing["id"] == inquiry["listing_id"]

    async def test_a_seller_who_allows_it_is_linked_directly(self, seller, buyer, admin, session):
        await session.execute(
            update(User).where(User.telegram_id == SELLER_ID).values(username="lamp_seller")
        )
        listing = await lamp(seller, admin, allow_direct_contact=True)
        inquiry = (await write(buyer, listing["id"])).json()
        assert inquiry["seller_link"] == "https://t.me/lamp_seller"
        (prompt,) = await sent_to(session, BUYER_ID, PROMPT)
        assert [b["url"] for b in buttons(prompt) if "url" in b] == ["https://t.me/lamp_seller"]
        seen = (await buyer.get(f"{LISTINGS}/{listing['id']}")).json()
        assert seen["seller_link"] == "https://t.me/lamp_seller"
        own = (await seller.get(f"{LISTINGS}/{listing['id']}")).json()
        assert own["seller_link"] is None

    async def test_the_seller_switches_direct_contact_alone(self, seller, buyer, admin):
        """Only the setting changes: the listing is not edited (no new revision, no
        re-moderation), and the answer is the listing (it was a 500: the row's
        updated_at, set by the database, was read after the write)."""
        listing = await lamp(seller, admin)
        for allowed in (True, False):
            response = await seller.patch(
                f"{LISTINGS}/{listing['id']}", json={"allow_direct_contact": allowed}
            )
            assert response.status_code == 200, response.text
            changed = response.json()
            assert changed["allow_direct_contact"] is allowed
            assert (changed["revision"], changed["status"]) == (
                listing["revision"],
                listing["status"],
            )

    async def test_writing_again_is_the_same_conversation(self, seller, buyer, admin):
        listing, first = await in_conversation(seller, buyer, admin)
        again = (await write(buyer, listing["id"])).json()
        assert again["id"] == first["id"]

    async def test_buyers_are_numbered_in_the_order_they_write(
        self, seller, buyer, admin, web_client: WebClient
    ):
        listing, first = await in_conversation(seller, buyer, admin)
        other = await web_client(OTHER_BUYER_ID)
        assert first["buyer_number"] == 1
        assert (await write(other, listing["id"])).json()["buyer_number"] == 2

    async def test_own_sold_and_unpublished_listings_are_refused_with_a_code(
        self, seller, buyer, admin
    ):
        listing = await lamp(seller, admin)
        own = await write(seller, listing["id"])
        assert (own.status_code, own.json()["code"]) == (409, "own_listing")
        marked = await seller.post(
            f"{LISTINGS}/{listing['id']}/availability", json={"availability": "sold"}
        )
        assert marked.status_code == 200, marked.text
        sold = await write(buyer, listing["id"])
        assert (sold.status_code, sold.json()["code"]) == (409, "listing_sold")
        body = {"title": "A draft", "category": "home", "price": "1", "city": "Riga"}
        draft = (await seller.post(LISTINGS, json=body)).json()
        hidden = await write(buyer, draft["id"])
        assert (hidden.status_code, hidden.json()["code"]) == (404, "listing_not_found")

    async def test_at_most_so_many_new_conversations_a_day(self, seller, buyer, session):
        owner = await session.scalar(select(User).where(User.telegram_id == SELLER_ID))
        assert owner is not None
        assert await buyer.get(f"{LISTINGS}/mine")
        listings = [
            Listing(owner_id=owner.id, title=f"Item {n}", category="home", price=Decimal(1),
                    currency="EUR", city="Riga", status="approved", published_at=utcnow())
            for n in range(NEW_INQUIRIES_PER_DAY + 1)
        ]  # fmt: skip
        session.add_all(listings)
        await session.flush()
        for listing in listings[:-1]:
            assert (await write(buyer, listing.id)).status_code == 200
        refused = await write(buyer, listings[-1].id)
        assert refused.status_code == 409
        assert refused.json()["code"] == "too_many_inquiries"
        assert refused.json()["params"] == {"max": NEW_INQUIRIES_PER_DAY}
        # Conversations started before today's window do not count.
        from concierge.domain.market.models import Inquiry

        await session.execute(update(Inquiry).values(created_at=utcnow() - timedelta(days=2)))
        assert (await write(buyer, listings[-1].id)).status_code == 200


class TestRelay:
    async def test_the_first_message_introduces_the_buyer_once_then_plain_messages(
        self, seller, buyer, admin, session
    ):
        listing, inquiry = await in_conversation(seller, buyer, admin)
        first = await say(buyer, "Is it <still> there?", "tg:1")
        assert first.status_code == 200, first.text
        assert first.json()["relayed"] is True
        assert first.json()["first"] is True
        second = await say(buyer, "I can come today", "tg:2")
        assert second.json()["first"] is False
        intro, plain = await sent_to(session, SELLER_ID, RELAYED)
        assert "A buyer is interested" in intro.payload["text"]
        assert "Buyer 1" in intro.payload["text"]
        assert "Is it &lt;still&gt; there?" in intro.payload["text"]
        assert f"User{BUYER_ID}" not in intro.payload["text"]  # nobody's account shows
        assert callbacks(intro) == [
            f"inq:reply:{inquiry['id']}",
            f"lst:avail:{listing['id']}:sold",
            f"lst:avail:{listing['id']}:reserved",
            f"inq:block:{inquiry['id']}",
            f"inq:end:{inquiry['id']}",
        ]
        assert "I can come today" in plain.payload["text"]
        assert "interested" not in plain.payload["text"]
        assert callbacks(plain) == [f"inq:reply:{inquiry['id']}"]

    async def test_the_seller_answers_after_pressing_reply(self, seller, buyer, admin, session):
        _, inquiry = await in_conversation(seller, buyer, admin)
        await say(buyer, "Hello", "tg:1")
        nothing = await say(seller, "my own search words", "tg:2")
        assert nothing.json() == {"relayed": False, "inquiry": None, "first": False}
        focused = await seller.post(f"{INQUIRIES}/{inquiry['id']}/focus")
        assert focused.status_code == 200, focused.text
        assert focused.json()["role"] == "seller"
        (prompt,) = await sent_to(session, SELLER_ID, PROMPT)
        assert "buyer 1" in prompt.payload["text"]
        answer = await say(seller, "Yes, come at 6", "tg:3")
        assert answer.json()["relayed"] is True
        (to_buyer,) = await sent_to(session, BUYER_ID, RELAYED)
        assert "Seller" in to_buyer.payload["text"]
        assert "Yes, come at 6" in to_buyer.payload["text"]
        assert callbacks(to_buyer) == [f"inq:reply:{inquiry['id']}", f"inq:end:{inquiry['id']}"]

    async def test_a_retried_message_is_relayed_once(self, seller, buyer, admin, session):
        await in_conversation(seller, buyer, admin)
        for _ in range(2):
            assert (await say(buyer, "Hello", "tg:7")).json()["relayed"] is True
        assert len(await sent_to(session, SELLER_ID, RELAYED)) == 1

    async def test_the_chat_is_the_users_again_after_a_quiet_while(
        self, seller, buyer, admin, session
    ):
        await in_conversation(seller, buyer, admin)
        await session.execute(
            update(ConversationFocus).values(focused_at=utcnow() - timedelta(hours=1))
        )
        response = await say(buyer, "bike", "tg:1")
        assert response.json()["relayed"] is False
        assert await sent_to(session, SELLER_ID, RELAYED) == []
        assert (await say(buyer, "bike", "tg:2")).json()["relayed"] is False

    async def test_a_flood_is_refused(self, seller, buyer, admin, session):
        await in_conversation(seller, buyer, admin)
        for n in range(RELAY_LIMIT):
            assert (await say(buyer, f"message {n}", f"tg:{n}")).status_code == 200
        refused = await say(buyer, "one more", "tg:x")
        assert refused.status_code == 409
        assert refused.json()["code"] == "too_many_messages"
        assert len(await sent_to(session, SELLER_ID, RELAYED)) == RELAY_LIMIT

    async def test_text_with_control_characters_or_blank_is_422(self, seller, buyer, admin):
        await in_conversation(seller, buyer, admin)
        for text in ("nul\x00here", "   ", "x" * 4097):
            assert (await say(buyer, text, "tg:1")).status_code == 422

    async def test_a_long_message_comes_in_parts_with_the_buttons_under_the_last(
        self, seller, buyer, admin, session
    ):
        _, inquiry = await in_conversation(seller, buyer, admin)
        words = " ".join(f"word{n}" for n in range(700))  # about 5,500 characters
        long = words[:4096]
        assert (await say(buyer, long, "tg:1")).status_code == 200
        parts = await sent_to(session, SELLER_ID, RELAYED)
        assert len(parts) == 2
        assert "A buyer is interested" in parts[0].payload["text"]
        assert "interested" not in parts[1].payload["text"]
        assert buttons(parts[0]) == []
        assert f"inq:block:{inquiry['id']}" in callbacks(parts[1])
        shown = "".join(p.payload["text"] for p in parts)
        assert "word0 " in shown
        assert long.split()[-1] in shown
        assert all(len(p.payload["text"]) < 4096 for p in parts)


class TestEndAndBlock:
    async def test_either_side_ends_and_the_other_is_told(self, seller, buyer, admin, session):
        _, inquiry = await in_conversation(seller, buyer, admin)
        await say(buyer, "Hello", "tg:1")
        ended = await seller.post(f"{INQUIRIES}/{inquiry['id']}/close")
        assert ended.json()["status"] == "closed"
        (told,) = await sent_to(session, BUYER_ID, "market.inquiry_closed")
        assert "seller ended" in told.payload["text"]
        # The buyer's chat is theirs again: their text is a search, not a message.
        assert (await say(buyer, "bike", "tg:2")).json()["relayed"] is False
        # Writing again reopens the conversation.
        listing_id = inquiry["listing_id"]
        assert (await write(buyer, listing_id)).json()["status"] == "open"

    async def test_a_blocked_buyer_is_told_politely_and_cannot_start_again(
        self, seller, buyer, admin, session
    ):
        listing, inquiry = await in_conversation(seller, buyer, admin)
        await say(buyer, "Hello", "tg:1")
        blocked = await seller.post(f"{INQUIRIES}/{inquiry['id']}/block")
        assert blocked.status_code == 200, blocked.text
        (told,) = await sent_to(session, BUYER_ID, "market.inquiry_closed")
        assert "seller ended" in told.payload["text"]
        # The buyer's chat is theirs again: their text is a search, not a message.
        assert (await say(buyer, "Why?", "tg:2")).json()["relayed"] is False
        again = await write(buyer, listing["id"])
        assert (again.status_code, again.json()["code"]) == (409, "seller_blocked_you")
        assert len(await sent_to(session, SELLER_ID, RELAYED)) == 1

    async def test_only_the_seller_blocks(self, seller, buyer, admin):
        _, inquiry = await in_conversation(seller, buyer, admin)
        response = await buyer.post(f"{INQUIRIES}/{inquiry['id']}/block")
        assert (response.status_code, response.json()["code"]) == (409, "only_the_seller")

    async def test_someone_else_conversation_does_not_exist(
        self, seller, buyer, admin, web_client: WebClient
    ):
        _, inquiry = await in_conversation(seller, buyer, admin)
        stranger = await web_client(OTHER_BUYER_ID)
        for action in ("focus", "close", "block"):
            response = await stranger.post(f"{INQUIRIES}/{inquiry['id']}/{action}")
            assert (response.status_code, response.json()["code"]) == (404, "inquiry_not_found")


class TestTheBotActsForUsers:
    async def test_service_token_and_acting_user_are_that_user(
        self, seller, buyer, admin, market_app, session
    ):
        listing = await lamp(seller, admin)
        transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as bot:
            headers = {SERVICE_TOKEN_HEADER: SERVICE_TOKEN, "X-Acting-User": str(BUYER_ID)}
            response = await bot.post(f"{LISTINGS}/{listing['id']}/inquiries", headers=headers)
            assert response.status_code == 200, response.text
            assert response.json()["role"] == "buyer"
            wrong = {SERVICE_TOKEN_HEADER: "wrong", "X-Acting-User": str(BUYER_ID)}
            assert (await bot.post(MESSAGES, headers=wrong, json={"text": "x", "ref": "a"})
                    ).status_code == 401  # fmt: skip
            unknown = {SERVICE_TOKEN_HEADER: SERVICE_TOKEN, "X-Acting-User": "123456789"}
            assert (await bot.post(MESSAGES, headers=unknown, json={"text": "x", "ref": "a"})
                    ).status_code == 401  # fmt: skip
            nobody = {SERVICE_TOKEN_HEADER: SERVICE_TOKEN}
            assert (await bot.post(MESSAGES, headers=nobody, json={"text": "x", "ref": "a"})
                    ).status_code == 401  # fmt: skip
