"""Callback data of the market desk's buttons, ``prefix:action:id[:value]``: the api puts
them in its messages (the outbox), the bot puts them in its own, and the bot reads
them back. One definition, so the two never disagree."""

from __future__ import annotations

from enum import StrEnum

from concierge.contracts.market import Availability

INQUIRY = "inq"  # inq:<action>:<inquiry id>
LISTING = "lst"  # lst:<action>:<listing id>[:<value>]
MODERATION = "mod"  # mod:<action>:<listing id>[:<revision>]


class InquiryAction(StrEnum):
    REPLY = "reply"  # write to the other side now
    END = "end"  # close the conversation
    BLOCK = "block"  # the seller takes no more messages from this buyer


class ListingAction(StrEnum):
    WRITE = "write"  # a buyer starts (or resumes) a conversation with the seller
    REPORT = "report"  # a buyer picks a reason to report it (value: the reason)
    RENEW = "renew"  # the seller keeps it published longer
    AVAILABILITY = "avail"  # the seller marks it (value: available, reserved, sold)


class ModerationAction(StrEnum):
    SHOW = "show"  # the queue's first listing (or the one after <listing id>)
    APPROVE = "ok"
    REJECT = "no"  # asks for the reason


def inquiry_data(action: InquiryAction, inquiry_id: int) -> str:
    return f"{INQUIRY}:{action.value}:{inquiry_id}"


def listing_data(action: ListingAction, listing_id: int, value: str | None = None) -> str:
    return f"{LISTING}:{action.value}:{listing_id}" + (f":{value}" if value else "")


def availability_data(listing_id: int, availability: Availability) -> str:
    return listing_data(ListingAction.AVAILABILITY, listing_id, availability.value)


def moderation_data(action: ModerationAction, listing_id: int = 0, revision: int = 0) -> str:
    return f"{MODERATION}:{action.value}:{listing_id}:{revision}"
