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
LISTINGS = "/api/v1/listings"
# Each demo seller's listings, published at the first start (a seller with any listing
# is left alone, so restarts and the user's own changes are kept).
DEMO_LISTINGS = {
    2: [
        {"title": "iPhone 13, 128 GB, blue", "category": "electronics", "price": "420",
         "currency": "USD", "city": "Tbilisi",
         "description": "Battery 89%, always in a case, charger included."},
        {"title": "Kids' bike, 16 inch", "category": "kids", "price": "60", "currency": "EUR",
         "city": "Berlin", "description": "For 4–6 years, with training wheels."},
        {"title": "Guitar lessons for beginners", "category": "services", "price": "25",
         "currency": "EUR", "city": "Lisbon",
         "description": "One hour, at your place or online. First lesson half price."},
    ],
    3: [
        {"title": "Диван угловой, серый", "category": "home", "price": "15000",
         "currency": "RUB", "city": "Москва",
         "description": "Раскладывается, есть ящик для белья. Самовывоз."},
        {"title": "Зимняя куртка, размер 50", "category": "clothing", "price": "4500",
         "currency": "RUB", "city": "Санкт-Петербург",
         "description": "Пуховик, носил один сезон."},
        {"title": "Сдаётся комната у метро", "category": "realty", "price": "30000",
         "currency": "RUB", "city": "Казань",
         "description": "10 минут пешком до метро, на длительный срок."},
    ],
}  # fmt: skip
INGEST_WAIT_S = 600.0
REPORT_EVERY_S = 10.0  # each look is an access line in the api's log


def load_demo_data(
    api_url: str, token: str, sandbox_url: str | None = None, *, acting_admin: int = DEMO_ADMIN
) -> None:
    with httpx.Client(base_url=api_url, headers={"X-Service-Token": token}, timeout=10) as api:
        for user in DEMO_USERS:
            api.post("/api/v1/users", json=user).raise_for_status()
        log.info("demo data loaded: %d users", len(DEMO_USERS))
        if sandbox_url is None:
            return  # a real bot token: demo users cannot sign in to the Mini App
        load_demo_listings(api_url, sandbox_url)
        register_demo_watch_provider(api, sandbox_url, acting_admin)
        load_demo_rentals(api, sandbox_url, acting_admin)
        feeds = register_demo_feeds(api, sandbox_url, acting_admin)
        register_demo_channels(api, sandbox_url, acting_admin)
    if feeds:
        threading.Thread(
            target=report_ingest,
            args=(api_url, token, acting_admin, feeds),
            name="demo-ingest-progress",
            daemon=True,
        ).start()


WATCH_PROVIDERS = "/api/v1/admin/watch/providers"
MUNICH_BOOKING = (
    "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html"
    "#/services/{service}/locations/{office}"
)


def register_demo_watch_provider(api: httpx.Client, sandbox_url: str, acting_admin: int) -> None:
    """The sandbox's ZMS stand-in as an appointment system to /watch (the worker reads its
    offices within minutes; open slots with POST /sandbox/appointments/slots)."""
    body = {
        "slug": "muenchen-sandbox",
        "kind": "zms",
        "name": "München (sandbox)",
        "base_url": f"{sandbox_url}/zms/api/backend/",
        "booking_url": MUNICH_BOOKING,
        "floor_interval_s": 60,  # make dev: a slot opened shows up within about a minute
    }
    response = api.post(WATCH_PROVIDERS, json=body, headers={"X-Acting-User": str(acting_admin)})
    if response.status_code not in (201, 409):  # 409: registered by an earlier start
        log.warning("could not add the demo watch provider: %s", response.text[:200])


def register_demo_channels(api: httpx.Client, sandbox_url: str, acting_admin: int) -> int:
    """The sandbox's public demo channels (its MTProto stand-in) as telegram sources: the
    worker reads them through the user-bot. Returns how many are registered."""
    try:
        channels = httpx.get(f"{sandbox_url}/sandbox/channels", timeout=10).json()
    except httpx.HTTPError as exc:
        log.warning("the sandbox's channels are not available: %r", exc)
        return 0
    headers = {"X-Acting-User": str(acting_admin)}
    registered = added = 0
    for channel in channels:
        if not channel.get("username"):
            continue  # a private channel: joined by its invite link, not a source here
        body = {"kind": "telegram", "handle": f"@{channel['username']}"}
        response = api.post(SOURCES, json=body, headers=headers)
        if response.status_code not in (201, 409):
            log.warning(
                "could not add the demo channel %s: %s", body["handle"], response.text[:200]
            )
            continue
        registered += 1
        added += response.status_code == 201
    log.info("demo channels: %d registered (%d new); the worker reads them", registered, added)
    return registered


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
            time.sleep(REPORT_EVERY_S)
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


def load_demo_listings(api_url: str, sandbox_url: str) -> None:
    """Demo sellers create and submit listings in the Mini App's way, the demo admin
    approves them. Anything that fails is a warning: the rest of make dev goes on."""
    try:
        with httpx.Client(base_url=api_url, timeout=10) as api:
            sandbox = SandboxSignIn(api, sandbox_url)
            submitted = [
                submission
                for seller, listings in DEMO_LISTINGS.items()
                for submission in _submit_listings(api, sandbox.headers(seller), listings)
            ]
            if submitted:
                admin = sandbox.headers(DEMO_ADMIN)
                for listing_id, revision in submitted:
                    api.post(
                        f"/api/v1/admin/listings/{listing_id}/approve",
                        json={"revision": revision},
                        headers=admin,
                    ).raise_for_status()
            log.info("demo listings: %d published (sellers with listings are left alone)",
                     len(submitted))  # fmt: skip
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("the demo listings were not loaded: %r", exc)


class SandboxSignIn:
    """Signs demo users in to the api as the Mini App does: with initData that the
    sandbox signs for its bot (``GET /sandbox/users/{id}/webapp``, its public user side),
    exchanged for a session token."""

    def __init__(self, api: httpx.Client, sandbox_url: str) -> None:
        self.api = api
        self.sandbox_url = sandbox_url

    def init_data(self, telegram_id: int) -> str:
        known = next(user for user in DEMO_USERS if user["telegram_id"] == telegram_id)
        profile = {key: str(value) for key, value in known.items() if key != "telegram_id"}
        params = {"url": f"{self.api.base_url}app/", **profile}
        response = httpx.get(
            f"{self.sandbox_url}/sandbox/users/{telegram_id}/webapp", params=params, timeout=10
        )
        response.raise_for_status()
        return str(response.json()["init_data"])

    def headers(self, telegram_id: int) -> dict[str, str]:
        """The Bearer header of a signed-in demo user."""
        authorization = {"Authorization": f"tma {self.init_data(telegram_id)}"}
        response = self.api.post("/api/v1/auth/telegram", headers=authorization)
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _submit_listings(
    api: httpx.Client, headers: dict[str, str], listings: list[dict[str, str]]
) -> list[tuple[int, int]]:
    """Create and submit the seller's demo listings, unless they have listings already;
    each submitted listing's id and the revision the admin approves."""
    mine = api.get(f"{LISTINGS}/mine", headers=headers, params={"limit": 1})
    mine.raise_for_status()
    if mine.json()["items"]:
        return []
    ids = []
    for body in listings:
        created = api.post(LISTINGS, json=body, headers=headers)
        created.raise_for_status()
        listing_id = int(created.json()["id"])
        submitted = api.post(f"{LISTINGS}/{listing_id}/submit", headers=headers)
        submitted.raise_for_status()
        ids.append((listing_id, int(submitted.json()["revision"])))
    return ids


DEMO_AVITO = {"user_id": 9_000_001, "client_id": "demo-avito-client",
              "client_secret": "demo-avito-secret-0123456789", "name": "Демо-хозяин"}  # fmt: skip
DEMO_GUEST_SETTINGS = {
    "mode": "auto",
    "house_rules": "Парковка бесплатная во дворе, въезд с улицы.\nКурить в квартире нельзя.\n"
    "Тишина после 23:00.\nЗаезд с 14:00, выезд до 12:00.",
}
DEMO_APARTMENTS = [
    {"id": 3_000_001, "title": "Студия у моря, Сочи", "address": "Сочи, Морская 1"},
    {"id": 3_000_002, "title": "Двушка в центре, Казань", "address": "Казань, Баумана 5"},
]


def load_demo_rentals(api: httpx.Client, sandbox_url: str, acting_admin: int) -> None:
    """A demo landlord (the demo admin) on the sandbox's Avito: two apartments, bookings,
    the account connected and synced through the api and the gateway, and a guest who
    writes. Anything that fails is a warning: the rest of make dev goes on."""
    from datetime import UTC, datetime, timedelta

    as_admin = {"X-Acting-User": str(acting_admin)}
    today = datetime.now(UTC).date()
    try:
        with httpx.Client(base_url=sandbox_url, timeout=10) as sandbox:
            sandbox.post("/sandbox/avito/accounts", json=DEMO_AVITO).raise_for_status()
            for n, flat in enumerate(DEMO_APARTMENTS):
                body = {"user_id": DEMO_AVITO["user_id"], "price": 4500, **flat}
                sandbox.post("/sandbox/avito/items", json=body).raise_for_status()
                check_in = today + timedelta(days=3 + 7 * n)
                sandbox.post(
                    "/sandbox/avito/bookings",
                    json={"id": 5_000_001 + n, "item_id": flat["id"], "name": "Мария",
                          "check_in": check_in.isoformat(),
                          "check_out": (check_in + timedelta(days=4)).isoformat()},
                ).raise_for_status()  # fmt: skip
            keys = {k: DEMO_AVITO[k] for k in ("client_id", "client_secret")}
            connected = api.post("/api/v1/rentals/accounts", json=keys, headers=as_admin)
            connected.raise_for_status()
            account = connected.json()["id"]
            api.post(f"/api/v1/rentals/accounts/{account}/sync", headers=as_admin, timeout=60)
            items = api.get(f"/api/v1/rentals/accounts/{account}/items", headers=as_admin)
            for row in items.json():  # the guest assistant answers from these (auto replies)
                api.patch(f"/api/v1/rentals/items/{row['id']}/guest", json=DEMO_GUEST_SETTINGS,
                          headers=as_admin)  # fmt: skip
            sandbox.post(
                "/sandbox/avito/guests/700100/messages",
                json={"item_id": DEMO_APARTMENTS[0]["id"], "name": "Мария",
                      "text": "Здравствуйте! Есть ли парковка? Приедем около 15:00."},
            ).raise_for_status()  # fmt: skip
        log.info("demo rentals: an Avito account with %d apartments", len(DEMO_APARTMENTS))
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("the demo rentals were not loaded: %r", exc)
