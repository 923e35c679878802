"""Demo data for ``make dev``, loaded through the public APIs so it obeys every rule.

Loading is idempotent: running ``make dev`` again refreshes the same rows.
"""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("devstack")

DEMO_USERS = [
    {"telegram_id": 1, "first_name": "Demo", "last_name": "Admin", "username": "demo_admin",
     "language_code": "ru"},
    {"telegram_id": 2, "first_name": "Alice", "username": "alice", "language_code": "en"},
    {"telegram_id": 3, "first_name": "Борис", "username": "boris", "language_code": "ru"},
]  # fmt: skip


def load_demo_data(api_url: str, token: str) -> None:
    with httpx.Client(base_url=api_url, headers={"X-Service-Token": token}, timeout=10) as api:
        for user in DEMO_USERS:
            api.post("/api/v1/users", json=user).raise_for_status()
    log.info("demo data loaded: %d users", len(DEMO_USERS))
