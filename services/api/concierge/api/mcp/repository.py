"""Every query of the MCP desk: people's tokens and the audit of tool calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from concierge.db.repository import Repository
from concierge.domain.identity.models import User
from concierge.domain.mcp.models import McpCall, McpToken

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is moved at most this often


class McpTokenRepository(Repository[McpToken]):
    model = McpToken

    async def add_live(self, token: McpToken) -> McpToken | None:
        """Insert a live token; None when the person has a live one of that name already
        (another request won the race the check before it lost)."""
        try:
            async with self.session.begin_nested():
                self.session.add(token)
                await self.session.flush()
        except IntegrityError:
            return None
        return token

    async def live_of(self, user_id: int) -> Sequence[McpToken]:
        rows = await self.session.scalars(
            select(McpToken)
            .where(McpToken.user_id == user_id, McpToken.revoked_at.is_(None))
            .order_by(McpToken.id)
        )
        return rows.all()

    async def count_live(self, user_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(McpToken)
            .where(McpToken.user_id == user_id, McpToken.revoked_at.is_(None))
        )
        return count or 0

    async def live_named(self, user_id: int, name: str) -> McpToken | None:
        return await self.session.scalar(
            select(McpToken).where(
                McpToken.user_id == user_id,
                McpToken.name == name,
                McpToken.revoked_at.is_(None),
            )
        )

    async def live_of_user(self, user_id: int, token_id: int) -> McpToken | None:
        """The caller's own live token; another person's is as good as missing."""
        return await self.session.scalar(
            select(McpToken).where(
                McpToken.id == token_id,
                McpToken.user_id == user_id,
                McpToken.revoked_at.is_(None),
            )
        )

    async def live_by_hash(self, token_hash: str) -> tuple[McpToken, User] | None:
        row = (
            await self.session.execute(
                select(McpToken, User)
                .join(User, User.id == McpToken.user_id)
                .where(McpToken.token_hash == token_hash, McpToken.revoked_at.is_(None))
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def touch(self, token_id: int, now: datetime) -> None:
        await self.session.execute(
            update(McpToken)
            .where(
                McpToken.id == token_id,
                or_(McpToken.last_used_at.is_(None), McpToken.last_used_at < now - TOUCH_EVERY),
            )
            .values(last_used_at=now)
        )


class McpCallRepository(Repository[McpCall]):
    model = McpCall

    async def of_user(self, user_id: int, limit: int = 50) -> Sequence[McpCall]:
        rows = await self.session.scalars(
            select(McpCall)
            .where(McpCall.user_id == user_id)
            .order_by(McpCall.id.desc())
            .limit(limit)
        )
        return rows.all()
