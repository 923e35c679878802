"""Listing photos: upload tickets, the checks after an upload, deletion, and reads.

1. ``ticket``: the owner asks to add a photo; a row ``awaiting_upload`` with a key the
   server chose, and a form to upload it to (S3 POST policy or a signed api URL),
   valid UPLOAD_URL_TTL_S. At most MAX_PHOTOS per listing, counting tickets that have
   not expired.
2. The browser uploads the file straight to storage.
3. ``complete``: the upload is read back and checked (exists, size, magic bytes, pixel
   count), re-encoded (metadata gone) and stored as the photo's image; the upload is
   deleted, the row becomes ``processing`` and the worker's ``market.thumbnail`` job
   makes the thumbnail, after which it is ``ready``. A failed check deletes the upload
   and the row: nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.market import images
from concierge.api.market.models import Listing, ListingPhoto, PhotoStatus
from concierge.api.market.storage import (
    IMAGE_PREFIX,
    UPLOAD_PREFIX,
    ObjectTooLarge,
    Storage,
    now_utc,
)
from concierge.common.errors import Conflict, NotFound
from concierge.contracts.market import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    UPLOAD_URL_TTL_S,
    ListingStatus,
    PhotoRead,
    UploadTicket,
)
from concierge.streams import JobQueue

log = logging.getLogger(__name__)

THUMBNAIL_JOB = "market.thumbnail"
# An expired ticket's row (and any upload it got) is swept this long after expiry, so a
# `complete` that races the expiry still finds its row.
SWEEP_AFTER = timedelta(minutes=10)
# Decoding a 40-megapixel photo takes a few hundred MB: a few at once per process.
_DECODING = asyncio.Semaphore(2)


class PhotoRejected(Exception):
    """The upload failed a check; the message is for the user. Nothing is kept."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class PhotoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_listings(self, listing_ids: Sequence[int]) -> Sequence[ListingPhoto]:
        """Uploaded photos (processing or ready) of these listings, in order."""
        query = (
            select(ListingPhoto)
            .where(
                ListingPhoto.listing_id.in_(listing_ids),
                ListingPhoto.status != PhotoStatus.AWAITING_UPLOAD,
            )
            .order_by(ListingPhoto.listing_id, ListingPhoto.position, ListingPhoto.id)
        )
        return (await self.session.scalars(query)).all()

    async def get(self, listing_id: int, photo_id: int) -> ListingPhoto:
        query = (
            select(ListingPhoto)
            .where(ListingPhoto.id == photo_id, ListingPhoto.listing_id == listing_id)
            .with_for_update()
        )
        photo = (await self.session.scalars(query)).one_or_none() if 0 < photo_id < 2**63 else None
        if photo is None:
            raise NotFound(f"Photo {photo_id} of listing {listing_id} does not exist")
        return photo

    async def counted(self, listing_id: int, now: datetime) -> int:
        """Photos that count against the cap: uploaded ones and unexpired tickets."""
        query = select(func.count()).where(
            ListingPhoto.listing_id == listing_id,
            or_(
                ListingPhoto.status != PhotoStatus.AWAITING_UPLOAD,
                ListingPhoto.upload_expires_at > now,
            ),
        )
        return int((await self.session.scalar(query)) or 0)

    async def uploaded_count(self, listing_id: int) -> int:
        query = select(func.count()).where(
            ListingPhoto.listing_id == listing_id,
            ListingPhoto.status != PhotoStatus.AWAITING_UPLOAD,
        )
        return int((await self.session.scalar(query)) or 0)

    async def next_position(self, listing_id: int) -> int:
        query = select(func.max(ListingPhoto.position)).where(ListingPhoto.listing_id == listing_id)
        last = await self.session.scalar(query)
        return 0 if last is None else int(last) + 1

    async def take_abandoned(self, listing_id: int, before: datetime) -> list[str]:
        """Delete tickets that expired before ``before``; their upload keys."""
        query = (
            delete(ListingPhoto)
            .where(
                ListingPhoto.listing_id == listing_id,
                ListingPhoto.status == PhotoStatus.AWAITING_UPLOAD,
                ListingPhoto.upload_expires_at < before,
            )
            .returning(ListingPhoto.upload_key)
        )
        return list((await self.session.scalars(query)).all())

    async def upload_awaited(self, upload_key: str, now: datetime) -> bool:
        query = select(ListingPhoto.id).where(
            ListingPhoto.upload_key == upload_key,
            ListingPhoto.status == PhotoStatus.AWAITING_UPLOAD,
            ListingPhoto.upload_expires_at > now,
        )
        return (await self.session.scalar(query)) is not None

    def add(self, photo: ListingPhoto) -> None:
        self.session.add(photo)

    async def remove(self, photo: ListingPhoto) -> None:
        await self.session.delete(photo)
        await self.session.flush()


def stored_keys(photo: ListingPhoto) -> list[str]:
    return [key for key in (photo.upload_key, photo.image_key, photo.thumbnail_key) if key]


def photo_read(photo: ListingPhoto, storage: Storage) -> PhotoRead:
    return PhotoRead(
        id=photo.id,
        position=photo.position,
        url=storage.url(photo.image_key) if photo.image_key else None,
        thumbnail_url=storage.url(photo.thumbnail_key) if photo.thumbnail_key else None,
        width=photo.width,
        height=photo.height,
        ready=photo.status == PhotoStatus.READY,
    )


class PhotoService:
    """The rules; callers pass a listing they got from access.owned_listing."""

    def __init__(self, session: AsyncSession, storage: Storage, jobs: JobQueue) -> None:
        self.photos = PhotoRepository(session)
        self.storage = storage
        self.jobs = jobs

    async def ticket(self, listing: Listing) -> UploadTicket:
        if listing.status == ListingStatus.ARCHIVED:
            raise Conflict("The listing is archived: its photos cannot change")
        now = now_utc()
        abandoned = await self.photos.take_abandoned(listing.id, now - SWEEP_AFTER)
        if abandoned:
            await self.storage.delete(*abandoned)
        if await self.photos.counted(listing.id, now) >= MAX_PHOTOS:
            raise Conflict(f"A listing has at most {MAX_PHOTOS} photos: delete one first")
        expires_at = now + timedelta(seconds=UPLOAD_URL_TTL_S)
        photo = ListingPhoto(
            listing_id=listing.id,
            position=await self.photos.next_position(listing.id),
            status=PhotoStatus.AWAITING_UPLOAD,
            upload_key=f"{UPLOAD_PREFIX}/{listing.id}/{uuid.uuid4().hex}",
            upload_expires_at=expires_at,
        )
        self.photos.add(photo)
        await self.photos.session.flush()
        url, fields = self.storage.upload_form(photo.upload_key, expires_at)
        return UploadTicket(
            photo_id=photo.id,
            url=url,
            fields=fields,
            max_bytes=MAX_PHOTO_BYTES,
            expires_at=expires_at,
        )

    async def complete(self, listing: Listing, photo_id: int) -> tuple[PhotoRead, bool]:
        """The checked photo, and whether its thumbnail job should be enqueued.

        Raises PhotoRejected after deleting the upload and the row (the caller must
        still commit: the rejection is an answer, not an error).
        """
        photo = await self.photos.get(listing.id, photo_id)
        if photo.status != PhotoStatus.AWAITING_UPLOAD:  # a repeated call
            return photo_read(photo, self.storage), photo.status == PhotoStatus.PROCESSING
        if listing.status == ListingStatus.ARCHIVED:
            raise Conflict("The listing is archived: its photos cannot change")
        try:
            encoded = await self._checked(listing, photo)
        except PhotoRejected:
            await self.discard(photo)
            raise
        image_key = f"{IMAGE_PREFIX}/{listing.id}/{uuid.uuid4().hex}{encoded.extension}"
        await self.storage.write(image_key, encoded.data, encoded.content_type)
        await self.storage.delete(photo.upload_key)
        photo.image_key = image_key
        photo.width, photo.height = encoded.width, encoded.height
        photo.size_bytes = len(encoded.data)
        photo.status = PhotoStatus.PROCESSING
        await self.photos.session.flush()
        return photo_read(photo, self.storage), True

    async def _checked(self, listing: Listing, photo: ListingPhoto) -> images.EncodedImage:
        if await self.photos.uploaded_count(listing.id) >= MAX_PHOTOS:
            raise PhotoRejected(f"A listing has at most {MAX_PHOTOS} photos", status_code=409)
        try:
            data = await self.storage.read(photo.upload_key, MAX_PHOTO_BYTES)
        except ObjectTooLarge as exc:
            raise PhotoRejected(
                f"The photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB", 413
            ) from exc
        if not data:
            raise PhotoRejected("Nothing was uploaded for this photo: upload it, then complete")
        async with _DECODING:
            try:
                return await asyncio.to_thread(images.reencode, data)
            except images.ImageRejected as exc:
                raise PhotoRejected(str(exc)) from exc

    async def discard(self, photo: ListingPhoto) -> None:
        await self.storage.delete(*stored_keys(photo))
        await self.photos.remove(photo)

    async def delete(self, listing: Listing, photo_id: int) -> list[str]:
        """Delete the row; the caller deletes the returned keys once that is committed."""
        photo = await self.photos.get(listing.id, photo_id)
        keys = stored_keys(photo)
        await self.photos.remove(photo)
        return keys

    async def enqueue_thumbnail(self, photo_id: int) -> None:
        await self.jobs.enqueue(THUMBNAIL_JOB, {"photo_id": photo_id})


async def photo_reads(
    session: AsyncSession, listing_ids: Sequence[int], storage: Storage
) -> dict[int, list[PhotoRead]]:
    """Each listing's uploaded photos in order, with URLs the caller's browser can load."""
    reads: dict[int, list[PhotoRead]] = {listing_id: [] for listing_id in listing_ids}
    if not reads:
        return reads
    for photo in await PhotoRepository(session).of_listings(list(reads)):
        reads[photo.listing_id].append(photo_read(photo, storage))
    return reads
