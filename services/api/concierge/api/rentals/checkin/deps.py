"""The check-in API's dependencies: the service over the assistant's LLM runtime."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.rentals.checkin.service import CheckInService


def get_checkin_service(request: Request) -> CheckInService:
    # the assistant's runtime (its LLM client and concurrency cap), opened in the lifespan
    return CheckInService(getattr(request.app.state, "assistant", None))


CheckInServiceDep = Annotated[CheckInService, Depends(get_checkin_service)]
