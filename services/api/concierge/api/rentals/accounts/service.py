"""The rules of landlords' Avito accounts: connecting (checked with Avito first), who
may see or change an account (owner, co-hosts with full or read rights; anyone else
gets 404), importing items, and revoked credentials told once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from concierge.api.identity.repository import UserRepository
from concierge.api.notify.service import NotifyService
from concierge.api.rentals.accounts.repository import AccountRepository
from concierge.api.rentals.credentials import CredentialCipher, CredentialsUnreadable
from concierge.api.rentals.notifications import credentials_revoked
from concierge.common import clock
from concierge.common.errors import Conflict, Invalid, NotFound, Unavailable
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.avito import (
    AvitoCredentials,
    AvitoErrorCode,
    AvitoGatewayClient,
    CredentialsCheck,
)
from concierge.contracts.rentals import (
    AccountConnect,
    AccountRead,
    CohostInvite,
    CohostRead,
    ItemRead,
    SyncResult,
)
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import RentalsAccount

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ACCOUNTS = 20  # per landlord
MAX_ITEM_PAGES = 20


class AccountDesk:
    def __init__(
        self,
        accounts: AccountRepository,
        users: UserRepository,
        notify: NotifyService,
        cipher: CredentialCipher,
        gateway: AvitoGatewayClient,
    ) -> None:
        self.accounts = accounts
        self.users = users
        self.notify = notify
        self.cipher = cipher
        self.gateway = gateway

    async def connect(self, user: User, data: AccountConnect) -> AccountRead:
        if await self.accounts.count_owned(user.id) >= MAX_ACCOUNTS:
            raise Conflict(f"At most {MAX_ACCOUNTS} Avito accounts per landlord")
        check = CredentialsCheck(client_id=data.client_id, client_secret=data.client_secret)
        try:
            me = await self.gateway.check(check)
        except ServiceResponseError as exc:
            if exc.code == AvitoErrorCode.CREDENTIALS_REVOKED:
                raise Invalid("Avito refused this client id and secret") from exc
            raise Unavailable("The Avito gateway refused the check") from exc
        except ServiceUnavailable as exc:
            raise Unavailable("Avito cannot be reached now; try again later") from exc
        account = await self.accounts.upsert(
            user.id, me.id, me.name, data.client_id, self.cipher.encrypt(data.client_secret)
        )
        return _read(account, "owner")

    async def mine(self, user: User) -> list[AccountRead]:
        return [
            _read(account, access or "owner")
            for account, access in await self.accounts.visible_to(user.id)
        ]

    async def account(self, user: User, account_id: int, *, change: bool) -> RentalsAccount:
        """The account when the user may see it (or change it); 404 otherwise."""
        found = await self.accounts.access_of(account_id, user.id)
        if found is None or (change and found[1] == "read"):
            raise NotFound("No such account")
        return found[0]

    async def owned(self, user: User, account_id: int) -> RentalsAccount:
        account = await self.account(user, account_id, change=True)
        if account.owner_id != user.id:
            raise NotFound("No such account")
        return account

    async def sync(self, user: User, account_id: int) -> SyncResult:
        """Import the account's items and subscribe its messenger webhook."""
        account = await self.account(user, account_id, change=True)
        try:
            count = 0
            for page in range(1, MAX_ITEM_PAGES + 1):
                found = await self.call_avito(
                    account, partial(self.gateway.items, account.id, page=page)
                )
                count += await self.accounts.save_items(account.id, found.items)
                if len(found.items) < found.per_page:
                    break
            hook = await self.call_avito(
                account, lambda: self.gateway.subscribe_webhook(account.id)
            )
        except Revoked:
            return SyncResult(items=0, webhook=None, revoked=True)
        return SyncResult(items=count, webhook=hook.url, revoked=False)

    async def items(self, user: User, account_id: int) -> list[ItemRead]:
        account = await self.account(user, account_id, change=False)
        return [ItemRead.model_validate(item) for item in await self.accounts.items(account.id)]

    async def disconnect(self, user: User, account_id: int) -> None:
        account = await self.owned(user, account_id)
        await self.accounts.delete(account.id)

    async def invite(self, user: User, account_id: int, data: CohostInvite) -> CohostRead:
        account = await self.owned(user, account_id)
        cohost = await self.users.get_by_telegram_id(data.telegram_id)
        if cohost is None:
            raise NotFound("No such user: they must open the bot first")
        if cohost.id == user.id:
            raise Conflict("The owner is not a co-host")
        await self.accounts.add_cohost(account.id, cohost.id, data.access)
        return CohostRead(telegram_id=data.telegram_id, access=data.access)

    async def cohosts(self, user: User, account_id: int) -> list[CohostRead]:
        account = await self.owned(user, account_id)
        return [
            CohostRead(telegram_id=telegram_id, access=access)
            for telegram_id, access in await self.accounts.cohosts(account.id)
        ]

    async def credentials(self, account_id: int) -> AvitoCredentials:
        """For the gateway (service token): 404 when unknown or revoked."""
        account = await self.accounts.get(account_id)
        if account is None or account.revoked_at is not None:
            raise NotFound("No such account")
        try:
            secret = self.cipher.decrypt(account.secret_encrypted)
        except CredentialsUnreadable as exc:
            log.error("no configured key opens the secret of rentals account %d", account_id)
            raise NotFound("No such account") from exc
        return AvitoCredentials(
            client_id=account.client_id,
            client_secret=secret,
            avito_user_id=account.avito_user_id,
        )

    async def call_avito(self, account: RentalsAccount, call: Callable[[], Awaitable[T]]) -> T:
        """A gateway call; revoked credentials are recorded and told once."""
        try:
            return await call()
        except ServiceResponseError as exc:
            if exc.code == AvitoErrorCode.CREDENTIALS_REVOKED:
                await self.revoked(account)
                raise Revoked() from exc
            if exc.code == AvitoErrorCode.PAID_OVERLAP:
                raise  # the calendar names the booking (a 409)
            if exc.status_code == 404:
                raise NotFound("Avito does not know it") from exc
            raise Invalid(str(exc.detail)) from exc
        except ServiceUnavailable as exc:
            raise Unavailable("Avito cannot be reached now; try again later") from exc

    async def revoked(self, account: RentalsAccount) -> None:
        now = clock.utcnow()
        if await self.accounts.mark_revoked(account.id, now):
            owner = await self.users.get(account.owner_id)
            if owner is not None:
                await self.notify.enqueue(credentials_revoked(owner, account, now))


class Revoked(Exception):
    """Avito refused the account's keys (recorded, and the owner told once)."""


def _read(account: RentalsAccount, access: str) -> AccountRead:
    return AccountRead(
        id=account.id,
        avito_user_id=account.avito_user_id,
        name=account.name,
        access=access,
        revoked=account.revoked_at is not None,
    )
