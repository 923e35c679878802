"""Claimed notifications leave in the order their chats become free, one per chat at a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from concierge.bot.notify.pacing import ChatPacer
from concierge.bot.notify.queue import IN_FLIGHT_RECHECK_S, Claimed, DeliveryQueue
from concierge.contracts.notify import ClaimedNotification, MessagePayload
from tests.services.bot.notify.test_pacing import FakeClock


def claimed(notification_id: int, chat_id: int) -> Claimed:
    notification = ClaimedNotification(
        id=notification_id,
        chat_id=chat_id,
        kind="test",
        payload=MessagePayload(text="hi"),
        attempts=0,
        lease_until=datetime.now(UTC),
    )
    return Claimed(notification, usable_until=10**9)


def make_queue() -> tuple[DeliveryQueue, ChatPacer, FakeClock]:
    clock = FakeClock()
    pacer = ChatPacer(1.0, 3.0, clock)
    return DeliveryQueue(pacer, clock), pacer, clock


class TestDeliveryQueue:
    def test_empty(self) -> None:
        queue, _, _ = make_queue()
        assert queue.pop_ready() == (None, None)

    def test_free_chats_in_claim_order(self) -> None:
        queue, _, _ = make_queue()
        for n, chat in enumerate((5, 6, 7)):
            queue.push(claimed(n, chat))
        popped = [queue.pop_ready()[0] for _ in range(3)]
        assert [item.chat_id for item in popped if item] == [5, 6, 7]

    def test_a_chat_just_sent_to_waits_its_turn(self) -> None:
        queue, pacer, clock = make_queue()
        pacer.note_sent(5)
        queue.push(claimed(1, 5))
        queue.push(claimed(2, 6))
        item, _ = queue.pop_ready()
        assert item is not None
        assert item.chat_id == 6
        assert queue.pop_ready() == (None, 1.0)
        clock.now += 1.0
        item, _ = queue.pop_ready()
        assert item is not None
        assert item.chat_id == 5

    def test_a_send_after_queueing_moves_the_chat_back(self) -> None:
        queue, pacer, _ = make_queue()
        queue.push(claimed(1, 5))
        pacer.note_sent(5)  # say a reply went to the chat meanwhile
        assert queue.pop_ready() == (None, 1.0)

    def test_a_chat_in_flight_is_not_offered(self) -> None:
        queue, _, clock = make_queue()
        queue.in_flight.add(5)
        queue.push(claimed(1, 5))
        _, wait = queue.pop_ready()
        assert wait == pytest.approx(IN_FLIGHT_RECHECK_S)
        queue.in_flight.discard(5)
        clock.now += IN_FLIGHT_RECHECK_S
        item, _ = queue.pop_ready()
        assert item is not None

    def test_drain(self) -> None:
        queue, _, _ = make_queue()
        queue.push(claimed(1, 5))
        queue.push(claimed(2, 6))
        assert {item.notification.id for item in queue.drain()} == {1, 2}
        assert len(queue) == 0
