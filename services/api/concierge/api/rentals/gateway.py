"""The api's client of the Avito gateway, one per process (made on first use)."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import State

from concierge.common.http_client import ServiceClient
from concierge.contracts.avito import AvitoGatewayClient


def gateway_of(state: State) -> AvitoGatewayClient:
    """The process's client, from the app's state (routes and MCP tools alike)."""
    client: AvitoGatewayClient | None = getattr(state, "avito_gateway", None)
    if client is None:
        settings = state.settings
        http = ServiceClient(
            settings.avito_url, settings.service_token.get_secret_value(), timeout=30.0
        )
        client = AvitoGatewayClient(http)
        state.avito_gateway = client
    return client


def avito_gateway(request: Request) -> AvitoGatewayClient:
    return gateway_of(request.app.state)
