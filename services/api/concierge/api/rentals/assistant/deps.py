"""The guest assistant's dependencies: its repository, the outbox, the Avito gateway,
the check-in extractor, and the agent when an LLM is configured (made on first use)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from concierge.agent.providers import build_model
from concierge.api.assistant.deps import llm_config
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.rentals.assistant.agent import GuestAgent
from concierge.api.rentals.assistant.repository import GuestAssistantRepository
from concierge.api.rentals.assistant.service import GuestAssistant
from concierge.api.rentals.checkin.deps import get_checkin_service
from concierge.api.rentals.gateway import avito_gateway
from concierge.db import SessionDep

NO_AGENT = object()


def guest_agent(request: Request) -> GuestAgent | None:
    agent = getattr(request.app.state, "guest_agent", NO_AGENT)
    if agent is NO_AGENT:
        config = llm_config(request.app.state.settings)
        agent = GuestAgent(build_model(config)) if config is not None else None
        request.app.state.guest_agent = agent
    return agent  # type: ignore[return-value]


def get_guest_assistant(
    request: Request, session: SessionDep, notify: NotifyServiceDep
) -> GuestAssistant:
    return GuestAssistant(
        GuestAssistantRepository(session),
        notify,
        avito_gateway(request),
        get_checkin_service(request),
        guest_agent(request),
        timedelta(hours=request.app.state.settings.rentals_draft_ttl_h),
    )


GuestAssistantDep = Annotated[GuestAssistant, Depends(get_guest_assistant)]
