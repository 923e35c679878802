"""Every query on landlords' Avito accounts, their co-hosts and items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.avito import AvitoItem
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import RentalsAccount, RentalsCohost, RentalsItem


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(
        self, owner_id: int, avito_user_id: int, name: str, client_id: str, secret: bytes
    ) -> RentalsAccount:
        """Store the account (or its new credentials, which clear a revocation)."""
        values = {
            "owner_id": owner_id,
            "avito_user_id": avito_user_id,
            "name": name[:200],
            "client_id": client_id,
            "secret_encrypted": secret,
            "revoked_at": None,
        }
        statement = (
            insert(RentalsAccount)
            .values(values)
            .on_conflict_do_update(
                index_elements=["owner_id", "avito_user_id"],
                set_={k: v for k, v in values.items() if k not in ("owner_id", "avito_user_id")},
            )
            .returning(RentalsAccount)
            .execution_options(populate_existing=True)
        )
        account = await self.session.scalar(statement)
        assert account is not None
        return account

    async def get(self, account_id: int) -> RentalsAccount | None:
        return await self.session.get(RentalsAccount, account_id)

    async def access_of(self, account_id: int, user_id: int) -> tuple[RentalsAccount, str] | None:
        """The account and the user's rights on it (owner, full, read), or None."""
        query = (
            select(RentalsAccount, RentalsCohost.access)
            .outerjoin(
                RentalsCohost,
                and_(
                    RentalsCohost.account_id == RentalsAccount.id,
                    RentalsCohost.user_id == user_id,
                ),
            )
            .where(
                RentalsAccount.id == account_id,
                or_(RentalsAccount.owner_id == user_id, RentalsCohost.user_id.is_not(None)),
            )
        )
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        account, cohost = row
        return account, "owner" if account.owner_id == user_id else str(cohost)

    async def visible_to(self, user_id: int) -> Sequence[tuple[RentalsAccount, str | None]]:
        query = (
            select(RentalsAccount, RentalsCohost.access)
            .outerjoin(
                RentalsCohost,
                and_(
                    RentalsCohost.account_id == RentalsAccount.id,
                    RentalsCohost.user_id == user_id,
                ),
            )
            .where(or_(RentalsAccount.owner_id == user_id, RentalsCohost.user_id.is_not(None)))
            .order_by(RentalsAccount.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def count_owned(self, owner_id: int) -> int:
        query = select(func.count()).where(RentalsAccount.owner_id == owner_id)
        return int(await self.session.scalar(query) or 0)

    async def mark_revoked(self, account_id: int, at: datetime) -> bool:
        """True when this call revoked it (it was not already): tell the landlord then."""
        statement = (
            update(RentalsAccount)
            .where(RentalsAccount.id == account_id, RentalsAccount.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(RentalsAccount.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def delete(self, account_id: int) -> None:
        await self.session.execute(delete(RentalsAccount).where(RentalsAccount.id == account_id))

    async def rotate_secrets(self, rotate: Callable[[bytes], bytes]) -> int:
        accounts = (await self.session.scalars(select(RentalsAccount).with_for_update())).all()
        for account in accounts:
            account.secret_encrypted = rotate(account.secret_encrypted)
        await self.session.flush()
        return len(accounts)

    # --- co-hosts ---

    async def add_cohost(self, account_id: int, user_id: int, access: str) -> None:
        statement = (
            insert(RentalsCohost)
            .values(account_id=account_id, user_id=user_id, access=access)
            .on_conflict_do_update(
                index_elements=["account_id", "user_id"], set_={"access": access}
            )
        )
        await self.session.execute(statement)

    async def cohosts(self, account_id: int) -> Sequence[tuple[int, str]]:
        query = (
            select(User.telegram_id, RentalsCohost.access)
            .join(User, User.id == RentalsCohost.user_id)
            .where(RentalsCohost.account_id == account_id)
            .order_by(RentalsCohost.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def remove_cohost(self, account_id: int, user_id: int) -> bool:
        statement = (
            delete(RentalsCohost)
            .where(RentalsCohost.account_id == account_id, RentalsCohost.user_id == user_id)
            .returning(RentalsCohost.id)
        )
        return (await self.session.scalar(statement)) is not None

    # --- items ---

    async def save_items(self, account_id: int, items: Sequence[AvitoItem]) -> int:
        for item in items:
            values = {
                "title": item.title[:500],
                "address": item.address[:500],
                "status": item.status[:32],
                "url": item.url[:2048],
            }
            statement = (
                insert(RentalsItem)
                .values(account_id=account_id, avito_item_id=item.id, **values)
                .on_conflict_do_update(index_elements=["account_id", "avito_item_id"], set_=values)
            )
            await self.session.execute(statement)
        return len(items)

    async def items(self, account_id: int) -> Sequence[RentalsItem]:
        query = (
            select(RentalsItem).where(RentalsItem.account_id == account_id).order_by(RentalsItem.id)
        )
        return (await self.session.scalars(query)).all()
