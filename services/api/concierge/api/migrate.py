"""Apply api's migrations: ``python -m concierge.api.migrate`` (the compose one-shot)."""

from __future__ import annotations

import logging
from pathlib import Path

from concierge.api.settings import ApiSettings
from concierge.common.logging import configure_logging
from concierge.db.migrations import upgrade

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade_database(database_url: str) -> None:
    upgrade(MIGRATIONS, database_url)


def main() -> None:
    settings = ApiSettings()
    configure_logging("migrate", settings.log_level, settings.log_json)
    upgrade_database(settings.database_url)
    logging.getLogger(__name__).info("database is at the latest revision")


if __name__ == "__main__":
    main()
