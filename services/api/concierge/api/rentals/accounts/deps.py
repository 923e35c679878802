"""The rentals accounts API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.identity.repository import UserRepository
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.rentals.accounts.repository import AccountRepository
from concierge.api.rentals.accounts.service import AccountDesk
from concierge.api.rentals.credentials import CredentialCipher, cipher_of
from concierge.api.rentals.gateway import avito_gateway
from concierge.db import SessionDep


def credential_cipher(request: Request) -> CredentialCipher:
    cipher: CredentialCipher | None = getattr(request.app.state, "rentals_cipher", None)
    if cipher is None:
        cipher = cipher_of(request.app.state.settings)
        request.app.state.rentals_cipher = cipher
    return cipher


def get_account_desk(
    request: Request, session: SessionDep, notify: NotifyServiceDep
) -> AccountDesk:
    return AccountDesk(
        AccountRepository(session),
        UserRepository(session),
        notify,
        credential_cipher(request),
        avito_gateway(request),
    )


AccountDeskDep = Annotated[AccountDesk, Depends(get_account_desk)]
