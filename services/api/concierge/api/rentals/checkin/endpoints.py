"""The rentals desk's check-in routes (service token: the Avito gateway and the bot)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from concierge.api.rentals.checkin.deps import CheckInServiceDep
from concierge.api.rentals.checkin.schemas import CheckInExtraction, CheckInExtractRequest
from concierge.common.auth import require_service_token

router = APIRouter(tags=["rentals"], dependencies=[Depends(require_service_token)])


@router.post("/rentals/check-in/extract", response_model=CheckInExtraction)
async def extract_check_in(
    request: CheckInExtractRequest, checkin: CheckInServiceDep
) -> CheckInExtraction:
    """The arrival time (``HH:MM``) and date (``YYYY-MM-DD``) a guest's message states.

    Either is null when not stated; a part of the day alone ("вечером", "after lunch")
    gives a null time with a low confidence. Relative dates count from ``received_at``
    (default now, UTC). With an LLM configured it reads the message (``method="llm"``);
    without one, or when it fails, is slow, busy or answers outside the schema, the
    rules do (``method="rules"``).
    """
    return await checkin.extract(request)
