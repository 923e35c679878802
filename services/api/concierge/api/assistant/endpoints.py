from __future__ import annotations

from fastapi import APIRouter, Depends

from concierge.api.assistant.deps import AssistantServiceDep
from concierge.api.assistant.schemas import Answer, AnswerRequest
from concierge.common.auth import require_service_token

router = APIRouter(tags=["assistant"], dependencies=[Depends(require_service_token)])


@router.post("/assistant/answer", response_model=Answer)
async def answer(request: AnswerRequest, assistant: AssistantServiceDep) -> Answer:
    """Answer a question from the knowledge store, citing the passages used as [n].

    Written by the configured LLM; without one (or when it fails or is slow) the
    answer is made of the best matching sentences (``mode="extractive"``, with
    ``degraded_reason`` when an LLM was tried). ``mode="none"``: nothing found.
    """
    return await assistant.answer(request)
