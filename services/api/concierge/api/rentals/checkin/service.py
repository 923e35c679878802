"""Check-in extraction: the LLM when one is configured and free, the rules otherwise.

The LLM's answer must be strict JSON of the schema (``prompt.read_answer``); when it
fails, times out, is busy or answers anything else, the rules answer (method "rules").
Extraction never fails because of the LLM.
"""

from __future__ import annotations

import logging
from datetime import datetime

from concierge.agent.errors import LlmError
from concierge.api.assistant.service import AssistantRuntime
from concierge.api.rentals.checkin.prompt import build_prompt, read_answer
from concierge.api.rentals.checkin.rules import extract
from concierge.api.rentals.checkin.schemas import CheckInExtraction, CheckInExtractRequest
from concierge.common import clock

log = logging.getLogger(__name__)


class CheckInService:
    def __init__(self, runtime: AssistantRuntime | None) -> None:
        self.runtime = runtime

    async def extract(self, request: CheckInExtractRequest) -> CheckInExtraction:
        received_at = request.received_at or clock.utcnow()
        if self.runtime is not None and self.runtime.llm is not None:
            try:
                return await self.by_llm(request.text, received_at)
            except LlmError as exc:
                log.warning("check-in extraction falls back to the rules: %s", exc)
        return self.by_rules(request.text, received_at)

    def by_rules(self, text: str, received_at: datetime) -> CheckInExtraction:
        found = extract(text, received_at)
        return CheckInExtraction(
            check_in_time=found.check_in_time,
            date=found.date,
            confidence=found.confidence,
            method="rules",
        )

    async def by_llm(self, text: str, received_at: datetime) -> CheckInExtraction:
        runtime = self.runtime
        if runtime is None or runtime.llm is None:
            raise LlmError("no model is configured")
        if runtime.slots.locked():
            raise LlmError("the model is busy")
        async with runtime.slots:
            reply = await runtime.llm.complete(build_prompt(text, received_at))
        found = read_answer(reply)
        return CheckInExtraction(
            check_in_time=found.check_in_time,
            date=found.date,
            confidence=found.confidence,
            method="llm",
        )
