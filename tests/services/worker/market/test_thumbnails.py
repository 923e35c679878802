"""The market.thumbnail job: a small copy of a checked photo, then the photo is ready."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.jobs import THUMBNAIL
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ListingPhoto, PhotoStatus
from concierge.storage import images
from concierge.storage.backends import LocalStorage
from concierge.worker.jobs import load_jobs
from concierge.worker.market.jobs import storage_for
from concierge.worker.market.repository import PhotoRepository
from concierge.worker.market.thumbnails import make_thumbnail, thumbnail_key
from concierge.worker.settings import WorkerSettings

pytestmark = pytest.mark.integration


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path, None, "")  # the worker signs nothing


async def processing_photo(session: AsyncSession, storage: LocalStorage, data: bytes) -> int:
    user = User(telegram_id=800_000 + uuid.uuid4().int % 100_000, first_name="Seller")
    session.add(user)
    await session.flush()
    listing = Listing(
        owner_id=user.id, title="A lamp", category="home", price=5, currency="RUB", city="Kazan"
    )
    session.add(listing)
    await session.flush()
    image_key = f"photos/{listing.id}/{uuid.uuid4().hex}.jpg"
    await storage.write(image_key, data, "image/jpeg")
    photo = ListingPhoto(
        listing_id=listing.id,
        position=0,
        status=PhotoStatus.PROCESSING,
        upload_key=f"uploads/{listing.id}/{uuid.uuid4().hex}",
        image_key=image_key,
        width=1200,
        height=800,
        upload_expires_at=datetime.now(UTC),
    )
    session.add(photo)
    await session.flush()
    return photo.id


class TestThumbnail:
    async def test_makes_a_small_copy_and_marks_the_photo_ready(self, session, storage):
        photo_id = await processing_photo(session, storage, jpeg(1200, 800))
        assert await make_thumbnail(PhotoRepository(session), storage, photo_id) is True

        photo = await session.get(ListingPhoto, photo_id)
        assert photo is not None
        assert photo.status == PhotoStatus.READY
        assert photo.thumbnail_key is not None
        assert photo.thumbnail_key.startswith("thumbs/")
        data = await storage.read(photo.thumbnail_key, 1_000_000)
        assert data is not None
        assert Image.open(io.BytesIO(data)).size == (images.THUMBNAIL_SIDE, 213)

    async def test_runs_twice_without_a_second_file(self, session, storage):
        photo_id = await processing_photo(session, storage, jpeg(640, 640))
        assert await make_thumbnail(PhotoRepository(session), storage, photo_id) is True
        photo = await session.get(ListingPhoto, photo_id)
        assert photo is not None
        photo.status, photo.thumbnail_key = PhotoStatus.PROCESSING, None  # as if not committed
        await session.flush()
        assert await make_thumbnail(PhotoRepository(session), storage, photo_id) is True
        assert len(list((storage.root / "thumbs").rglob("*.jpg"))) == 1
        assert await make_thumbnail(PhotoRepository(session), storage, photo_id) is False

    async def test_a_missing_photo_is_a_no_op(self, session, storage):
        assert await make_thumbnail(PhotoRepository(session), storage, 2**62) is False

    async def test_a_missing_image_is_a_no_op(self, session, storage):
        photo_id = await processing_photo(session, storage, jpeg(10, 10))
        photo = await session.get(ListingPhoto, photo_id)
        assert photo is not None
        assert photo.image_key is not None
        await storage.delete(photo.image_key)
        assert await make_thumbnail(PhotoRepository(session), storage, photo_id) is False
        assert photo.status == PhotoStatus.PROCESSING


class TestWiring:
    def test_the_job_is_registered(self):
        assert THUMBNAIL.name in load_jobs().types

    def test_the_worker_reads_the_shared_storage_variables(self, tmp_path, monkeypatch):
        monkeypatch.setenv("STORAGE_LOCAL_DIR", str(tmp_path / "shared"))
        storage = storage_for(WorkerSettings())
        assert isinstance(storage, LocalStorage)
        assert storage.root == (tmp_path / "shared").resolve()

    def test_thumbnail_keys_follow_the_image_key(self):
        key = "photos/12/" + "c" * 32 + ".webp"
        assert thumbnail_key(key, ".webp") == "thumbs/12/" + "c" * 32 + ".webp"
