"""Landlords' Avito secrets, encrypted at rest with MultiFernet.

``API_RENTALS_CREDENTIALS_KEYS`` lists Fernet keys, newest first: the first encrypts,
any decrypts. To rotate, put a new key first, run ``python -m
concierge.api.rentals.rotate_keys`` (every secret re-encrypted with it), then drop the
old key. In dev with no keys set, one is derived from the JWT secret.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from concierge.api.settings import ApiSettings


class CredentialsUnreadable(Exception):
    """No configured key opens this secret (a key was dropped before rotating)."""


class CredentialCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken as exc:
            raise CredentialsUnreadable() from exc

    def rotate(self, token: bytes) -> bytes:
        """The same secret encrypted with the newest key."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken as exc:
            raise CredentialsUnreadable() from exc


def cipher_of(settings: ApiSettings) -> CredentialCipher:
    configured = settings.rentals_credentials_keys.get_secret_value()
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if not keys:  # dev only: production refuses an empty secret at start
        seed = hashlib.sha256(b"rentals:" + settings.jwt_secret.get_secret_value().encode())
        keys = [base64.urlsafe_b64encode(seed.digest()).decode()]
    return CredentialCipher(keys)
