"""The rentals desk's jobs (payloads: ``concierge.contracts.jobs``).

- ``rentals.guest_message`` ``{"message_id"}``: a guest's message the api stored from the
  Avito webhook: the api's guest assistant answers it (``ANSWER_PATH``: the check-in
  extractor, then a reply sent through the gateway, a draft, or the hand-off). The api
  claims each message once; a 503 (the reply could not be sent) fails the job for a
  retry.
- ``rentals.bookings_poll`` (the ``rentals.bookings`` schedule, every
  ``WORKER_RENTALS_POLL_EVERY_S``): asks the api to poll every item's bookings.
"""

from __future__ import annotations

import logging

from concierge.common.http_client import ServiceClient
from concierge.contracts.guest import ANSWER_PATH
from concierge.contracts.jobs import RENTALS_BOOKINGS_POLL, RENTALS_GUEST_MESSAGE
from concierge.db import Database
from concierge.streams import Job
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

BOOKINGS_SCHEDULE = "rentals.bookings"
POLL_PATH = "/api/v1/internal/rentals/bookings/poll"

jobs = WorkerJobs()


@jobs.handler(RENTALS_GUEST_MESSAGE.name)
async def guest_message(job: Job, ctx: WorkerContext) -> None:
    message_id = RENTALS_GUEST_MESSAGE.parse(job.payload).message_id
    token = ctx.settings.service_token.get_secret_value()
    async with ServiceClient(ctx.settings.api_url, token, timeout=60.0, attempts=1) as api:
        response = await api.request("POST", ANSWER_PATH.format(message_id=message_id))
    log.debug("guest message %d: %s", message_id, response.json().get("action"))


@jobs.handler(RENTALS_BOOKINGS_POLL.name)
async def bookings_poll(job: Job, ctx: WorkerContext) -> None:
    token = ctx.settings.service_token.get_secret_value()
    async with ServiceClient(ctx.settings.api_url, token, timeout=300.0, attempts=1) as api:
        await api.request("POST", POLL_PATH)


async def save_rentals_schedules(database: Database, settings: WorkerSettings) -> None:
    async with database.transaction() as session:
        await save_schedule(
            session,
            BOOKINGS_SCHEDULE,
            RENTALS_BOOKINGS_POLL.name,
            every_s=settings.rentals_poll_every_s,
            enabled=settings.rentals_poll_every_s > 0,
        )
