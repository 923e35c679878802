"""A landlord sets up the guest assistant in the chat (/house_rules, /faq, /guest_mode)
and its time zone, and answers a draft and a hand-off with the notification's buttons
(Edit then the text, Skip, Resume, Link booking then a booking or Unlink, Send on an
expired draft). The real Application against the sandbox's Bot API, the real api and
gateway, the sandbox's Avito stand-in; the outbox's notification is delivered here by
the bot itself (as the notifier would) so its buttons can be pressed."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.error import RetryAfter

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.domain.notify.models import Outbox
from concierge.domain.rentals.models import RentalsBooking, RentalsDraft
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.market.conftest import WebClient
from tests.services.avito.conftest import AVITO_USER, CLIENT_ID, CLIENT_SECRET, AvitoStack
from tests.services.avito.test_bot_chat import _press
from tests.services.avito.test_guest_assistant import Desk


async def _deliver(chat: Any, row: Outbox) -> dict[str, Any]:
    """Send an outbox row's message to the landlord as the notifier would."""
    payload = row.payload
    markup = InlineKeyboardMarkup.de_json(payload["reply_markup"], chat.application.bot)
    for _ in range(5):  # the sandbox holds a chat to about a message a second, as Telegram
        try:
            await chat.application.bot.send_message(
                chat.user_id, payload["text"], parse_mode="HTML", reply_markup=markup
            )
            break
        except RetryAfter as error:
            await asyncio.sleep(_seconds(error.retry_after))
    return (await chat.bot_messages())[-1]


def _seconds(retry_after: float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


async def test_a_landlord_sets_up_the_assistant_and_answers_with_buttons(
    avito: AvitoStack,
    web_client: WebClient,
    start_chat: Any,
    service: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await avito.landlord_account()
    avito_item = await avito.item(AVITO_USER, "Студия у моря")
    chat = await start_chat(api_url=avito.api_url)
    http = chat.deps.market.http._http
    http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    http.timeout = httpx.Timeout(30.0)
    landlord = await web_client(chat.user_id)
    connected = await landlord.post(
        "/api/v1/rentals/accounts", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    account_id = connected.json()["id"]
    await landlord.post(f"/api/v1/rentals/accounts/{account_id}/sync")
    item = (await landlord.get(f"/api/v1/rentals/accounts/{account_id}/items")).json()[0]["id"]

    picked = await _press(chat, await chat.send("/house_rules"), "Студия у моря")
    assert "house rules" in picked["text"]
    await asyncio.sleep(1.1)
    saved = await chat.send("Парковка бесплатная во дворе.\nКурить нельзя.")
    assert "saved" in saved["text"]
    await asyncio.sleep(1.1)
    await _press(chat, await chat.send("/faq"), "Студия у моря")
    await asyncio.sleep(1.1)
    assert "Added" in (await chat.send("Какой пароль от wifi? sea2024"))["text"]
    await asyncio.sleep(1.1)
    modes = await _press(chat, await chat.send("/guest_mode"), "Студия у моря")
    await _press(chat, modes, "🕒 Time zone: Europe/Moscow")
    assert "IANA" in (await chat.bot_messages())[-1]["text"]
    await asyncio.sleep(1.1)
    assert "unknown time zone" in (await chat.send("Mars/Olympus"))["text"]  # refused, said why
    modes = await _press(chat, await chat.send("/guest_mode"), "Студия у моря")
    await _press(chat, modes, "🕒 Time zone: Europe/Moscow")
    await asyncio.sleep(1.1)
    assert "Time zone: Asia/Yekaterinburg" in (await chat.send("Asia/Yekaterinburg"))["text"]
    modes = await _press(chat, await chat.send("/guest_mode"), "Студия у моря")
    assert "Mode: Propose" in (await _press(chat, modes, "Propose replies to me"))["text"]
    settings = (await landlord.get(f"/api/v1/rentals/items/{item}/guest")).json()
    assert settings["house_rules"].startswith("Парковка")
    assert settings["mode"] == "draft"
    assert settings["time_zone"] == "Asia/Yekaterinburg"
    faq = (await landlord.get(f"/api/v1/rentals/items/{item}/faq")).json()
    assert [(f["question"], f["answer"]) for f in faq] == [("Какой пароль от wifi?", "sea2024")]

    desk = Desk(avito, landlord, service, session, avito_item, item)
    asked = await desk.guest_writes("Подскажите пароль от wifi")
    assert asked["action"] == "draft"
    [row] = (
        await session.scalars(select(Outbox).where(Outbox.kind == "rentals.guest_draft"))
    ).all()
    draft = await _deliver(chat, row)
    await _press(chat, draft, "Edit")
    await asyncio.sleep(1.1)
    sent = await chat.send("Пароль: sea2024, роутер в прихожей.")
    assert "Sent to the guest" in sent["text"]
    assert await desk.replies(asked["chat"]) == ["Пароль: sea2024, роутер в прихожей."]

    again = await desk.guest_writes("А курить можно?")
    rows = (await session.scalars(select(Outbox).where(Outbox.kind == "rentals.guest_draft"))).all()
    skipped = await _press(chat, await _deliver(chat, rows[-1]), "Skip")
    assert "Skipped" in skipped["text"]
    assert len(await desk.replies(again["chat"])) == 1

    await landlord.patch(f"/api/v1/rentals/items/{item}/guest", json={"mode": "auto"})
    await desk.guest_writes("Позовите хозяина")
    [handoff] = (
        await session.scalars(select(Outbox).where(Outbox.kind == "rentals.guest_handoff"))
    ).all()
    resumed = await _press(chat, await _deliver(chat, handoff), "Resume the assistant")
    assert "answers in this chat again" in resumed["text"]
    back = await desk.guest_writes("Есть ли парковка?")
    assert back["action"] == "sent"

    # Link booking (kept on the resumed notice): the item's bookings, one pressed; unlinked
    day = date.today() + timedelta(days=5)
    await avito.sandbox.post("/sandbox/avito/bookings", json={
        "item_id": avito_item, "check_in": day.isoformat(), "name": "Иван",
        "check_out": (day + timedelta(days=2)).isoformat()})  # fmt: skip
    await service.post("/api/v1/internal/rentals/bookings/poll")
    await _press(chat, resumed, "🔗 Link booking")
    listed = (await chat.bot_messages())[-1]
    assert "Which booking" in listed["text"]
    label = f"{day:%d.%m}–{day + timedelta(days=2):%d.%m} Иван"
    assert "linked" in (await _press(chat, listed, label))["text"]
    booking = (await session.scalars(select(RentalsBooking))).one()
    assert (await desk.chat_row()).booking_id == booking.id
    await _press(chat, resumed, "🔗 Link booking")
    assert "not linked" in (await _press(chat, (await chat.bot_messages())[-1], "Unlink"))["text"]
    assert (await desk.chat_row()).booking_id is None

    # a proposed reply left for a day: Send says it expired and sends nothing
    await landlord.patch(f"/api/v1/rentals/items/{item}/guest", json={"mode": "draft"})
    late = await desk.guest_writes("Курить в квартире можно?", guest=556)
    assert late["action"] == "draft"
    rows = (await session.scalars(select(Outbox).where(Outbox.kind == "rentals.guest_draft"))).all()
    await session.execute(
        update(RentalsDraft).values(created_at=datetime.now(UTC) - timedelta(days=2))
    )
    assert "expired" in (await _press(chat, await _deliver(chat, rows[-1]), "Send"))["text"]
    assert await desk.replies(late["chat"]) == []
