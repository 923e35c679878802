"""Worker jobs: each job's name and the model of its payload, for both ends.

The api and the worker's own jobs enqueue with ``spec.name`` and ``spec.dump(payload)``;
the handler reads ``spec.parse(job.payload)``. A payload that does not fit its model is
a bug of the sender, found by the type checker or at the first run, not a silent
``KeyError`` in the worker.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from concierge.contracts.ids import RowId

PayloadT = TypeVar("PayloadT", bound=BaseModel)


class JobSpec(Generic[PayloadT]):
    def __init__(self, name: str, payload: type[PayloadT]) -> None:
        self.name = name
        self.payload = payload

    def dump(self, payload: PayloadT) -> dict[str, Any]:
        return payload.model_dump(mode="json")

    def parse(self, data: dict[str, Any]) -> PayloadT:
        return self.payload.model_validate(data)

    def __repr__(self) -> str:
        return f"JobSpec({self.name!r})"


class NoPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ListingPayload(BaseModel):
    listing_id: RowId


class PhotoPayload(BaseModel):
    photo_id: RowId


class SourcePayload(BaseModel):
    source_id: RowId


class TargetPayload(BaseModel):
    target_id: RowId


class SeedboxPayload(BaseModel):
    user_id: RowId
    seedbox_id: RowId


class GuestMessagePayload(BaseModel):
    message_id: RowId  # rentals_messages.id


PING = JobSpec("platform.ping", NoPayload)

# ingest: the poll (a schedule) enqueues one check per due source.
INGEST_POLL = JobSpec("ingest.poll", NoPayload)
FETCH_SOURCE = JobSpec("ingest.fetch_source", SourcePayload)

# market: thumbnails after an upload; listings into and out of search, and the sweep.
THUMBNAIL = JobSpec("market.thumbnail", PhotoPayload)
INDEX_LISTING = JobSpec("market.index_listing", ListingPayload)
UNINDEX_LISTING = JobSpec("market.unindex_listing", ListingPayload)
REINDEX_LISTINGS = JobSpec("market.reindex", NoPayload)
# market: the api reminds sellers and expires listings when the worker asks (a schedule).
EXPIRY_SWEEP = JobSpec("market.expiry_sweep", NoPayload)

# watch: the poll (a schedule) enqueues one poll per due target; catalogs are re-read.
WATCH_POLL = JobSpec("watch.poll", NoPayload)
WATCH_POLL_TARGET = JobSpec("watch.poll_target", TargetPayload)
WATCH_CATALOGS = JobSpec("watch.refresh_catalogs", NoPayload)
# watch: held messages whose time came (quiet hours, cooldowns, reminders) and digests.
WATCH_DELIVER = JobSpec("watch.deliver", NoPayload)

# media: the watcher (a schedule) claims downloads due for a check and enqueues one check
# per person's seedbox, which tells the person once when a download is done or stalls.
MEDIA_WATCH = JobSpec("media.downloads.watch", NoPayload)
MEDIA_CHECK = JobSpec("media.downloads.check", SeedboxPayload)

# rentals: a guest's message stored from the Avito webhook, for the guest assistant to
# answer (the handler of today only marks it received).
RENTALS_GUEST_MESSAGE = JobSpec("rentals.guest_message", GuestMessagePayload)
# rentals: the bookings poll (a schedule): the api polls every item's bookings through the
# Avito gateway and tells landlords what changed (Avito sends no booking webhook).
RENTALS_BOOKINGS_POLL = JobSpec("rentals.bookings_poll", NoPayload)
