"""The api's client of the Avito gateway, one per process (made on first use)."""

from __future__ import annotations

from fastapi import Request

from concierge.common.http_client import ServiceClient
from concierge.contracts.avito import AvitoGatewayClient


def avito_gateway(request: Request) -> AvitoGatewayClient:
    client: AvitoGatewayClient | None = getattr(request.app.state, "avito_gateway", None)
    if client is None:
        settings = request.app.state.settings
        http = ServiceClient(
            settings.avito_url, settings.service_token.get_secret_value(), timeout=30.0
        )
        client = AvitoGatewayClient(http)
        request.app.state.avito_gateway = client
    return client
