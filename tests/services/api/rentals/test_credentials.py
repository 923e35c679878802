"""Landlords' Avito secrets at rest: encrypted with the newest key, readable with any
configured key, re-encrypted by the rotation command's query; an unknown key is refused."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.repository import UserRepository
from concierge.api.rentals.accounts.repository import AccountRepository
from concierge.api.rentals.credentials import CredentialCipher, CredentialsUnreadable
from concierge.contracts.identity import UserRegister


async def test_rotation_moves_every_secret_to_the_newest_key(session: AsyncSession) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    users = UserRepository(session)
    owner, _ = await users.upsert(UserRegister(telegram_id=820_001, first_name="Anna"), None)
    accounts = AccountRepository(session)
    before = CredentialCipher([old])
    account = await accounts.upsert(owner.id, 77, "Anna", "client", before.encrypt("s3cret"))
    assert b"s3cret" not in account.secret_encrypted

    both = CredentialCipher([new, old])  # the new key first, the old one still readable
    assert both.decrypt(account.secret_encrypted) == "s3cret"
    assert await accounts.rotate_secrets(both.rotate) == 1
    assert CredentialCipher([new]).decrypt(account.secret_encrypted) == "s3cret"
    with pytest.raises(CredentialsUnreadable):
        CredentialCipher([old]).decrypt(account.secret_encrypted)


def test_a_cipher_needs_a_key() -> None:
    with pytest.raises(ValueError, match="key"):
        CredentialCipher([])
