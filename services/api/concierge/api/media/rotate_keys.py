"""Re-encrypt every stored media secret with the newest key of ``API_MEDIA_SECRET_KEYS``:

    python -m concierge.api.media.rotate_keys

Put the new key first in the ring, run this, then drop the old key. One transaction:
a secret that no key opens stops the run and changes nothing (the ring lost a key).
Prints how many secrets were rotated; never a secret.
"""

from __future__ import annotations

import asyncio
import logging

from concierge.api.media.repository import MediaRepository
from concierge.api.settings import ApiSettings
from concierge.common.logging import configure_logging
from concierge.common.secret_box import SecretBox
from concierge.db import Database

log = logging.getLogger(__name__)


def key_ring(settings: ApiSettings) -> SecretBox | None:
    if settings.media_secret_keys is None:
        return None
    keys = [k.strip() for k in settings.media_secret_keys.get_secret_value().split(",")]
    return SecretBox([k for k in keys if k])


async def rotate_all(repository: MediaRepository, box: SecretBox) -> int:
    rotated = 0
    async for batch in repository.indexer_secrets():
        for row_id, token in batch:
            await repository.set_indexer_secret(row_id, box.rotate(token))
            rotated += 1
    async for batch in repository.seedbox_secrets():
        for row_id, token in batch:
            await repository.set_seedbox_secret(row_id, box.rotate(token))
            rotated += 1
    return rotated


async def _main(settings: ApiSettings) -> int:
    box = key_ring(settings)
    if box is None:
        raise SystemExit("API_MEDIA_SECRET_KEYS is not set")
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            return await rotate_all(MediaRepository(session), box)
    finally:
        await database.dispose()


def main() -> None:
    settings = ApiSettings()
    configure_logging("rotate-keys", settings.log_level, settings.log_json)
    log.info("media secrets rotated to the newest key: %d", asyncio.run(_main(settings)))


if __name__ == "__main__":
    main()
