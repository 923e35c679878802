"""Guest messages from the webhook's stream to the api, in idempotent batches.

The api stores each message keyed by its Avito ids, so a batch sent twice stores nothing
the second time; entries are acknowledged only after the api said it stored them. A batch
the api cannot take now (unreachable, 5xx) is tried again with backoff, never dropped; a
batch the api refuses (4xx: a bug, or an account deleted meanwhile) is logged and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import orjson
from prometheus_client import Counter

from concierge.common.http_client import ServiceClient, ServiceResponseError, ServiceUnavailable
from concierge.contracts.avito import GUEST_MESSAGES_PATH, GuestMessageBatch, GuestMessageEvent
from concierge.streams import StreamEntry, StreamGroup

log = logging.getLogger(__name__)

FORWARDED = Counter("avito_events_forwarded_total", "Guest messages handed to the api", ["outcome"])
MAX_PAUSE_S = 30.0


class EventForwarder:
    def __init__(self, group: StreamGroup, api: ServiceClient, batch: int = 100) -> None:
        self.group = group
        self.api = api
        self.batch = batch
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        await self.group.ensure()
        while not self._stopping.is_set():
            try:
                entries = await self.group.read(self.batch, block_ms=500)
            except Exception:  # Redis away: wait and read again
                log.exception("reading the avito event stream failed")
                await self._pause(1.0)
                continue
            if entries:
                await self._forward(entries)

    async def _forward(self, entries: list[StreamEntry]) -> None:
        events = [_event(entry) for entry in entries]
        valid = [event for event in events if event is not None]
        pause, settled = 0.2, not valid
        while not settled and not self._stopping.is_set():
            try:
                await self.api.request(
                    "POST",
                    GUEST_MESSAGES_PATH,
                    json=GuestMessageBatch(events=valid).model_dump(mode="json"),
                    idempotent=True,
                )
                FORWARDED.labels("stored").inc(len(valid))
                settled = True
            except ServiceUnavailable as exc:
                log.warning("api unavailable for %d guest messages: %s", len(valid), exc)
                await self._pause(random.uniform(0, pause))
                pause = min(MAX_PAUSE_S, pause * 2)
            except ServiceResponseError as exc:
                log.error("api refused %d guest messages: %s", len(valid), exc.status_code)
                FORWARDED.labels("refused").inc(len(valid))
                settled = True
        if not settled:
            return  # stopping: left pending for the next start
        for entry in entries:
            await self.group.ack(entry.id)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _event(entry: StreamEntry) -> GuestMessageEvent | None:
    try:
        return GuestMessageEvent.model_validate(orjson.loads(entry.fields["event"]))
    except (KeyError, ValueError):
        log.error("dropping a malformed avito event entry %s", entry.id)
        return None
