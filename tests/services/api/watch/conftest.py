"""The watch desk's API in-process (real Postgres rolled back, real Redis), with a
provider whose catalog the worker would have read: two offices, two services."""

from __future__ import annotations

import httpx
import pytest

from tests.services.api.market.conftest import (  # noqa: F401 (fixtures)
    admin,
    market_app,
    service,
    web_client,
)

PROVIDER = {
    "slug": "muc",
    "kind": "zms",
    "name": "München",
    "base_url": "https://www48.muenchen.de/buergeransicht/api/backend/",
    "booking_url": "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html"
    "#/services/{service}/locations/{office}",
    "timezone": "Europe/Berlin",
    "floor_interval_s": 180,
}
CATALOG = {
    "offices": [
        {"id": "102522", "name": "Bürgerbüro Orleansplatz", "service_ids": ["1063453", "1063441"]},
        {"id": "54261", "name": "Bürgerbüro Pasing", "service_ids": ["1063441"]},
    ],
    "services": [
        {"id": "1063453", "name": "Reisepass"},
        {"id": "1063441", "name": "Personalausweis"},
    ],
}
BOOKING = (
    "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html"
    "#/services/1063453/locations/102522"
)


@pytest.fixture
async def provider(admin: httpx.AsyncClient, service: httpx.AsyncClient) -> str:  # noqa: F811
    response = await admin.post("/api/v1/admin/watch/providers", json=PROVIDER)
    assert response.status_code == 201, response.text
    response = await service.put("/api/v1/watch/service/providers/muc/catalog", json=CATALOG)
    assert response.status_code == 200, response.text
    assert response.json() == {"offices": 2, "services": 2}
    return "muc"
