"""Landlords' Avito accounts: connect, list, import items, co-hosts; and the gateway's
service-token route for an account's credentials."""

from __future__ import annotations

from fastapi import Response, status

from concierge.api.identity.deps import WebUser
from concierge.api.rentals.accounts.deps import AccountDeskDep
from concierge.api.rentals.routes import AccountId, internal_router, landlord_router
from concierge.common.openapi import raises
from concierge.contracts.avito import AvitoCredentials
from concierge.contracts.rentals import (
    AccountConnect,
    AccountRead,
    CohostInvite,
    CohostRead,
    ItemRead,
    SyncResult,
)

router = landlord_router("/rentals/accounts")
service_router = internal_router()


@router.post("", status_code=status.HTTP_201_CREATED)
@raises(409, 422, 503)
async def connect(data: AccountConnect, user: WebUser, desk: AccountDeskDep) -> AccountRead:
    """Connect an Avito account: the client id and secret are checked with Avito (through
    the gateway) before anything is stored; the secret is stored encrypted. Connecting the
    same Avito account again replaces its keys (and clears a revocation)."""
    return await desk.connect(user, data)


@router.get("")
async def my_accounts(user: WebUser, desk: AccountDeskDep) -> list[AccountRead]:
    """The caller's accounts and those they co-host, with their rights."""
    return await desk.mine(user)


@router.post("/{account_id}/sync")
@raises(404, 422, 503)
async def sync(account_id: AccountId, user: WebUser, desk: AccountDeskDep) -> SyncResult:
    """Import the account's items from Avito and subscribe its messenger webhook (owner and
    full co-hosts). Revoked credentials answer ``revoked: true`` and tell the owner once."""
    return await desk.sync(user, account_id)


@router.get("/{account_id}/items")
@raises(404)
async def items(account_id: AccountId, user: WebUser, desk: AccountDeskDep) -> list[ItemRead]:
    return await desk.items(user, account_id)


@router.delete("/{account_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def disconnect(account_id: AccountId, user: WebUser, desk: AccountDeskDep) -> Response:
    """Forget the account, its keys, items and chats (owner only)."""
    await desk.disconnect(user, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{account_id}/cohosts", status_code=status.HTTP_201_CREATED)
@raises(404, 409)
async def invite(
    account_id: AccountId, data: CohostInvite, user: WebUser, desk: AccountDeskDep
) -> CohostRead:
    """Let another user of the bot see (``read``) or also change (``full``) the account."""
    return await desk.invite(user, account_id, data)


@router.get("/{account_id}/cohosts")
@raises(404)
async def cohosts(account_id: AccountId, user: WebUser, desk: AccountDeskDep) -> list[CohostRead]:
    return await desk.cohosts(user, account_id)


@service_router.get("/accounts/{account_id}/credentials")
@raises(404)
async def credentials(account_id: AccountId, desk: AccountDeskDep) -> AvitoCredentials:
    """The account's client id and secret, for the Avito gateway only (service token);
    404 for an unknown or revoked account."""
    return await desk.credentials(account_id)
