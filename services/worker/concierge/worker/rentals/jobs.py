"""The rentals desk's jobs (payloads: ``concierge.contracts.jobs``).

- ``rentals.guest_message`` ``{"message_id"}``: a guest's message the api stored from the
  Avito webhook. THE HOOK FOR THE GUEST ASSISTANT: today the handler only marks the
  message handled (``rentals_messages.handled_at``); the assistant replaces it with the
  answer (through the gateway's send route) or the hand-off.
"""

from __future__ import annotations

import logging

from concierge.contracts.jobs import RENTALS_GUEST_MESSAGE
from concierge.streams import Job
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.rentals.repository import GuestMessageRepository

log = logging.getLogger(__name__)

jobs = WorkerJobs()


@jobs.handler(RENTALS_GUEST_MESSAGE.name)
async def guest_message(job: Job, ctx: WorkerContext) -> None:
    message_id = RENTALS_GUEST_MESSAGE.parse(job.payload).message_id
    async with ctx.database.transaction() as session:
        marked = await GuestMessageRepository(session).mark_handled(message_id)
    log.debug("guest message %d received (%s)", message_id, "marked" if marked else "seen")
