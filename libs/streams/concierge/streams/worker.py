"""The consume loop: runs the jobs of one queue, a bounded number at a time.

- A job is acknowledged (XACK and XDEL in one transaction) only after its handler
  returned, so whatever the handler committed is done before the entry goes.
- While a job runs, a heartbeat resets the idle time of its entry, so a long job
  is not taken for abandoned.
- Entries another worker left idle longer than ``reclaim_after_s`` (it died, or its
  event loop is stuck) are reclaimed and run here. A process is never handed an entry
  it is running (each hand-out counts a delivery): at start it reads the backlog of
  its consumer name once, before its first reclaim, and reclaims skip its running jobs.
- A job whose handler raised is retried later, after a full-jitter exponential
  backoff, as a new entry that carries its delivery count. A job delivered
  ``max_deliveries`` times (failures and crashes alike) moves to the dead stream
  with its last error and is acknowledged.
- Acknowledging, retrying and burying act only on an entry still pending, so when a
  stalled worker and the one that reclaimed its entry both finish, the job is settled
  once (one retry, one dead entry).
- An entry handed out again after its worker died, stalled or was stopped (delivered
  before and never settled: a redelivered job, typical after a deploy) runs alongside
  new jobs, at most ``redelivered_per_type`` of one job type at a time; the claim leaves
  the others pending for a later claim, so they never hold the slots of new work.
- A redelivered entry may be what killed its worker (a poison job), so one handed out
  ``alone_after`` times without being settled, or on its job's last delivery, runs
  alone: claims stop, the jobs already running finish, then it runs, and nothing else
  starts until it ends. A poison job thus crashes workers in company ``alone_after``
  times at most, and is buried for crashes it had alone; a job that only ran beside
  crashing ones is dragged along at most ``alone_after`` times, then runs alone and is
  done: never buried for another job's crash (unless its own failures had already
  brought it to its last delivery).
- One INFO line per job done; failures, retries and burials are warnings and errors.
- ``shutdown()`` stops reading, gives running jobs a grace period and leaves the
  ones still running unacknowledged: another worker reclaims them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from redis.exceptions import RedisError

from concierge.common.logging import bound_request_id
from concierge.streams.group import StreamEntry, StreamGroup
from concierge.streams.jobs import InvalidJob, Job, JobQueue, backoff_delay
from concierge.streams.metrics import (
    JOB_DURATION,
    JOBS_IN_FLIGHT,
    JOBS_PROCESSED,
    record_queue_stats,
)
from concierge.streams.scripts import ClaimLimits

log = logging.getLogger(__name__)

T = TypeVar("T")
JobRunner = Callable[[Job], Awaitable[None]]

CHORES_TICK_S = 0.25  # how often due retries are moved back into the stream
CHORES_STOP_S = 5.0  # the chores' last Redis call, at shutdown
SETTLE_ATTEMPTS = 8  # a state change in Redis is retried for about 10 s (a Redis restart)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 8
    reclaim_after_s: float = 60.0  # idle time after which an entry counts as abandoned
    max_deliveries: int = 5
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    job_timeout_s: float = 900.0  # a hung handler fails instead of heartbeating forever
    read_block_s: float = 1.0
    stats_every_s: float = 5.0
    forget_consumers_after_s: float = 3600.0  # consumers of processes long gone
    redelivered_per_type: int = 2  # redelivered entries of one job type running at once
    alone_after: int = 2  # an entry handed out this many times unsettled runs alone

    @property
    def heartbeat_every_s(self) -> float:
        return self.reclaim_after_s / 4

    @property
    def reclaim_every_s(self) -> float:
        return min(self.reclaim_after_s / 2, 30.0)


class JobWorker:
    def __init__(
        self,
        queue: JobQueue,
        group: StreamGroup,
        run_job: JobRunner,
        options: WorkerOptions | None = None,
    ) -> None:
        self.queue = queue
        self.group = group
        self.run_job = run_job
        self.options = options or WorkerOptions()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._redelivered: dict[str, str] = {}  # running entries delivered before: type
        self._alone: str | None = None  # the entry that runs alone, waiting or running
        self._slot_freed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._consumer: asyncio.Task[None] | None = None
        self._chores: asyncio.Task[None] | None = None
        self._chores_done = asyncio.Event()  # set last in shutdown: the heartbeat stops

    @property
    def running(self) -> int:
        return len(self._running)

    def start(self) -> None:
        self._consumer = asyncio.create_task(self._consume(), name=f"jobs:{self.queue.stream}")

    async def shutdown(self, grace_s: float) -> None:
        """Stop reading; wait up to grace_s for running jobs; leave the rest pending."""
        deadline = asyncio.get_running_loop().time() + grace_s
        self._stopping.set()
        if self._consumer is not None:
            await asyncio.gather(self._consumer, return_exceptions=True)
        if self._running:
            timeout = max(0.0, deadline - asyncio.get_running_loop().time())
            _, late = await asyncio.wait(list(self._running.values()), timeout=timeout)
            if late:
                message = "%d job(s) still running after %.1f s; left for another worker"
                log.warning(message, len(late), grace_s)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        await self._stop_chores()

    # --- reading -------------------------------------------------------------------

    async def _consume(self) -> None:
        if not await self._ensure_group():
            return
        self._chores = asyncio.create_task(self._do_chores(), name="jobs:chores")
        loop = asyncio.get_running_loop()
        next_reclaim = loop.time()  # at once: a crashed predecessor may have left work
        while not self._stopping.is_set():
            try:
                # Each batch starts as soon as it is claimed (so it is in _running, which
                # the heartbeat keeps and which no later read or reclaim hands out again).
                if not await self._free_slots():
                    continue  # stopping
                if self._alone is not None:  # nothing is claimed until it has run
                    await self._next_finish()
                    continue
                if not self.group.backlog_done:  # first: what our name held before a restart
                    backlog = await self.group.read_backlog(
                        self._free(), self._running, self._limits()
                    )
                    self._start_all(backlog)
                    continue
                if loop.time() >= next_reclaim:
                    next_reclaim = loop.time() + self.options.reclaim_every_s
                    idle_ms = int(self.options.reclaim_after_s * 1000)
                    reclaimed = await self.group.reclaim(
                        idle_ms, self._free(), self._running, self._limits()
                    )
                    self._start_all(reclaimed)
                if self._free() and self._alone is None:
                    self._start_all(await self._read(self._free()))
            except RedisError as exc:
                log.warning("reading %s failed: %r; retrying in 1 s", self.queue.stream, exc)
                await self._pause(1.0)
            except Exception:
                log.exception("the job consumer of %s failed; retrying in 1 s", self.queue.stream)
                await self._pause(1.0)

    async def _ensure_group(self) -> bool:
        while not self._stopping.is_set():
            try:
                await self.group.ensure()
                return True
            except RedisError as exc:
                log.warning("cannot create the consumer group: %r; retrying in 1 s", exc)
                await self._pause(1.0)
        return False

    async def _next_finish(self) -> None:
        """Wait until a running job finishes (or shutdown starts)."""
        self._slot_freed.clear()
        await self._unless_stopping(self._slot_freed.wait())

    async def _free_slots(self) -> int:
        """Wait until a job may start; 0 once stopping."""
        while len(self._running) >= self.options.concurrency and not self._stopping.is_set():
            self._slot_freed.clear()
            await self._unless_stopping(self._slot_freed.wait())
            await asyncio.sleep(0)  # jobs finishing in the same loop turn: one read for all
        return 0 if self._stopping.is_set() else self._free()

    def _free(self) -> int:
        return max(0, self.options.concurrency - len(self._running))

    def _limits(self) -> ClaimLimits:
        """What a claim of redelivered entries may take now."""
        return ClaimLimits(
            per_type=self.options.redelivered_per_type,
            running=Counter(self._redelivered.values()),
            alone_after=self.options.alone_after,
            last_delivery=self.options.max_deliveries,
        )

    async def _read(self, count: int) -> list[StreamEntry]:
        """New entries (the backlog has been read by then)."""
        block_ms = int(self.options.read_block_s * 1000)
        return await self._unless_stopping(self.group.read(count, block_ms)) or []

    async def _unless_stopping(self, awaitable: Awaitable[T]) -> T | None:
        """Await it, but give up (cancelling it) as soon as shutdown starts."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if work.done():
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        return None

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # --- running -------------------------------------------------------------------

    def _start_all(self, entries: list[StreamEntry]) -> None:
        for entry in entries:
            self._start(entry)

    def _start(self, entry: StreamEntry) -> None:
        if entry.id in self._running:  # never twice at once here (the group prevents it)
            log.error("entry %s was handed out again while it runs here", entry.id)
            return
        task = asyncio.create_task(self._handle(entry), name=f"job:{entry.id}")
        self._running[entry.id] = task
        if entry.deliveries > 1:  # handed out before and never settled: its worker died
            self._redelivered[entry.id] = entry.fields.get("type", "")
        if entry.alone:
            self._alone = entry.id
        JOBS_IN_FLIGHT.labels(self.queue.stream).set(len(self._running))
        task.add_done_callback(partial(self._finished, entry.id))

    def _finished(self, entry_id: str, _: asyncio.Task[None]) -> None:
        self._running.pop(entry_id, None)
        self._redelivered.pop(entry_id, None)
        if self._alone == entry_id:
            self._alone = None
        JOBS_IN_FLIGHT.labels(self.queue.stream).set(len(self._running))
        self._slot_freed.set()

    async def _handle(self, entry: StreamEntry) -> None:
        if entry.alone:
            await self._others_finished(entry)
        try:
            job = Job.from_entry(entry)
        except InvalidJob as exc:
            log.error("entry %s of %s is not a job: %s", entry.id, self.queue.stream, exc)
            await self._bury(entry, "?", entry.deliveries, str(exc))
            return
        with bound_request_id(job.request_id or f"job-{job.id}"):
            if job.delivery > self.options.max_deliveries:
                await self._bury(entry, job.type, job.delivery - 1, _abandoned_error(job))
                return
            await self._attempt(entry, job)

    async def _others_finished(self, entry: StreamEntry) -> None:
        """Wait until every other job running here has finished (none starts meanwhile)."""
        others = [task for entry_id, task in self._running.items() if entry_id != entry.id]
        log.warning(
            "entry %s (%s) was left unsettled by %d worker(s) that died or stalled (or it is "
            "on its last delivery); it runs alone, after the %d job(s) running here",
            entry.id,
            entry.fields.get("type", "?"),
            entry.deliveries - 1,
            len(others),
        )
        if others:
            await asyncio.wait(others)

    async def _attempt(self, entry: StreamEntry, job: Job) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(self.options.job_timeout_s):
                await self.run_job(job)
        except Exception as exc:  # any failure of the handler: retry later, or bury
            outcome = await self._failed(entry, job, exc)
        else:
            await self._settle(lambda: self.group.ack(entry.id), f"acknowledge {entry.id}")
            outcome = "done"
            log.info(
                "job %s (%s) done in %.2f s%s",
                job.id,
                job.type,
                loop.time() - started,
                f", delivery {job.delivery}" if job.delivery > 1 else "",
            )
        JOB_DURATION.labels(self.queue.stream, job.type, outcome).observe(loop.time() - started)
        JOBS_PROCESSED.labels(self.queue.stream, job.type, outcome).inc()

    async def _failed(self, entry: StreamEntry, job: Job, exc: Exception) -> str:
        error = "".join(traceback.format_exception_only(exc)).strip() or type(exc).__name__
        if job.delivery >= self.options.max_deliveries:
            log.error(
                "job %s (%s) failed on delivery %d of %d; moving it to %s",
                job.id,
                job.type,
                job.delivery,
                self.options.max_deliveries,
                self.queue.dead_stream,
                exc_info=exc,
            )
            step = partial(self.queue.bury, self.group.group, entry, job.delivery, error)
            await self._settle(step, f"bury {entry.id}")
            return "dead"
        delay = backoff_delay(job.delivery, self.options.retry_base_s, self.options.retry_max_s)
        log.warning(
            "job %s (%s) failed on delivery %d of %d; retrying in %.1f s",
            job.id,
            job.type,
            job.delivery,
            self.options.max_deliveries,
            delay,
            exc_info=exc,
        )
        step = partial(self.queue.retry_later, self.group.group, entry, job, error, delay)
        await self._settle(step, f"retry {entry.id}")
        return "retried"

    async def _bury(self, entry: StreamEntry, job_type: str, deliveries: int, error: str) -> None:
        step = partial(self.queue.bury, self.group.group, entry, deliveries, error)
        if await self._settle(step, f"bury {entry.id}"):
            log.error("entry %s moved to %s: %s", entry.id, self.queue.dead_stream, error)
            JOBS_PROCESSED.labels(self.queue.stream, job_type, "dead").inc()

    async def _settle(self, step: Callable[[], Awaitable[bool]], what: str) -> bool:
        """Apply a state change in Redis, riding out a short outage (a restart).

        Every step acts only if the entry is still pending, and is False when it was not:
        a worker that reclaimed it from this stalled one settled it first, or an attempt
        whose reply was lost did. False too if Redis stays away; then the entry stays
        pending and is redelivered after reclaim_after_s: at least once, never lost.
        """
        for attempt in range(1, SETTLE_ATTEMPTS + 1):
            try:
                if await step():
                    return True
                log.warning("did not %s: it was no longer pending (settled already)", what)
                return False
            except RedisError as exc:
                if attempt == SETTLE_ATTEMPTS:
                    log.error("could not %s: %r; it will be redelivered", what, exc)
                    return False
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
        return False

    # --- chores --------------------------------------------------------------------

    async def _stop_chores(self) -> None:
        """Let the chores loop end by itself: a cancellation that lands inside a Redis call
        can be lost on Python 3.11 (asyncio.wait_for's race), which would leave shutdown
        waiting forever. Cancelled only if it does not end within CHORES_STOP_S."""
        if self._chores is None:
            return
        self._chores_done.set()
        _, late = await asyncio.wait({self._chores}, timeout=CHORES_STOP_S)
        for task in late:
            task.cancel()

    async def _do_chores(self) -> None:
        """Keep running entries alive, move due retries back, refresh the gauges."""
        loop = asyncio.get_running_loop()
        options = self.options
        next_beat = next_stats = loop.time()
        next_forget = loop.time() + 60.0
        while not self._chores_done.is_set():
            now = loop.time()
            if now >= next_beat:  # first, and whatever the other chores do
                next_beat = now + options.heartbeat_every_s
                await self._safely("heartbeat", self._heartbeat())
            await self._safely("moving due retries", self.queue.release_due())
            if now >= next_stats:
                next_stats = now + options.stats_every_s
                await self._safely("queue stats", record_queue_stats(self.queue, self.group.group))
            if now >= next_forget:
                next_forget = now + 600.0
                idle_ms = int(options.forget_consumers_after_s * 1000)
                await self._safely(
                    "forgetting consumers", self.group.forget_idle_consumers(idle_ms)
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._chores_done.wait(), CHORES_TICK_S)

    async def _safely(self, chore: str, work: Awaitable[object]) -> None:
        try:
            await work
        except RedisError as exc:
            log.warning("%s failed: %r", chore, exc)
        except Exception:
            log.exception("%s failed", chore)

    async def _heartbeat(self) -> None:
        _, taken = await self.group.heartbeat(list(self._running))
        for entry_id in taken:
            log.warning(
                "entry %s was reclaimed by another worker while it ran here (this process "
                "was stalled longer than %.0f s); it may run twice",
                entry_id,
                self.options.reclaim_after_s,
            )


def _abandoned_error(job: Job) -> str:
    error = (
        f"delivered {job.delivery - 1} times without being acknowledged: "
        "the worker running it died or stalled each time"
    )
    return f"{error}; the failure before that: {job.last_error}" if job.last_error else error
