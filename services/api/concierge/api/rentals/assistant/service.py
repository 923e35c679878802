"""The guest assistant: a stored guest message becomes an answer from the apartment's
facts only, a draft for the landlord, or a hand-off.

Order for each message (claimed once: ``rentals_messages.handled_at``):

1. the check-in extractor reads it; a stated arrival time is stored on the chat (and on
   its booking) and the landlord is told once per change;
2. the item's mode ``off``, or a chat handed to the landlord: nothing more;
3. asked for the landlord / a complaint: hand-off (told with a Resume button);
4. the reply: the LLM with tools when one is configured, else (or when it fails) an
   FAQ / house-rules match or this guest's booking; nothing matched: hand-off (unsure);
5. ``auto`` outside quiet hours (hours of the item's time zone): sent through the Avito
   gateway (split there past 1000 characters); else a draft with Send / Edit / Skip, which
   expires when not acted on within ``draft_ttl`` (Send then answers 409 ``draft_expired``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from concierge.api.notify.service import NotifyService
from concierge.api.rentals.assistant import matching
from concierge.api.rentals.assistant.agent import GuestAgent, GuestFacts
from concierge.api.rentals.assistant.notifications import arrival_stated, draft_ready, handed_off
from concierge.api.rentals.assistant.repository import GuestAssistantRepository
from concierge.api.rentals.calendar.service import CalendarDesk
from concierge.api.rentals.checkin.schemas import CheckInExtractRequest
from concierge.api.rentals.checkin.service import CheckInService
from concierge.api.rentals.zones import zone_of
from concierge.common import clock
from concierge.common.errors import Conflict, Invalid, NotFound, Unavailable
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.avito import AvitoGatewayClient
from concierge.contracts.errors import ErrorCode
from concierge.contracts.guest import (
    DEFAULT_TIME_ZONE,
    MAX_FAQ_ENTRIES,
    AnswerResult,
    BookingLink,
    ChatState,
    DraftResult,
    FaqCreate,
    FaqRead,
    GuestSettings,
    GuestSettingsRead,
)
from concierge.contracts.rentals import MAX_GUEST_TEXT, BookingRead
from concierge.domain.rentals.models import (
    RentalsAccount,
    RentalsBooking,
    RentalsChat,
    RentalsDraft,
    RentalsItem,
)

log = logging.getLogger(__name__)

MIN_ARRIVAL_CONFIDENCE = 0.5

HANDOFF_REPLY = {
    "ru": "Спасибо! Я передал ваше сообщение хозяину, он ответит вам здесь.",
    "en": "Thank you! I have passed your message to the host, who will answer you here.",
}
ARRIVAL_REPLY = {
    "ru": "Спасибо, записал время заезда: {when}.",
    "en": "Thank you, I noted your arrival: {when}.",
}
BOOKING_REPLY = {
    "ru": "Ваше бронирование: заезд {check_in}, выезд {check_out}, гостей: {count}.",
    "en": "Your booking: check-in {check_in}, check-out {check_out}, guests: {count}.",
}


@dataclass(frozen=True)
class Arrival:
    at: str
    on: date | None
    changed: bool


def in_quiet_hours(item: RentalsItem, now: datetime) -> bool:
    """Whether ``now`` falls in the item's quiet hours, read in the item's time zone."""
    start, end = item.quiet_start, item.quiet_end
    if start is None or end is None or start == end:
        return False
    hour = now.astimezone(zone_of(item)).hour
    return start <= hour < end if start < end else hour >= start or hour < end


def booking_facts(booking: RentalsBooking | None) -> dict[str, Any] | None:
    if booking is None or booking.status == "canceled":
        return None
    return {
        "check_in": booking.check_in.isoformat(),
        "check_out": booking.check_out.isoformat(),
        "guests": booking.guest_count,
        "arrival_time": booking.arrival_time,
    }


def settings_read(item: RentalsItem) -> GuestSettingsRead:
    return GuestSettingsRead(
        item_id=item.id,
        description=item.description,
        house_rules=item.house_rules,
        mode=item.guest_mode,
        quiet_start=item.quiet_start,
        quiet_end=item.quiet_end,
        time_zone=item.time_zone or DEFAULT_TIME_ZONE,
    )


def chat_state(chat: RentalsChat) -> ChatState:
    return ChatState(
        id=chat.id,
        item_avito_id=chat.avito_item_id,
        handed_off=chat.handed_off_at is not None,
        handoff_reason=chat.handoff_reason,
        booking_id=chat.booking_id,
        arrival_time=chat.arrival_time,
        arrival_date=chat.arrival_date,
    )


class GuestAssistant:
    def __init__(
        self,
        repo: GuestAssistantRepository,
        notify: NotifyService,
        gateway: AvitoGatewayClient,
        checkin: CheckInService,
        agent: GuestAgent | None,
        draft_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self.repo = repo
        self.notify = notify
        self.gateway = gateway
        self.checkin = checkin
        self.agent = agent
        self.draft_ttl = draft_ttl

    # --- the worker's route: one guest message ------------------------------------------

    async def answer(self, message_id: int) -> AnswerResult:
        now = clock.utcnow()
        if not await self.repo.claim(message_id, now):
            return AnswerResult(action="seen")
        found = await self.repo.message(message_id)
        if found is None:
            return AnswerResult(action="seen")
        message, chat, account = found
        owner = await self.repo.user(account.owner_id)
        text = message.text.strip()
        if account.revoked_at is not None or owner is None or message.kind != "text" or not text:
            return AnswerResult(action="ignored")
        item = await self.repo.item_of(chat)
        title = (item.title if item else "") or str(chat.avito_item_id or "Avito")
        booking = await self.repo.booking_of(chat, item.id if item else None)

        arrival = await self.arrival(text, message.sent_at, chat, booking)
        arrival_told = arrival is not None and arrival.changed
        if arrival is not None and arrival.changed:
            await self.notify.enqueue(
                arrival_stated(owner, title, chat, message.id, arrival.at, arrival.on)
            )
        if item is None or item.guest_mode == "off":
            return AnswerResult(action="off", arrival_told=arrival_told)
        if chat.handed_off_at is not None:
            return AnswerResult(action="paused", arrival_told=arrival_told)
        language = "ru" if matching.is_cyrillic(text) else "en"

        reason = matching.handoff_reason(text)
        reply: str | None = None
        method = "rules"
        if reason is None and self.agent is not None:
            facts = await self.facts(item, booking)
            reply = await self.agent.reply(f"rentals:{chat.id}", text[:MAX_GUEST_TEXT], facts)
            if reply is not None:
                method = "llm"
                reason = facts.handoff
        if reason is None and reply is None:
            reply = await self.by_rules(text, item, booking, language, arrival)
            if reply is None:
                reason = "unsure"
        if reason is not None:
            await self.repo.hand_off(chat, reason, now)
            await self.notify.enqueue(
                handed_off(owner, title, text, chat, reason, int(now.timestamp()))
            )
            reply = HANDOFF_REPLY[language]
        assert reply is not None

        if item.guest_mode == "auto" and not in_quiet_hours(item, now):
            await self.send(account.id, chat.avito_chat_id, reply)
            action = "handoff" if reason else "sent"
            return AnswerResult(action=action, reason=reason, method=method,
                                arrival_told=arrival_told)  # fmt: skip
        if reason is not None:
            return AnswerResult(action="handoff", reason=reason, arrival_told=arrival_told)
        draft = await self.repo.add_draft(chat.id, message.id, reply)
        await self.notify.enqueue(draft_ready(owner, title, text, draft))
        return AnswerResult(action="draft", method=method, arrival_told=arrival_told)

    async def arrival(
        self, text: str, sent_at: datetime, chat: RentalsChat, booking: RentalsBooking | None
    ) -> Arrival | None:
        """The arrival the message states, or None. ``changed``: it differs from the last
        one stored on the chat, which is the last one told (15:00, 18:00, 15:00 is three
        changes; 15:00 twice is one)."""
        request = CheckInExtractRequest(text=text[:MAX_GUEST_TEXT], received_at=sent_at)
        found = await self.checkin.extract(request)
        if found.check_in_time is None or found.confidence < MIN_ARRIVAL_CONFIDENCE:
            return None
        on = date.fromisoformat(found.date) if found.date else chat.arrival_date
        if (found.check_in_time, on) == (chat.arrival_time, chat.arrival_date):
            return Arrival(found.check_in_time, on, changed=False)
        await self.repo.save_arrival(chat, booking, found.check_in_time, on)
        return Arrival(found.check_in_time, on, changed=True)

    async def facts(self, item: RentalsItem, booking: RentalsBooking | None) -> GuestFacts:
        faq = [(f.question, f.answer) for f in await self.repo.faq(item.id)]
        return GuestFacts(item.title, item.description, item.house_rules, faq,
                          booking_facts(booking))  # fmt: skip

    async def by_rules(
        self,
        text: str,
        item: RentalsItem,
        booking: RentalsBooking | None,
        language: str,
        arrival: Arrival | None,
    ) -> str | None:
        if matching.asks_booking(text) and (facts := booking_facts(booking)) is not None:
            return BOOKING_REPLY[language].format(
                check_in=facts["check_in"], check_out=facts["check_out"],
                count=facts["guests"] or "—",
            )  # fmt: skip
        faq = [(f.question, f.answer) for f in await self.repo.faq(item.id)]
        answer = matching.best_answer(
            text, matching.facts_of(faq, item.house_rules, item.description)
        )
        if answer is None and arrival is not None:
            when = " ".join(str(part) for part in (arrival.on, arrival.at) if part)
            return ARRIVAL_REPLY[language].format(when=when)
        return answer

    async def send(self, account_id: int, avito_chat_id: str, text: str) -> int:
        try:
            sent = await self.gateway.send(account_id, avito_chat_id, text)
        except ServiceUnavailable as exc:
            raise Unavailable("Avito is unavailable; the reply was not sent") from exc
        except ServiceResponseError as exc:
            log.warning("the gateway refused a guest reply: %s", exc.status_code)
            raise Unavailable("Avito refused the reply") from exc
        return len(sent.message_ids)

    # --- the landlord's side -----------------------------------------------------------

    async def _item(self, user_id: int, item_id: int, *, write: bool) -> RentalsItem:
        item = await self.repo.item_for(user_id, item_id, write=write)
        if item is None:
            raise NotFound("No such item")
        return item

    async def _chat(self, user_id: int, chat_id: int, *, write: bool) -> RentalsChat:
        found = await self.repo.chat_for(user_id, chat_id, write=write)
        if found is None:
            raise NotFound("No such chat")
        return found[0]

    async def _draft(
        self, user_id: int, draft_id: int
    ) -> tuple[RentalsDraft, RentalsChat, RentalsAccount]:
        found = await self.repo.draft_for(user_id, draft_id)
        if found is None:
            raise NotFound("No such draft")
        return found

    async def settings(self, user_id: int, item_id: int) -> GuestSettingsRead:
        return settings_read(await self._item(user_id, item_id, write=False))

    async def update(self, user_id: int, item_id: int, change: GuestSettings) -> GuestSettingsRead:
        item = await self._item(user_id, item_id, write=True)
        if change.description is not None:
            item.description = change.description
        if change.house_rules is not None:
            item.house_rules = change.house_rules
        if change.mode is not None:
            item.guest_mode = change.mode
        if change.no_quiet_hours:
            item.quiet_start = item.quiet_end = None
        elif (change.quiet_start is None) != (change.quiet_end is None):
            raise Invalid("Quiet hours need both a start and an end hour")
        elif change.quiet_start is not None:
            item.quiet_start, item.quiet_end = change.quiet_start, change.quiet_end
        if change.time_zone is not None:
            item.time_zone = change.time_zone
        return settings_read(item)

    async def faq(self, user_id: int, item_id: int) -> list[FaqRead]:
        item = await self._item(user_id, item_id, write=False)
        return [FaqRead(id=f.id, question=f.question, answer=f.answer)
                for f in await self.repo.faq(item.id)]  # fmt: skip

    async def add_faq(self, user_id: int, item_id: int, entry: FaqCreate) -> FaqRead:
        item = await self._item(user_id, item_id, write=True)
        if await self.repo.count_faq(item.id) >= MAX_FAQ_ENTRIES:
            raise Conflict(f"An item has at most {MAX_FAQ_ENTRIES} FAQ entries")
        row = await self.repo.add_faq(item.id, entry.question, entry.answer)
        return FaqRead(id=row.id, question=row.question, answer=row.answer)

    async def delete_faq(self, user_id: int, item_id: int, faq_id: int) -> None:
        item = await self._item(user_id, item_id, write=True)
        if not await self.repo.delete_faq(item.id, faq_id):
            raise NotFound("No such FAQ entry")

    async def chats(self, user_id: int) -> list[ChatState]:
        return [chat_state(c) for c in await self.repo.chats_for(user_id)]

    async def resume(self, user_id: int, chat_id: int) -> ChatState:
        chat = await self._chat(user_id, chat_id, write=True)
        await self.repo.resume(chat)
        return chat_state(chat)

    async def chat_bookings(self, user_id: int, chat_id: int) -> list[BookingRead]:
        """What the chat may be linked to: its item's current and upcoming bookings."""
        chat = await self._chat(user_id, chat_id, write=False)
        found_bookings = await self.repo.bookings_for_chat(chat, CalendarDesk.today())
        return [BookingRead.model_validate(b) for b in found_bookings]

    async def link_booking(self, user_id: int, chat_id: int, link: BookingLink) -> ChatState:
        chat = await self._chat(user_id, chat_id, write=True)
        if (
            link.booking_id is not None
            and await self.repo.booking_for_chat(chat, link.booking_id) is None
        ):
            raise NotFound("No such booking of this chat's item")
        chat.booking_id = link.booking_id
        return chat_state(chat)

    async def send_draft(self, user_id: int, draft_id: int, text: str | None) -> DraftResult:
        draft, chat, account = await self._draft(user_id, draft_id)
        if self.expired(draft.status, draft.created_at):
            raise Conflict(
                "The proposed reply expired: nothing was sent",
                code=ErrorCode.DRAFT_EXPIRED,
                params={"hours": str(int(self.draft_ttl.total_seconds() // 3600))},
            )
        if draft.status != "pending":
            raise Conflict(f"The draft was already {draft.status}")
        if text is not None:
            draft.text = text
        parts = await self.send(account.id, chat.avito_chat_id, draft.text)
        draft.status = "sent"
        return DraftResult(id=draft.id, status="sent", parts=parts)

    async def skip_draft(self, user_id: int, draft_id: int) -> DraftResult:
        draft = (await self._draft(user_id, draft_id))[0]
        if self.expired(draft.status, draft.created_at):
            draft.status = "expired"
        elif draft.status == "pending":
            draft.status = "skipped"
        return DraftResult(id=draft.id, status=draft.status)

    def expired(self, status: str, created_at: datetime) -> bool:
        return status == "expired" or (
            status == "pending" and created_at <= clock.utcnow() - self.draft_ttl
        )

    async def expire_drafts(self) -> int:
        """Mark the drafts left pending past ``draft_ttl`` expired (the bookings poll's
        schedule calls this); how many."""
        return await self.repo.expire_drafts(clock.utcnow() - self.draft_ttl)
