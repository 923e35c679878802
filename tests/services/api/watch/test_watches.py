"""A person's watches: created, listed, paused, resumed, changed, deleted; bad input
refused with a clear 4xx; nobody sees or changes another person's watches."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from tests.services.api.market.conftest import WebClient
from tests.services.api.watch.conftest import BOOKING

PERSON = 710_001
OTHER = 710_002


def _watch(**changes: object) -> dict[str, object]:
    today = date.today()
    body: dict[str, object] = {
        "provider": "muc",
        "office": "102522",
        "service": "1063453",
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=30)).isoformat(),
        "weekdays": [1, 2, 3, 4, 5],
        "time_from": "08:00",
        "time_to": "12:00",
    }
    body.update(changes)
    return body


async def test_a_person_manages_their_watches(provider: str, web_client: WebClient) -> None:
    person = await web_client(PERSON)
    created = await person.post("/api/v1/watches", json=_watch())
    assert created.status_code == 201, created.text
    watch = created.json()
    assert watch["office"] == {"id": "102522", "name": "Bürgerbüro Orleansplatz"}
    assert watch["service"]["name"] == "Reisepass"
    assert watch["booking_url"] == BOOKING
    assert watch["weekdays"] == [1, 2, 3, 4, 5]
    assert watch["paused"] is False
    assert watch["target_state"] == "new"

    listed = (await person.get("/api/v1/watches")).json()
    assert [w["id"] for w in listed] == [watch["id"]]

    paused = await person.patch(f"/api/v1/watches/{watch['id']}", json={"paused": True})
    assert paused.status_code == 200
    assert paused.json()["paused"] is True
    assert paused.json()["paused_reason"] == "user"
    resumed = await person.patch(f"/api/v1/watches/{watch['id']}", json={"paused": False})
    assert resumed.json()["paused"] is False

    fields = ("date_from", "date_to", "weekdays", "time_from", "time_to")
    window = {k: v for k, v in _watch(weekdays=[6, 7], time_from="10:00").items() if k in fields}
    edited = await person.patch(f"/api/v1/watches/{watch['id']}", json={"window": window})
    assert edited.status_code == 200, edited.text
    assert edited.json()["weekdays"] == [6, 7]
    assert edited.json()["time_from"] == "10:00:00"

    assert (await person.delete(f"/api/v1/watches/{watch['id']}")).status_code == 204
    assert (await person.get("/api/v1/watches")).json() == []
    assert (await person.delete(f"/api/v1/watches/{watch['id']}")).status_code == 404


async def test_watches_are_scoped_to_their_owner(provider: str, web_client: WebClient) -> None:
    person, other = await web_client(PERSON), await web_client(OTHER)
    watch = (await person.post("/api/v1/watches", json=_watch())).json()
    assert (await other.get("/api/v1/watches")).json() == []
    for response in (
        await other.patch(f"/api/v1/watches/{watch['id']}", json={"paused": True}),
        await other.delete(f"/api/v1/watches/{watch['id']}"),
    ):
        assert response.status_code == 404
    assert (await person.get("/api/v1/watches")).json()[0]["paused"] is False


async def test_two_people_on_one_office_share_one_target(
    provider: str, web_client: WebClient, admin: httpx.AsyncClient
) -> None:
    for telegram_id in (PERSON, OTHER):
        client = await web_client(telegram_id)
        assert (await client.post("/api/v1/watches", json=_watch())).status_code == 201
    targets = (await admin.get("/api/v1/admin/watch/targets")).json()
    assert len(targets) == 1
    assert targets[0]["watchers"] == 2


async def test_bad_input_is_a_clear_4xx(provider: str, web_client: WebClient) -> None:
    person = await web_client(PERSON)
    today = date.today()
    cases = [
        (_watch(date_from="2020-01-01", date_to="2020-02-01"), 422, "past"),
        (_watch(date_to=(today + timedelta(days=400)).isoformat()), 422, "days ahead"),
        (
            _watch(date_from=(today + timedelta(days=5)).isoformat(), date_to=today.isoformat()),
            422,
            "date_from",
        ),
        (_watch(time_from="12:00", time_to="08:00"), 422, "time_from"),
        (_watch(weekdays=[]), 422, ""),
        (_watch(weekdays=[0, 8]), 422, ""),
        (_watch(office="999"), 422, "no office '999'"),
        (_watch(service="777"), 422, "does not offer"),
        (_watch(office="54261", service="1063453"), 422, "does not offer"),  # not offered there
        (_watch(provider="nowhere"), 404, "no provider"),
        (_watch(provider="Bad Slug!"), 422, ""),
        (_watch(office="10\x002522"), 422, ""),
        (_watch(date_from="not a date"), 422, ""),
        ({**_watch(), "surprise": 1}, 422, ""),
    ]
    for body, status, words in cases:
        response = await person.post("/api/v1/watches", json=body)
        assert response.status_code == status, (body, response.text)
        assert words in response.text, response.text
    assert (await person.get("/api/v1/watches")).json() == []
    assert (await person.patch("/api/v1/watches/0", json={"paused": True})).status_code == 422


async def test_offices_are_searched_and_services_listed(
    provider: str, web_client: WebClient
) -> None:
    person = await web_client(PERSON)
    found = (await person.get("/api/v1/watch/providers/muc/offices", params={"q": "pasing"})).json()
    assert found == [{"id": "54261", "name": "Bürgerbüro Pasing"}]
    percent = await person.get("/api/v1/watch/providers/muc/offices", params={"q": "%"})
    assert percent.json() == []
    services = await person.get("/api/v1/watch/providers/muc/offices/54261/services")
    assert services.json() == [{"id": "1063441", "name": "Personalausweis"}]
    missing = await person.get("/api/v1/watch/providers/muc/offices/1/services")
    assert missing.status_code == 404
    assert [p["slug"] for p in (await person.get("/api/v1/watch/providers")).json()] == ["muc"]
    offices = "/api/v1/watch/providers/muc/offices"
    pages = [
        [o["name"] for o in (await person.get(offices, params={"limit": 1, "offset": n})).json()]
        for n in range(3)
    ]
    assert pages == [["Bürgerbüro Orleansplatz"], ["Bürgerbüro Pasing"], []]
    for bad in (-1, 5001, "x"):
        assert (await person.get(offices, params={"offset": bad})).status_code == 422


async def test_only_admins_see_target_health(provider: str, web_client: WebClient) -> None:
    person = await web_client(PERSON)
    assert (await person.get("/api/v1/admin/watch/targets")).status_code == 403
    response = await person.post("/api/v1/admin/watch/providers", json={})
    assert response.status_code in (403, 422)


async def test_bad_providers_and_catalogs_are_refused(
    provider: str, admin: httpx.AsyncClient, service: httpx.AsyncClient
) -> None:
    from tests.services.api.watch.conftest import PROVIDER

    for changes in (
        {"slug": "other", "timezone": "Mars/Olympus"},
        {"slug": "other", "config": {"url": "a\x00b"}},
        {"slug": "other", "config": {"blob": "x" * 30_000}},
        {"slug": "other", "booking_url": "javascript:alert(1)"},
        {"slug": "other", "floor_interval_s": 0},
    ):
        response = await admin.post("/api/v1/admin/watch/providers", json={**PROVIDER, **changes})
        assert response.status_code == 422, (changes, response.text)
    again = await admin.post("/api/v1/admin/watch/providers", json=PROVIDER)
    assert again.status_code == 409

    url = "/api/v1/watch/service/providers/muc/catalog"
    twice = {"offices": [{"id": "1", "name": "A"}, {"id": "1", "name": "B"}], "services": []}
    response = await service.put(url, json=twice)
    assert response.status_code == 200, response.text
    found = await admin.get("/api/v1/watch/providers/muc/offices", params={"q": "1"})
    assert {"id": "1", "name": "B"} in found.json()
    nul = {"offices": [], "services": [{"id": "x\x00", "name": "n"}]}
    assert (await service.put(url, json=nul)).status_code == 422
    missing = await service.put("/api/v1/watch/service/providers/nowhere/catalog", json=twice)
    assert missing.status_code == 404


async def test_times_with_an_offset_are_refused(provider: str, web_client: WebClient) -> None:
    person = await web_client(PERSON)
    response = await person.post("/api/v1/watches", json=_watch(time_from="08:00+02:00"))
    assert response.status_code == 422
    assert "local time" in response.text
