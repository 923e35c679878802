"""Redis Streams consumer groups, used directly: ack after the work commits.

``group``: one consumer of a group (read, ack, reclaim, heartbeat). ``jobs``: typed
jobs on a stream (enqueue, retry set, dead stream, handler registry). ``worker``: the
loop that runs them. ``scripts``: the atomic steps, shared with the bot's inbox.
"""

from concierge.streams.group import StreamEntry, StreamGroup
from concierge.streams.jobs import (
    InvalidJob,
    Job,
    JobHandler,
    JobQueue,
    JobRegistry,
    UnknownJobType,
    backoff_delay,
)
from concierge.streams.scripts import ClaimLimits, StreamScripts
from concierge.streams.worker import JobWorker, WorkerOptions

__all__ = [
    "ClaimLimits",
    "InvalidJob",
    "Job",
    "JobHandler",
    "JobQueue",
    "JobRegistry",
    "JobWorker",
    "StreamEntry",
    "StreamGroup",
    "StreamScripts",
    "UnknownJobType",
    "WorkerOptions",
    "backoff_delay",
]
