"""The relay's protocol: claim due notifications under a lease, report each outcome."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from concierge.api.notify.repository import OutboxRepository
from concierge.api.notify.service import MAX_ATTEMPTS
from concierge.domain.identity.models import User
from tests.services.api.notify.factories import (
    NOTIFICATIONS,
    claim,
    expire_leases,
    queue,
    report,
    row,
)


class TestClaim:
    async def test_leases_due_notifications(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = [await queue(api, chat) for chat in (6001, 6002, 6003)]
        claimed = await claim(api, lease_s=30)
        assert [item["id"] for item in claimed] == [item["id"] for item in queued]
        stored = await row(session, claimed[0]["id"])
        assert stored["status"] == "leased"
        assert stored["lease_left_s"] == pytest.approx(30)
        assert stored["attempts"] == 0  # claiming is not an attempt

    async def test_a_leased_notification_is_not_claimed_again(self, api: httpx.AsyncClient) -> None:
        await queue(api, 6010)
        assert len(await claim(api)) == 1
        assert await claim(api) == []

    async def test_an_expired_lease_is_claimed_again(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6020)
        await claim(api)
        await expire_leases(session)
        assert [item["id"] for item in await claim(api)] == [queued["id"]]

    async def test_one_per_chat_in_order(self, api: httpx.AsyncClient) -> None:
        first, second = await queue(api, 6030), await queue(api, 6030)
        other = await queue(api, 6031)
        assert {item["id"] for item in await claim(api)} == {first["id"], other["id"]}
        await report(api, {"id": first["id"], "outcome": "sent"})
        assert [item["id"] for item in await claim(api)] == [second["id"]]

    async def test_respects_the_limit(self, api: httpx.AsyncClient) -> None:
        for chat in range(6040, 6045):
            await queue(api, chat)
        assert len(await claim(api, limit=3)) == 3
        assert len(await claim(api, limit=3)) == 2

    @pytest.mark.parametrize(
        "body", [{"limit": 0}, {"limit": 501}, {"lease_s": 0.5}, {"lease_s": 7200},
                 {"limit": "x"}, {"other": 1}],
    )  # fmt: skip
    async def test_bad_requests_are_422(self, api: httpx.AsyncClient, body: dict) -> None:
        response = await api.post(f"{NOTIFICATIONS}/claims", json=body)
        assert response.status_code == 422


class TestSkipLocked:
    """Two relays at once never get the same row (separate, committed transactions)."""

    async def test_concurrent_claims_split_the_rows(self, engine: AsyncEngine) -> None:
        chats = list(range(6100, 6110))
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO outbox (dedup_key, chat_id, kind, payload, status)"
                        " SELECT 'lock:' || c, c, 'test', '{\"text\": \"x\"}', 'pending'"
                        " FROM unnest(CAST(:chats AS bigint[])) AS c"
                    ),
                    {"chats": chats},
                )
            async with (
                AsyncSession(engine) as first,
                AsyncSession(engine) as second,
                first.begin(),
                second.begin(),
            ):
                one = await OutboxRepository(first).claim(6, 60)
                two = await OutboxRepository(second).claim(6, 60)  # first still holds its locks
                assert len(one) == 6
                assert len(two) == 4
                assert not {r.id for r in one} & {r.id for r in two}
        finally:
            async with engine.begin() as conn:
                await conn.execute(text("DELETE FROM outbox WHERE dedup_key LIKE 'lock:%'"))


class TestReport:
    async def test_sent(self, api: httpx.AsyncClient, session: AsyncSession) -> None:
        queued = await queue(api, 6200)
        await claim(api)
        assert await report(api, {"id": queued["id"], "outcome": "sent"}) == {
            "applied": 1,
            "ignored": 0,
        }
        stored = await row(session, queued["id"])
        assert stored["status"] == "sent"
        assert stored["sent_at"] is not None
        assert stored["lease_until"] is None

    async def test_a_repeated_report_changes_nothing(self, api: httpx.AsyncClient) -> None:
        queued = await queue(api, 6201)
        await claim(api)
        await report(api, {"id": queued["id"], "outcome": "sent"})
        assert (await report(api, {"id": queued["id"], "outcome": "sent"}))["applied"] == 0

    async def test_rate_limited_waits_without_using_an_attempt(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6210)
        await claim(api)
        await report(api, {"id": queued["id"], "outcome": "rate_limited", "retry_after_s": 5})
        stored = await row(session, queued["id"])
        assert stored["status"] == "pending"
        assert stored["attempts"] == 0
        assert stored["due_in_s"] == pytest.approx(5)
        assert await claim(api) == []  # not before the 5 s

    async def test_a_paused_chat_holds_its_later_messages(self, api: httpx.AsyncClient) -> None:
        first, _ = await queue(api, 6211), await queue(api, 6211)
        await claim(api)
        await report(api, {"id": first["id"], "outcome": "rate_limited", "retry_after_s": 5})
        assert await claim(api) == []  # the second must not overtake the first

    async def test_failed_uses_an_attempt_and_backs_off(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6220)
        await claim(api)
        await report(api, {"id": queued["id"], "outcome": "failed", "error": "timed out"})
        stored = await row(session, queued["id"])
        assert stored["status"] == "pending"
        assert stored["attempts"] == 1
        assert stored["last_error"] == "timed out"
        assert 0 <= stored["due_in_s"] <= 2

    async def test_failed_too_often_is_dead(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6221)
        for _ in range(MAX_ATTEMPTS):
            await expire_leases(session)
            await session.execute(text("UPDATE outbox SET next_attempt_at = now()"))
            assert len(await claim(api)) == 1
            await report(api, {"id": queued["id"], "outcome": "failed", "error": "timed out"})
        stored = await row(session, queued["id"])
        assert (stored["status"], stored["attempts"]) == ("dead", MAX_ATTEMPTS)

    async def test_unavailable_uses_no_attempt_however_long_it_lasts(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6222)
        for _ in range(MAX_ATTEMPTS * 2):  # an outage longer than the attempts would last
            assert [item["id"] for item in await claim(api)] == [queued["id"]]  # due at once
            body = {"id": queued["id"], "outcome": "unavailable", "error": "Bad Gateway"}
            await report(api, body)
        stored = await row(session, queued["id"])
        assert (stored["status"], stored["attempts"]) == ("pending", 0)
        assert stored["last_error"] == "Bad Gateway"

    async def test_rejected_is_dead_with_the_reason(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6230)
        await claim(api)
        reason = "Bad Request: can't parse entities"
        await report(api, {"id": queued["id"], "outcome": "rejected", "error": reason})
        stored = await row(session, queued["id"])
        assert (stored["status"], stored["last_error"]) == ("dead", reason)

    async def test_blocked_marks_the_user_and_skips_the_chat(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await api.post("/api/v1/users", json={"telegram_id": 6240})
        first, second = await queue(api, 6240), await queue(api, 6240)
        await claim(api)
        await report(api, {"id": first["id"], "outcome": "blocked", "error": "Forbidden"})
        assert (await row(session, first["id"]))["status"] == "skipped"
        assert (await row(session, second["id"]))["status"] == "skipped"
        user = await session.scalar(select(User).where(User.telegram_id == 6240))
        assert user is not None
        assert user.blocked_at is not None
        later = await queue(api, 6240)
        assert later["status"] == "skipped"  # nothing more is sent to them

    async def test_released_is_due_again_at_once(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6250)
        await claim(api)
        await report(api, {"id": queued["id"], "outcome": "released"})
        assert (await row(session, queued["id"]))["attempts"] == 0
        assert [item["id"] for item in await claim(api)] == [queued["id"]]

    async def test_a_late_failure_does_not_undo_a_send(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        queued = await queue(api, 6260)
        await claim(api)
        await report(api, {"id": queued["id"], "outcome": "sent"})
        summary = await report(api, {"id": queued["id"], "outcome": "failed"})
        assert summary == {"applied": 0, "ignored": 1}
        assert (await row(session, queued["id"]))["status"] == "sent"

    async def test_unknown_ids_are_ignored(self, api: httpx.AsyncClient) -> None:
        assert await report(api, {"id": 987654321, "outcome": "sent"}) == {
            "applied": 0,
            "ignored": 1,
        }

    @pytest.mark.parametrize(
        "item",
        [
            {"id": 1, "outcome": "rate_limited"},
            {"id": 1, "outcome": "sent", "retry_after_s": 3},
            {"id": 1, "outcome": "rate_limited", "retry_after_s": 0},
            {"id": 1, "outcome": "rate_limited", "retry_after_s": 10**9},
            {"id": 1, "outcome": "exploded"},
            {"id": -1, "outcome": "sent"},
            {"id": 1, "outcome": "failed", "error": "x" * 1001},
            {"outcome": "sent"},
        ],
    )
    async def test_bad_reports_are_422(self, api: httpx.AsyncClient, item: dict) -> None:
        response = await api.post(f"{NOTIFICATIONS}/reports", json={"reports": [item]})
        assert response.status_code == 422

    async def test_an_empty_or_huge_batch_is_422(self, api: httpx.AsyncClient) -> None:
        for reports in ([], [{"id": 1, "outcome": "sent"}] * 1001):
            response = await api.post(f"{NOTIFICATIONS}/reports", json={"reports": reports})
            assert response.status_code == 422


class TestChatBlocked:
    async def test_block_and_unblock(self, api: httpx.AsyncClient, session: AsyncSession) -> None:
        await api.post("/api/v1/users", json={"telegram_id": 6300})
        pending = await queue(api, 6300)
        url = f"{NOTIFICATIONS}/chats/6300/blocked"
        assert (await api.put(url, json={"blocked": True})).status_code == 200
        assert (await row(session, pending["id"]))["status"] == "skipped"
        assert (await queue(api, 6300))["status"] == "skipped"
        assert (await api.put(url, json={"blocked": False})).status_code == 200
        assert (await queue(api, 6300))["status"] == "pending"

    @pytest.mark.parametrize("body", [{}, {"blocked": "maybe"}, {"blocked": True, "x": 1}])
    async def test_bad_input(self, api: httpx.AsyncClient, body: dict) -> None:
        response = await api.put(f"{NOTIFICATIONS}/chats/6300/blocked", json=body)
        assert response.status_code == 422

    async def test_a_non_numeric_chat_is_422(self, api: httpx.AsyncClient) -> None:
        response = await api.put(f"{NOTIFICATIONS}/chats/abc/blocked", json={"blocked": True})
        assert response.status_code == 422
