"""Listings in search, against the workers' real Postgres (the vector keeper embeds a
listing's document like any other: tests/services/worker/ingest/test_vectors.py)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text, update

from concierge.contracts.jobs import INDEX_LISTING, REINDEX_LISTINGS, UNINDEX_LISTING
from concierge.contracts.market import ListingStatus
from concierge.db import Database
from concierge.domain.identity.models import User
from concierge.domain.ingest.models import Document, Source
from concierge.domain.market.models import Listing
from concierge.domain.scheduling.models import Schedule
from concierge.text.normalize import content_hash
from concierge.text.simhash import bands, simhash, to_signed
from concierge.worker.jobs import load_jobs
from concierge.worker.market.indexing import ListingIndexer, Outcome, listing_document
from concierge.worker.market.jobs import REINDEX_SCHEDULE, save_reindex_schedule
from concierge.worker.market.repository import external_id
from concierge.worker.settings import WorkerSettings

pytestmark = pytest.mark.integration

PUBLISHED = datetime(2026, 11, 1, 12, tzinfo=UTC)
_telegram_ids = itertools.count(880_001)


@pytest.fixture
async def database(worker_database_url: str) -> AsyncIterator[Database]:
    """The workers' database without listings and documents."""
    database = Database(worker_database_url)
    async with database.transaction() as session:
        for table in ("listings", "documents", "sources"):
            await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (constants)
    yield database
    await database.dispose()


@pytest.fixture
def indexer(database: Database) -> ListingIndexer:
    return ListingIndexer(database)


async def create_listing(database: Database, **values: Any) -> int:
    fields: dict[str, Any] = {
        "title": "Road bike Trek Domane",
        "description": (
            "Carbon frame, size 56, serviced last month. "
            "Comes with the pedals and a bottle cage, ready to ride."
        ),
        "category": "hobby",
        "price": Decimal("850.00"),
        "currency": "EUR",
        "city": "Lisbon",
        "status": ListingStatus.APPROVED,
        "published_at": PUBLISHED,
        **values,
    }
    async with database.transaction() as session:
        owner = User(telegram_id=next(_telegram_ids), first_name="Seller")
        session.add(owner)
        await session.flush()
        listing = Listing(owner_id=owner.id, **fields)
        session.add(listing)
        await session.flush()
        return listing.id


async def change(database: Database, listing_id: int, **values: Any) -> None:
    async with database.transaction() as session:
        await session.execute(update(Listing).where(Listing.id == listing_id).values(**values))


async def listing(database: Database, listing_id: int) -> Listing:
    async with database.transaction() as session:
        found = await session.get(Listing, listing_id)
        assert found is not None
        return found


async def documents(database: Database) -> list[Document]:
    async with database.transaction() as session:
        return list((await session.scalars(select(Document).order_by(Document.id))).all())


async def add_post(database: Database, body: str, **values: Any) -> int:
    """A channel post stored the way ingest stores one (no embedding needed here)."""
    value = simhash(body)
    b0, b1, b2, b3 = bands(value)
    async with database.transaction() as session:
        source = Source(kind="telegram", handle=f"channel_{next(_telegram_ids)}")
        session.add(source)
        await session.flush()
        document = Document(
            source_id=source.id, kind="post", external_id=str(next(_telegram_ids)), title="",
            text=body, language="en", published_at=PUBLISHED, content_hash=content_hash(body),
            simhash=to_signed(value), band0=b0, band1=b1, band2=b2, band3=b3, **values,
        )  # fmt: skip
        session.add(document)
        await session.flush()
        return document.id


class TestIndexListing:
    async def test_an_approved_listing_becomes_a_listing_document(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database)
        before = await listing(database, listing_id)

        assert await indexer.sync(listing_id) == Outcome.INDEXED

        (document,) = await documents(database)
        after = await listing(database, listing_id)
        assert after.document_id == document.id
        assert after.updated_at == before.updated_at  # indexing is not an edit
        assert document.kind == "listing"
        assert document.source_id is None
        assert document.external_id == external_id(listing_id) == f"listing:{listing_id}"
        assert document.title == "Road bike Trek Domane"
        for part in ("Carbon frame", "Lisbon", "hobby", "850 EUR"):
            assert part in document.text
        assert document.language == "en"
        assert document.published_at == PUBLISHED
        assert not document.semantic_pending  # a listing is never judged a copy
        assert document.duplicate_of is None
        assert document.attributes["listing_id"] == listing_id

    async def test_running_twice_changes_nothing(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        (first,) = await documents(database)

        assert await indexer.sync(listing_id) == Outcome.CURRENT

        (again,) = await documents(database)
        assert again.id == first.id
        assert again.content_hash == first.content_hash

    async def test_an_edit_rewrites_the_same_document(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        (first,) = await documents(database)
        await change(database, listing_id, price=Decimal("799.50"), city="Porto")

        assert await indexer.sync(listing_id) == Outcome.INDEXED

        (document,) = await documents(database)
        assert document.id == first.id
        assert "799.50 EUR" in document.text
        assert "Porto" in document.text
        assert document.content_hash != first.content_hash

    @pytest.mark.parametrize("status", [ListingStatus.PENDING, ListingStatus.ARCHIVED])
    async def test_a_listing_no_longer_approved_loses_its_document(
        self, database: Database, indexer: ListingIndexer, status: ListingStatus
    ) -> None:
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        await change(database, listing_id, status=status)

        assert await indexer.sync(listing_id) == Outcome.REMOVED

        assert await documents(database) == []
        assert (await listing(database, listing_id)).document_id is None
        assert await indexer.sync(listing_id) == Outcome.ABSENT

    async def test_a_listing_never_approved_gets_no_document(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database, status=ListingStatus.PENDING)
        assert await indexer.sync(listing_id) == Outcome.ABSENT
        assert await indexer.sync(10**12) == Outcome.ABSENT  # no such listing
        assert await documents(database) == []


class TestNoDeduplication:
    async def test_two_sellers_with_the_same_text_both_stay_originals(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        first = await create_listing(database)
        second = await create_listing(database)
        post = await add_post(database, listing_document(await listing(database, first)).text)

        outcomes = await indexer.sync_many([first, second])

        assert outcomes == {first: Outcome.INDEXED, second: Outcome.INDEXED}
        stored = {d.id: d for d in await documents(database)}
        assert len(stored) == 3
        assert all(d.duplicate_of is None for d in stored.values())
        listings = [d for d in stored.values() if d.kind == "listing"]
        assert len({d.content_hash for d in listings}) == 2
        assert stored[post].content_hash not in {d.content_hash for d in listings}
        simhashes = [d.simhash % (1 << 64) for d in stored.values()]
        assert len(set(simhashes)) == 3  # ingest's near layer pairs none of them

    async def test_copies_of_a_listing_get_a_new_original_when_it_goes(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        """Ingest's semantic layer may make posts copies of a listing; deleting it must
        neither fail (two copies with one hash would both become originals) nor orphan
        them."""
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        document_id = (await listing(database, listing_id)).document_id
        first = await add_post(database, "Same text", duplicate_of=document_id,
                               duplicate_kind="semantic")  # fmt: skip
        second = await add_post(database, "Same text", duplicate_of=document_id,
                                duplicate_kind="semantic")  # fmt: skip
        await change(database, listing_id, status=ListingStatus.REJECTED)

        assert await indexer.remove(listing_id) == Outcome.REMOVED

        stored = {d.id: d for d in await documents(database)}
        assert set(stored) == {first, second}
        assert stored[first].duplicate_of is None
        assert stored[first].duplicate_kind is None
        assert stored[second].duplicate_of == first


class TestUnindex:
    async def test_an_approved_listing_keeps_its_document(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        assert await indexer.remove(listing_id) == Outcome.CURRENT
        assert len(await documents(database)) == 1

    async def test_a_deleted_listing_loses_its_document(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        async with database.transaction() as session:
            await session.execute(text("DELETE FROM listings WHERE id = :id"), {"id": listing_id})

        assert await indexer.remove(listing_id) == Outcome.REMOVED
        assert await documents(database) == []


class TestSweep:
    async def test_catches_up_with_lost_jobs(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        never_indexed = await create_listing(database, title="Sofa, three seats")
        edited = await create_listing(database, title="Kids bike")
        withdrawn = await create_listing(database, title="Old phone")
        deleted = await create_listing(database, title="Lamp")
        for listing_id in (edited, withdrawn, deleted):
            await indexer.sync(listing_id)
        await change(database, edited, title="Kids bike, 16 inch")
        await change(database, withdrawn, status=ListingStatus.ARCHIVED)
        async with database.transaction() as session:
            await session.execute(text("DELETE FROM listings WHERE id = :id"), {"id": deleted})

        result = await indexer.sweep()

        assert (result.indexed, result.removed, result.failed) == (2, 2, 0)
        stored = {d.external_id: d for d in await documents(database)}
        assert set(stored) == {external_id(never_indexed), external_id(edited)}
        assert stored[external_id(edited)].title == "Kids bike, 16 inch"
        again = await indexer.sweep()
        assert (again.indexed, again.removed, again.failed) == (0, 0, 0)

    async def test_a_current_document_whose_listing_was_touched_is_not_written_again(
        self, database: Database, indexer: ListingIndexer
    ) -> None:
        listing_id = await create_listing(database)
        await indexer.sync(listing_id)
        await change(database, listing_id, rejection_reason=None)  # updated_at moves on

        first = await indexer.sweep()
        second = await indexer.sweep()

        assert (first.indexed, second.indexed) == (0, 0)


class TestRegistration:
    def test_the_jobs_are_registered(self) -> None:
        assert {INDEX_LISTING.name, UNINDEX_LISTING.name, REINDEX_LISTINGS.name} <= set(
            load_jobs().types
        )

    async def test_the_sweep_is_scheduled_like_the_ingest_poll(self, database: Database) -> None:
        settings = WorkerSettings(_env_file=None)  # type: ignore[call-arg]
        await save_reindex_schedule(database, settings)
        await save_reindex_schedule(database, settings)  # every start declares it again
        async with database.transaction() as session:
            schedule = await session.scalar(
                select(Schedule).where(Schedule.name == REINDEX_SCHEDULE)
            )
            assert schedule is not None
            assert (schedule.job_type, schedule.enabled) == (
                REINDEX_LISTINGS.name,
                settings.ingest_enabled,
            )
            await session.delete(schedule)
