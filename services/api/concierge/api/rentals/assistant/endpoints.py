"""The guest assistant's routes: an item's facts and reply settings and its FAQ (for the
bot and the Mini App; owner and full co-hosts change them, read co-hosts read them),
chats handed over (resume, link the guest's booking), drafts (send, edit and send,
skip); and the worker's service-token route answering one stored guest message."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Response, status

from concierge.api.identity.deps import WebUser
from concierge.api.params import id_path
from concierge.api.rentals.assistant.deps import GuestAssistantDep
from concierge.api.rentals.routes import ChatId, ItemId, internal_router, landlord_router
from concierge.common.openapi import raises
from concierge.contracts.guest import (
    AnswerResult,
    BookingLink,
    ChatState,
    DraftEdit,
    DraftResult,
    FaqCreate,
    FaqRead,
    GuestSettings,
    GuestSettingsRead,
)
from concierge.contracts.rentals import BookingRead

router = landlord_router("/rentals")
service_router = internal_router()
DraftId = Annotated[int, id_path("The draft's id")]
FaqId = Annotated[int, id_path("The FAQ entry's id")]
MessageId = Annotated[int, id_path("The stored guest message's id")]


@router.get("/items/{item_id}/guest")
@raises(404)
async def guest_settings(
    item_id: ItemId, user: WebUser, desk: GuestAssistantDep
) -> GuestSettingsRead:
    """The item's facts the assistant answers from, its mode and quiet hours."""
    return await desk.settings(user.id, item_id)


@router.patch("/items/{item_id}/guest")
@raises(404, 422)
async def update_guest_settings(
    item_id: ItemId, change: GuestSettings, user: WebUser, desk: GuestAssistantDep
) -> GuestSettingsRead:
    return await desk.update(user.id, item_id, change)


@router.get("/items/{item_id}/faq")
@raises(404)
async def faq(item_id: ItemId, user: WebUser, desk: GuestAssistantDep) -> list[FaqRead]:
    return await desk.faq(user.id, item_id)


@router.post("/items/{item_id}/faq", status_code=status.HTTP_201_CREATED)
@raises(404, 409)
async def add_faq(
    item_id: ItemId, entry: FaqCreate, user: WebUser, desk: GuestAssistantDep
) -> FaqRead:
    return await desk.add_faq(user.id, item_id, entry)


@router.delete("/items/{item_id}/faq/{faq_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def delete_faq(
    item_id: ItemId, faq_id: FaqId, user: WebUser, desk: GuestAssistantDep
) -> Response:
    await desk.delete_faq(user.id, item_id, faq_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/chats")
async def chats(user: WebUser, desk: GuestAssistantDep) -> list[ChatState]:
    """Guests' chats of the caller's accounts, newest first (50)."""
    return await desk.chats(user.id)


@router.post("/chats/{chat_id}/resume")
@raises(404)
async def resume(chat_id: ChatId, user: WebUser, desk: GuestAssistantDep) -> ChatState:
    """The assistant answers in this chat again (after a hand-off)."""
    return await desk.resume(user.id, chat_id)


@router.get("/chats/{chat_id}/bookings")
@raises(404)
async def chat_bookings(
    chat_id: ChatId, user: WebUser, desk: GuestAssistantDep
) -> list[BookingRead]:
    """The current and upcoming bookings of the chat's item (soonest first, 10): what the
    chat can be linked to."""
    return await desk.chat_bookings(user.id, chat_id)


@router.put("/chats/{chat_id}/booking")
@raises(404)
async def link_booking(
    chat_id: ChatId, link: BookingLink, user: WebUser, desk: GuestAssistantDep
) -> ChatState:
    """Name this chat's guest's booking (a booking of the chat's item): the only booking
    the assistant speaks of in this chat, and where a stated arrival time is stored."""
    return await desk.link_booking(user.id, chat_id, link)


@router.post("/drafts/{draft_id}/send")
@raises(404, 409, 503)
async def send_draft(
    draft_id: DraftId,
    user: WebUser,
    desk: GuestAssistantDep,
    edit: Annotated[DraftEdit | None, Body()] = None,
) -> DraftResult:
    """Send the proposed reply (or the landlord's edited text) to the guest."""
    return await desk.send_draft(user.id, draft_id, edit.text if edit else None)


@router.post("/drafts/{draft_id}/skip")
@raises(404)
async def skip_draft(draft_id: DraftId, user: WebUser, desk: GuestAssistantDep) -> DraftResult:
    return await desk.skip_draft(user.id, draft_id)


@service_router.post("/guest-messages/{message_id}/answer")
@raises(503)
async def answer(message_id: MessageId, desk: GuestAssistantDep) -> AnswerResult:
    """Answer one stored guest message (the ``rentals.guest_message`` job); a message
    answered before is ``seen``. 503: the reply could not be sent (retry)."""
    return await desk.answer(message_id)
