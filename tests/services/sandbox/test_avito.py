"""The sandbox's Avito stand-in keeps Avito's rules: a token first, every date left out of
an availability write closed (an empty list closes the whole year), no past dates and no
paid booking closed, errors in Avito's shape, faults on demand."""

from __future__ import annotations

from datetime import timedelta

import httpx

from concierge.common import clock
from tests.services.sandbox.conftest import StartSandbox


async def _token(http: httpx.AsyncClient) -> dict[str, str]:
    account = {"user_id": 11, "client_id": "c", "client_secret": "s"}
    await http.post("/sandbox/avito/accounts", json=account)
    form = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    answer = (await http.post("/avito/token", data=form)).json()
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 86_400
    return {"Authorization": f"Bearer {answer['access_token']}"}


async def test_avito_rules(start_sandbox: StartSandbox) -> None:
    sandbox = await start_sandbox()
    http = sandbox.http
    wrong = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "x"}
    auth = await _token(http)
    assert (await http.post("/avito/token", data=wrong)).json()["error"] == "invalid_client"
    assert (await http.get("/avito/core/v1/accounts/self")).status_code == 401
    assert (await http.get("/avito/core/v1/accounts/self", headers=auth)).json()["id"] == 11
    item = (await http.post("/sandbox/avito/items", json={"user_id": 11, "title": "A"})).json()
    today = clock.utcnow().date()
    span = {"date_start": today.isoformat(), "date_end": (today + timedelta(days=30)).isoformat()}
    calendar = f"/sandbox/avito/items/{item['id']}/calendar"

    empty = {"item_id": item["id"], "intervals": []}
    assert (
        await http.post("/avito/realty/v1/items/intervals", json=empty, headers=auth)
    ).status_code == 200
    assert set((await http.get(calendar, params=span)).json().values()) == {"closed"}

    past = {"bookings": [{"date_start": (today - timedelta(days=1)).isoformat(),
                          "date_end": today.isoformat()}]}  # fmt: skip
    closing = f"/avito/core/v1/accounts/11/items/{item['id']}/bookings"
    refused = await http.post(closing, json=past, headers=auth)
    assert refused.status_code == 400
    assert "error" in refused.json()

    await http.post("/sandbox/avito/faults", json={"kind": "429"})
    limited = await http.get("/avito/core/v1/accounts/self", headers=auth)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
    await http.post("/sandbox/avito/faults", json={"kind": "expire"})
    assert (await http.get("/avito/core/v1/accounts/self", headers=auth)).status_code == 401
