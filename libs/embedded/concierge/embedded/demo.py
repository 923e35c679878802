"""Demo data for ``make dev``, loaded through the public APIs so it obeys every rule.

Loading is idempotent: running ``make dev`` again refreshes the same rows. The
sandbox's feeds (the demo corpus) are registered as sources, so the worker ingests
them for real; a background thread reports once when they are in.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

log = logging.getLogger("devstack")

DEMO_USERS = [
    {"telegram_id": 1, "first_name": "Demo", "last_name": "Admin", "username": "demo_admin",
     "language_code": "ru"},
    {"telegram_id": 2, "first_name": "Alice", "username": "alice", "language_code": "en"},
    {"telegram_id": 3, "first_name": "Борис", "username": "boris", "language_code": "ru"},
]  # fmt: skip
DEMO_ADMIN = 1
SOURCES = "/api/v1/admin/sources"
INGEST_WAIT_S = 600.0


def load_demo_data(
    api_url: str, token: str, sandbox_url: str | None = None, *, acting_admin: int = DEMO_ADMIN
) -> None:
    with httpx.Client(base_url=api_url, headers={"X-Service-Token": token}, timeout=10) as api:
        for user in DEMO_USERS:
            api.post("/api/v1/users", json=user).raise_for_status()
        log.info("demo data loaded: %d users", len(DEMO_USERS))
        if sandbox_url is None:
            return
        feeds = register_demo_feeds(api, sandbox_url, acting_admin)
    if feeds:
        threading.Thread(
            target=report_ingest,
            args=(api_url, token, acting_admin, feeds),
            name="demo-ingest-progress",
            daemon=True,
        ).start()


def register_demo_feeds(api: httpx.Client, sandbox_url: str, acting_admin: int) -> set[str]:
    """Every feed the sandbox serves, as an RSS source; returns their URLs."""
    try:
        feeds = httpx.get(f"{sandbox_url}/sandbox/feeds", timeout=10).json()
    except httpx.HTTPError as exc:
        log.warning("the sandbox's feeds are not available: %r", exc)
        return set()
    headers = {"X-Acting-User": str(acting_admin)}
    urls, added = set(), 0
    for feed in feeds:
        body = {"kind": "rss", "url": feed["url"], "title": feed["title"]}
        response = api.post(SOURCES, json=body, headers=headers)
        if response.status_code not in (201, 409):  # 409: registered by an earlier start
            log.warning("could not add the demo feed %s: %s", feed["url"], response.text[:200])
            continue
        urls.add(feed["url"])
        added += response.status_code == 201
    log.info("demo feeds: %d registered (%d new); the worker ingests them now", len(urls), added)
    return urls


def report_ingest(api_url: str, token: str, acting_admin: int, urls: set[str]) -> None:
    """Say once how many documents the demo feeds gave, when each has been checked."""
    headers = {"X-Service-Token": token, "X-Acting-User": str(acting_admin)}
    started = time.monotonic()
    with httpx.Client(base_url=api_url, headers=headers, timeout=10) as api:
        while time.monotonic() - started < INGEST_WAIT_S:
            time.sleep(2)
            try:
                sources = [s for s in api.get(SOURCES).json() if s["url"] in urls]
            except (httpx.HTTPError, ValueError):
                continue  # stopping, or not up yet
            if sources and all(s["last_checked_at"] for s in sources):
                documents = sum(s["document_count"] for s in sources)
                failed = [s["url"] for s in sources if s["error_count"]]
                log.info(
                    "demo feeds ingested: %d documents from %d feeds in %.0f s%s",
                    documents,
                    len(sources),
                    time.monotonic() - started,
                    f"; failing: {', '.join(failed)}" if failed else "",
                )
                return
    log.warning("the demo feeds were not all checked within %.0f s", INGEST_WAIT_S)
