"""Secrets people give us (an indexer's API key, a seedbox's password), encrypted at rest
with a key ring: MultiFernet over the deployment's keys, newest first. A new key is put
first; ``rotate`` re-encrypts a token with it (the old keys still decrypt until every
token is rotated and they are removed). Tokens are ASCII text for a ``Text`` column.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretUnreadable(Exception):
    """A stored token none of the keys decrypts (a key was removed too soon)."""


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("the key ring needs at least one Fernet key")
        self._ring = MultiFernet([Fernet(key.encode()) for key in keys])

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, secret: str) -> str:
        return self._ring.encrypt(secret.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._ring.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("a stored secret could not be decrypted") from None

    def rotate(self, token: str) -> str:
        """The same secret encrypted with the newest key."""
        try:
            return self._ring.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("a stored secret could not be decrypted") from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"
