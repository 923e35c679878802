"""Re-encrypt every stored Avito secret with the newest key:
``python -m concierge.api.rentals.rotate_keys`` (after putting the new key first in
``API_RENTALS_CREDENTIALS_KEYS``). Safe to run again; prints how many were rotated."""

from __future__ import annotations

import asyncio
import logging

from concierge.api.rentals.accounts.repository import AccountRepository
from concierge.api.rentals.credentials import cipher_of
from concierge.api.settings import ApiSettings
from concierge.db import Database

log = logging.getLogger(__name__)


async def rotate(settings: ApiSettings) -> int:
    cipher = cipher_of(settings)
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            return await AccountRepository(session).rotate_secrets(cipher.rotate)
    finally:
        await database.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    count = asyncio.run(rotate(ApiSettings()))
    log.info("re-encrypted %d Avito secrets with the newest key", count)


if __name__ == "__main__":
    main()
