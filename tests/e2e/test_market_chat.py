"""The market in the chat, end to end (sandbox, api, bot and worker as real processes).

A buyer finds a listing, writes to its seller through the bot, the seller answers and
marks it sold, and search then says it is sold: once with Russian-speaking users and
once with English-speaking ones. Either side can end the conversation; a blocked buyer
is told politely. The admin flow in the README's order: user 2 sells through the Mini
App's routes while the admin has never opened the bot (the notice fails: "chat not
found"), the admin then starts the bot, sees "Moderation (N)", and approves. A shared
listing link (``/start listing_<id>``) opens that listing.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.api_client import ACTING_USER_HEADER
from tests.e2e.conftest import BOT_ID
from tests.support.sandbox import Message, SandboxUser, button_data
from tests.support.stack import ADMIN_ID, SERVICE_TOKEN, Stack

LISTINGS = "/api/v1/listings"
_people = itertools.count(830_001)
WAIT_S = 30.0  # a relayed message crosses api, the outbox and the bot's sender


def tag_of(number: int) -> str:
    """A made-up word only this test's listing has (letters: search stems no digits),
    far from every other test's (sequential ids spelled out differed by a letter, and the
    typo arm found one test's listings for another's word)."""
    digest = hashlib.sha256(str(number).encode()).hexdigest()[:10]
    return "zq" + "".join("abcdefghijklmnop"[int(digit, 16)] for digit in digest)


@dataclass(frozen=True)
class Words:
    """What each language's users type and read."""

    language: str
    title: str
    looking_for: str
    first_message: str
    second_message: str
    answer: str
    sent_to_seller: str
    prompt_buyer: str
    prompt_seller: str
    new_inquiry: str
    from_buyer: str
    from_seller: str
    marked_sold: str
    sold_note: str
    write_button: str
    ended: str
    blocked_you: str


RUSSIAN = Words(
    language="ru",
    title="Велосипед Stels Navigator {tag}",
    looking_for="Ищу велосипед {tag}",
    first_message="Здравствуйте! Велосипед ещё продаётся?",
    second_message="И можно посмотреть завтра вечером?",
    answer="Да, продаётся. Завтра в семь подойдёт?",
    sent_to_seller="✓ Отправлено продавцу",
    prompt_buyer="✍️ Напишите здесь сообщение продавцу",
    prompt_seller="✍️ Напишите ответ покупателю",
    new_inquiry="📩 Покупатель интересуется",
    from_buyer="💬 Покупатель",
    from_seller="💬 Продавец",
    marked_sold="отмечено как проданное",
    sold_note="✅ Продано",
    write_button="✉️ Продавцу ",
    ended="⏹ Разговор о",
    blocked_you="🙏 Продавец не принимает от вас сообщения",
)
ENGLISH = Words(
    language="en",
    title="Stels Navigator bike {tag}",
    looking_for="Looking for a bike {tag}",
    first_message="Hello! Is the bike still for sale?",
    second_message="Could I see it tomorrow evening?",
    answer="Yes, it is. Would seven tomorrow suit you?",
    sent_to_seller="✓ Sent to the seller",
    prompt_buyer="✍️ Write your message for the seller",
    prompt_seller="✍️ Write your reply to buyer",
    new_inquiry="📩 A buyer is interested",
    from_buyer="💬 Buyer",
    from_seller="💬 Seller",
    marked_sold="is marked as sold",
    sold_note="✅ Sold",
    write_button="✉️ Write to seller ",
    ended="⏹ The conversation about",
    blocked_you="🙏 The seller is not taking messages from you",
)


# --- the api, as the Mini App and the admin use it ---------------------------------


def service(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.url("api"), headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN}, timeout=10
    )


async def signed_in(stack: Stack, person: SandboxUser, language: str) -> dict[str, str]:
    """The Bearer header of a user signed in to the Mini App (initData the sandbox signs,
    exchanged with api, as the Mini App does)."""
    launch = await person.http.get(
        f"/sandbox/users/{person.id}/webapp",
        params={"url": f"{stack.url('api')}/app/", "first_name": person.first_name,
                "language_code": language},
    )  # fmt: skip
    launch.raise_for_status()
    async with httpx.AsyncClient(base_url=stack.url("api"), timeout=10) as api:
        signed = await api.post(
            "/api/v1/auth/telegram",
            headers={"Authorization": f"tma {launch.json()['init_data']}"},
        )
    signed.raise_for_status()
    return {"Authorization": f"Bearer {signed.json()['access_token']}"}


async def submit_listing(stack: Stack, seller: SandboxUser, title: str, language: str) -> int:
    """The seller creates a listing in the Mini App and sends it to moderation."""
    headers = await signed_in(stack, seller, language)
    body = {"title": title, "category": "hobby", "price": "12500", "currency": "RUB",
            "city": "Москва", "description": "Рама 18, 21 скорость. Frame 18."}  # fmt: skip
    async with httpx.AsyncClient(base_url=stack.url("api"), timeout=10) as api:
        created = await api.post(LISTINGS, json=body, headers=headers)
        assert created.status_code == 201, created.text
        listing_id = int(created.json()["id"])
        submitted = await api.post(f"{LISTINGS}/{listing_id}/submit", headers=headers)
        assert submitted.status_code == 200, submitted.text
    return listing_id


async def approve(stack: Stack, listing_id: int) -> None:
    """The admin approves it (the bot's own route, as the admin: see TestModeration for
    the admin doing it in the chat)."""
    admin = {ACTING_USER_HEADER: str(ADMIN_ID)}
    async with service(stack) as api:
        await api.post("/api/v1/users", json={"telegram_id": ADMIN_ID, "first_name": "Admin"})
        listing = await api.get(f"{LISTINGS}/{listing_id}", headers=admin)
        revision = listing.json()["revision"]
        approved = await api.post(
            f"/api/v1/admin/listings/{listing_id}/approve",
            json={"revision": revision},
            headers=admin,
        )
        assert approved.status_code == 200, approved.text


async def searchable(stack: Stack, tag: str) -> None:
    """Wait until the worker has indexed the listing (it does so after the approval).
    Its own title must be found: other tests' tags differ by a letter or two, and the
    typo arm finds their listings for this one's tag."""

    async def indexed() -> bool:
        async with service(stack) as api:
            found = await api.get("/api/v1/search", params={"q": tag, "kind": "listing"})
        items = found.json()["items"] if found.status_code == 200 else []
        return any(tag in (item["title"] or "") for item in items)

    await wait_until(indexed)


async def published_listing(stack: Stack, seller: SandboxUser, words: Words) -> tuple[int, str]:
    """A listing of the seller's, approved and in search."""
    title = words.title.format(tag=tag_of(seller.id))
    listing_id = await submit_listing(stack, seller, title, words.language)
    await approve(stack, listing_id)
    await searchable(stack, tag_of(seller.id))
    return listing_id, title


@asynccontextmanager
async def person(stack: Stack) -> AsyncIterator[SandboxUser]:
    async with SandboxUser.connect(stack.url("sandbox"), next(_people), BOT_ID) as someone:
        yield someone


# --- reading the chat ---------------------------------------------------------------


def containing(fragment: str) -> Any:
    return lambda messages: any(fragment in m["text"] for m in messages)


async def last_with(someone: SandboxUser, fragment: str, timeout_s: float = WAIT_S) -> Message:
    messages = await someone.wait_for(containing(fragment), timeout_s)
    return [m for m in messages if fragment in m["text"]][-1]


def data_starting(message: Message, prefix: str) -> str:
    found = [data for data in button_data(message) if data.startswith(prefix)]
    assert found, f"no {prefix}… button under {message}"
    return found[0]


def button_texts(message: Message) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def count_with(someone: SandboxUser, fragment: str) -> int:
    return sum(fragment in m["text"] for m in await someone.bot_messages())


async def answer_to(someone: SandboxUser, said: str, fragment: str = "", **profile: Any) -> Message:
    """Write; the bot's first new message (holding ``fragment``: outbox notices may come
    in between)."""
    known = await someone.http.get(f"/sandbox/chats/{someone.id}")
    before = len(await someone.bot_messages()) if known.status_code == 200 else 0
    await someone.send(said, **profile)
    messages = await someone.wait_for(lambda ms: any(fragment in m["text"] for m in ms[before:]))
    return next(m for m in messages[before:] if fragment in m["text"])


async def started(someone: SandboxUser, language: str) -> Message:
    return await answer_to(someone, "/start", language_code=language)


async def found_listing(buyer: SandboxUser, words: Words, tag: str) -> Message:
    """The buyer writes what they are looking for; the bot's answer lists the listing."""
    return await answer_to(buyer, words.looking_for.format(tag=tag), "🔎")


async def start_conversation(
    buyer: SandboxUser, words: Words, tag: str, listing_id: int
) -> Message:
    """The buyer finds the listing and presses "Write to seller N" (N: its place among the
    results); returns the prompt."""
    results = await found_listing(buyer, words, tag)
    assert tag in results["text"]
    assert any(label.startswith(words.write_button) for label in button_texts(results))
    before = await count_with(buyer, words.prompt_buyer)
    await buyer.press(results["message_id"], f"lst:write:{listing_id}")
    await buyer.wait_for(lambda ms: sum(words.prompt_buyer in m["text"] for m in ms) > before)
    return await last_with(buyer, words.prompt_buyer)


@pytest.mark.parametrize("words", [RUSSIAN, ENGLISH], ids=["russian", "english"])
class TestBuyerAndSeller:
    async def test_a_buyer_writes_the_seller_answers_and_marks_it_sold(
        self, stack: Stack, words: Words
    ) -> None:
        async with person(stack) as seller, person(stack) as buyer:
            await started(seller, words.language)
            await started(buyer, words.language)
            listing_id, title = await published_listing(stack, seller, words)
            tag = tag_of(seller.id)

            await start_conversation(buyer, words, tag, listing_id)
            await buyer.send(words.first_message)
            await last_with(buyer, words.sent_to_seller)
            introduced = await last_with(seller, words.new_inquiry)
            assert words.first_message.split("!")[0] in introduced["text"]
            assert title in introduced["text"]
            assert str(buyer.id) not in introduced["text"]  # the buyer's account stays private
            assert f"User{buyer.id}" not in introduced["text"]

            # A second message is relayed as such: the seller is told of the buyer once.
            await buyer.send(words.second_message)
            relayed = await last_with(seller, words.second_message)
            assert relayed["text"].startswith(words.from_buyer)
            assert await count_with(seller, words.new_inquiry) == 1
            assert await count_with(buyer, words.sent_to_seller) == 1

            # The seller answers: Reply, then their text reaches the buyer.
            await seller.press(introduced["message_id"], data_starting(introduced, "inq:reply:"))
            await last_with(seller, words.prompt_seller)
            await seller.send(words.answer)
            answer = await last_with(buyer, words.answer)
            assert answer["text"].startswith(words.from_seller)
            assert str(seller.id) not in answer["text"]

            # The seller marks it sold from the conversation; search says so.
            sold = data_starting(introduced, "lst:avail:")
            assert sold == f"lst:avail:{listing_id}:sold"
            await seller.press(introduced["message_id"], sold)
            await last_with(seller, words.marked_sold)
            async with service(stack) as api:
                listing = await api.get(
                    f"{LISTINGS}/{listing_id}", headers={ACTING_USER_HEADER: str(seller.id)}
                )
            assert listing.json()["availability"] == "sold"
            assert listing.json()["stats"]["contacts"] == 1

            # Another buyer finds it sold, with no way to write about it.
            async with person(stack) as later_buyer:
                await started(later_buyer, words.language)
                results = await found_listing(later_buyer, words, tag)
                assert words.sold_note in results["text"]
                assert f"lst:write:{listing_id}" not in button_data(results)

    async def test_either_side_ends_it_and_a_blocked_buyer_is_told_politely(
        self, stack: Stack, words: Words
    ) -> None:
        async with person(stack) as seller, person(stack) as buyer:
            await started(seller, words.language)
            await started(buyer, words.language)
            listing_id, title = await published_listing(stack, seller, words)
            tag = tag_of(seller.id)

            prompt = await start_conversation(buyer, words, tag, listing_id)
            await buyer.send(words.first_message)
            introduced = await last_with(seller, words.new_inquiry)

            # The buyer ends it: their next text is theirs again (a search), not relayed.
            await buyer.press(prompt["message_id"], data_starting(prompt, "inq:end:"))
            await last_with(buyer, words.ended)
            await last_with(seller, "⏹")
            before = len(await seller.bot_messages())
            assert tag in (await found_listing(buyer, words, tag))["text"]
            assert len(await seller.bot_messages()) == before

            # The buyer writes again; the seller blocks them: the buyer is told it ended,
            # what they write next is a search, nothing reaches the seller, and writing to
            # the seller again is refused politely.
            await start_conversation(buyer, words, tag, listing_id)

            def endings(messages: list[Message]) -> int:  # "⏹ The seller ended …"
                return sum(m["text"].startswith("⏹") for m in messages)

            ended_before = endings(await buyer.bot_messages())
            await seller.press(introduced["message_id"], data_starting(introduced, "inq:block:"))
            await seller.wait_for(lambda ms: "🚫" in ms[-1]["text"])
            await buyer.wait_for(lambda ms: endings(ms) > ended_before)
            seller_saw = len(await seller.bot_messages())
            results = await found_listing(buyer, words, tag)
            assert tag in results["text"]
            assert len(await seller.bot_messages()) == seller_saw  # nothing reached the seller
            await buyer.press(results["message_id"], f"lst:write:{listing_id}")
            await buyer.wait_for(lambda ms: words.blocked_you in ms[-1]["text"])
            assert len(await seller.bot_messages()) == seller_saw
            assert title


class TestSharedLink:
    async def test_start_with_a_listing_opens_it(self, stack: Stack) -> None:
        async with person(stack) as seller, person(stack) as buyer:
            await started(seller, "en")
            listing_id, title = await published_listing(stack, seller, ENGLISH)
            card = await answer_to(buyer, f"/start listing_{listing_id}", language_code="en")
            assert title in card["text"]
            assert "₽12,500" in card["text"]  # as English writes it
            assert "Hello" not in card["text"]  # the listing, not the greeting
            assert f"lst:write:{listing_id}" in button_data(card)
            assert f"lst:report:{listing_id}" in button_data(card)

            mine = await answer_to(seller, f"/start listing_{listing_id}", "📊")
            assert "Your listing" in mine["text"]
            assert not [d for d in button_data(mine) if d.startswith("lst:write:")]

    @pytest.mark.parametrize(("language", "said"), [("en", "no longer available"),
                                                ("ru", "больше нет")])  # fmt: skip
    async def test_an_unknown_listing_is_said_clearly(
        self, stack: Stack, language: str, said: str
    ) -> None:
        async with person(stack) as buyer:
            answer = await answer_to(buyer, "/start listing_999999999", language_code=language)
            assert said in answer["text"]

    async def test_someone_elses_pending_listing_is_not_shown(self, stack: Stack) -> None:
        async with person(stack) as seller, person(stack) as buyer:
            await started(seller, "en")
            title = ENGLISH.title.format(tag=tag_of(seller.id))
            listing_id = await submit_listing(stack, seller, title, "en")
            answer = await answer_to(buyer, f"/start listing_{listing_id}", language_code="en")
            assert "no longer available" in answer["text"]
            assert title not in answer["text"]
            await approve(stack, listing_id)  # leaves the moderation queue as it found it


async def outbox_rows(db: AsyncEngine, chat_id: int) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind, status, last_error FROM outbox WHERE chat_id = :chat ORDER BY id"),
            {"chat": chat_id},
        )
        return [dict(row) for row in rows.mappings()]


async def pending_count(stack: Stack) -> int:
    async with service(stack) as api:
        await api.post("/api/v1/users", json={"telegram_id": ADMIN_ID, "first_name": "Admin"})
        summary = await api.get(
            "/api/v1/admin/moderation/summary", headers={ACTING_USER_HEADER: str(ADMIN_ID)}
        )
    return int(summary.json()["pending"])


class TestModeration:
    async def test_the_readmes_order_user_2_sells_then_the_admin_starts_the_bot(
        self, stack: Stack, e2e_db: AsyncEngine
    ) -> None:
        # The admin has never opened the bot: the sandbox knows no chat of theirs.
        sandbox = httpx.AsyncClient(base_url=stack.url("sandbox"), params={"bot_id": BOT_ID})
        async with sandbox:
            if (await sandbox.get(f"/sandbox/chats/{ADMIN_ID}")).status_code != 404:
                await sandbox.post("/sandbox/reset")  # an earlier test opened it
        waiting = await pending_count(stack)
        async with person(stack) as seller:
            await started(seller, "en")
            title = ENGLISH.title.format(tag=tag_of(seller.id))
            listing_id = await submit_listing(stack, seller, title, "en")

            async def notice_failed() -> bool:
                rows = await outbox_rows(e2e_db, ADMIN_ID)
                errors = [(r["last_error"] or "").lower() for r in rows if r["status"] == "dead"]
                return any("chat not found" in error for error in errors)

            await wait_until(notice_failed)
            assert await pending_count(stack) == waiting + 1  # still in the queue

            async with SandboxUser.connect(stack.url("sandbox"), ADMIN_ID, BOT_ID) as admin:
                welcome = await answer_to(admin, "/start", "Hello", language_code="en")
                label = f"🛡 Moderation ({waiting + 1})"
                assert label in button_texts(welcome)
                await admin.press(welcome["message_id"], "mod:show:0:0")
                card = await admin.wait_for(
                    lambda ms: (
                        ms[-1]["message_id"] == welcome["message_id"]
                        and "Moderation" in ms[-1]["text"]
                    )
                )
                shown = card[-1]
                for _ in range(waiting + 1):  # others may wait before it: Next
                    if title in shown["text"]:
                        break
                    await admin.press(shown["message_id"], data_starting(shown, "mod:show:"))
                    shown = await self.edited(admin, shown)
                assert title in shown["text"]
                approve_data = data_starting(shown, "mod:ok:")
                assert approve_data.startswith(f"mod:ok:{listing_id}:")
                await admin.press(shown["message_id"], approve_data)
                await admin.wait_for(lambda ms: f"Approved: «{title}»" in ms[-1]["text"])

            await last_with(seller, title)  # the seller is told
            await searchable(stack, tag_of(seller.id))  # in search: its own title found

    async def test_reject_with_a_reason_the_author_reads(self, stack: Stack) -> None:
        async with person(stack) as seller:
            await started(seller, "ru")
            title = RUSSIAN.title.format(tag=tag_of(seller.id))
            listing_id = await submit_listing(stack, seller, title, "ru")
            async with SandboxUser.connect(stack.url("sandbox"), ADMIN_ID, BOT_ID) as admin:
                shown = await answer_to(admin, "/moderation", "🛡", language_code="en")
                for _ in range(await pending_count(stack)):
                    if title in shown["text"]:
                        break
                    count = len(await admin.bot_messages())
                    await admin.press(shown["message_id"], data_starting(shown, "mod:show:"))
                    shown = await self.edited(admin, shown, count)
                assert title in shown["text"]
                reject = data_starting(shown, "mod:no:")
                assert reject.startswith(f"mod:no:{listing_id}:")
                await admin.press(shown["message_id"], reject)
                await last_with(admin, "Write why")
                await answer_to(admin, "no", "must be 3 to 500 characters")  # too short
                await answer_to(admin, "Фото не того велосипеда", f"Rejected: «{title}»")
            told = await last_with(seller, "Фото не того велосипеда")
            assert title in told["text"]

    async def test_moderation_is_for_admins_only(self, stack: Stack) -> None:
        async with person(stack) as someone:
            answer = await answer_to(someone, "/moderation", language_code="en")
            assert "admin" in answer["text"].lower()
            welcome = await started(someone, "en")
            assert not [t for t in button_texts(welcome) if "Moderation" in t]

    @staticmethod
    async def edited(admin: SandboxUser, shown: Message, count: int | None = None) -> Message:
        """The moderation message after a press (edited in place)."""
        before = shown.get("edit_date"), shown["text"]
        messages = await admin.wait_for(
            lambda ms: any(
                m["message_id"] == shown["message_id"] and (m.get("edit_date"), m["text"]) != before
                for m in ms
            )
        )
        return next(m for m in messages if m["message_id"] == shown["message_id"])


async def wait_until(condition: Any, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)
