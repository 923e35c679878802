"""Photo rules: upload tickets, the checks after an upload, deletion, and the local
storage backend's signed links.

1. ``ticket``: the owner asks to add a photo; a row ``awaiting_upload`` with a key the
   server chose, and a form to upload it to (S3 POST policy or a signed api URL),
   valid UPLOAD_URL_TTL_S. At most MAX_PHOTOS per listing, counting tickets that have
   not expired.
2. The browser uploads the file straight to storage (with local storage: ``accept_upload``).
3. ``complete``: the upload is read back and checked (exists, size, magic bytes, pixel
   count), re-encoded (metadata gone) and stored as the photo's image; the upload is
   deleted, the row becomes ``processing`` and the worker's ``market.thumbnail`` job
   makes the thumbnail, after which it is ``ready``. A failed check deletes the upload
   and the row: nothing is stored.

A new or deleted photo is an edit of the listing: a moderated listing goes back to
moderation (``ListingService.edited``).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from concierge.api.after_commit import AfterCommit
from concierge.api.market.access import owned_listing
from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.listings.service import ListingService
from concierge.api.market.photos.repository import PhotoRepository
from concierge.common.clock import utcnow
from concierge.common.errors import (
    Conflict,
    ErrorParams,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
)
from concierge.contracts.errors import ErrorCode
from concierge.contracts.jobs import THUMBNAIL, PhotoPayload
from concierge.contracts.market import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    UPLOAD_URL_TTL_S,
    ListingStatus,
    PhotoRead,
    UploadTicket,
)
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ListingPhoto, PhotoStatus
from concierge.storage import images
from concierge.storage.backends import (
    CONTENT_TYPES,
    IMAGE_PREFIX,
    KEY_PATTERN,
    MEDIA_PURPOSE,
    THUMBNAIL_PREFIX,
    UPLOAD_PREFIX,
    UPLOAD_PURPOSE,
    LocalStorage,
    ObjectTooLarge,
    Storage,
    key_prefix,
)

# An expired ticket's row (and any upload it got) is swept this long after expiry, so a
# `complete` that races the expiry still finds its row.
SWEEP_AFTER = timedelta(minutes=10)
# Decoding a 40-megapixel photo takes a few hundred MB: a few at once per process.
_DECODING = asyncio.Semaphore(2)
_MB = 1024 * 1024


class PhotoRejected(Exception):
    """The upload failed a check (the message says why in English, the code and params
    for the user's language). Nothing is kept."""

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        params: ErrorParams | None = None,
        status_code: int = 422,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = params or {}
        self.status_code = status_code


def _archived() -> Conflict:
    return Conflict(
        "The listing is archived: its photos cannot change", code=ErrorCode.LISTING_ARCHIVED
    )


def _link_invalid() -> Forbidden:
    return Forbidden("The link is invalid or has expired", code=ErrorCode.UPLOAD_LINK_INVALID)


def _too_large() -> str:
    return f"The photo is larger than {MAX_PHOTO_BYTES // _MB} MB"


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
    def __init__(
        self,
        photos: PhotoRepository,
        listings: ListingRepository,
        listing_service: ListingService,
        storage: Storage,
        after_commit: AfterCommit,
    ) -> None:
        self.photos = photos
        self.listings = listings
        self.listing_service = listing_service
        self.storage = storage
        self.after_commit = after_commit

    async def ticket(self, owner: User, listing_id: int) -> UploadTicket:
        listing = await self._changeable(owner, listing_id)
        now = utcnow()
        abandoned = await self.photos.take_abandoned(listing.id, now - SWEEP_AFTER)
        if abandoned:
            await self.storage.delete(*abandoned)
        if await self.photos.counted(listing.id, now) >= MAX_PHOTOS:
            raise Conflict(
                f"A listing has at most {MAX_PHOTOS} photos: delete one first",
                code=ErrorCode.TOO_MANY_PHOTOS,
                params={"max": MAX_PHOTOS},
            )
        expires_at = now + timedelta(seconds=UPLOAD_URL_TTL_S)
        photo = await self.photos.add(
            ListingPhoto(
                listing_id=listing.id,
                position=await self.photos.next_position(listing.id),
                status=PhotoStatus.AWAITING_UPLOAD,
                upload_key=f"{UPLOAD_PREFIX}/{listing.id}/{uuid.uuid4().hex}",
                upload_expires_at=expires_at,
            )
        )
        url, fields = self.storage.upload_form(photo.upload_key, expires_at)
        return UploadTicket(
            photo_id=photo.id,
            url=url,
            fields=fields,
            max_bytes=MAX_PHOTO_BYTES,
            expires_at=expires_at,
        )

    async def complete(self, owner: User, listing_id: int, photo_id: int) -> PhotoRead:
        """The checked photo; its thumbnail job is enqueued once this commits.

        Raises PhotoRejected after deleting the upload and the row (the caller must
        still commit: the rejection is an answer, not an error).
        """
        listing = await owned_listing(self.listings, listing_id, owner)
        photo = await self._photo(listing, photo_id)
        if photo.status != PhotoStatus.AWAITING_UPLOAD:  # a repeated call
            if photo.status == PhotoStatus.PROCESSING:  # its thumbnail job may be lost
                self.after_commit.enqueue(THUMBNAIL, PhotoPayload(photo_id=photo.id))
            return photo_read(photo, self.storage)
        if listing.status == ListingStatus.ARCHIVED:
            raise _archived()
        try:
            encoded = await self._checked(listing, photo)
        except PhotoRejected:
            await self.storage.delete(*stored_keys(photo))
            await self.photos.remove(photo)
            raise
        image_key = f"{IMAGE_PREFIX}/{listing.id}/{uuid.uuid4().hex}{encoded.extension}"
        await self.storage.write(image_key, encoded.data, encoded.content_type)
        await self.storage.delete(photo.upload_key)
        photo.image_key = image_key
        photo.width, photo.height = encoded.width, encoded.height
        photo.size_bytes = len(encoded.data)
        photo.status = PhotoStatus.PROCESSING
        await self.photos.flush()
        self.after_commit.enqueue(THUMBNAIL, PhotoPayload(photo_id=photo.id))
        await self.listing_service.edited(owner, listing)  # moderated like a new text
        return photo_read(photo, self.storage)

    async def delete(self, owner: User, listing_id: int, photo_id: int) -> None:
        """Delete the row now and its files once that is committed."""
        listing = await owned_listing(self.listings, listing_id, owner)
        photo = await self._photo(listing, photo_id)
        keys = stored_keys(photo)
        await self.photos.remove(photo)
        await self.listing_service.edited(owner, listing)
        self.after_commit.call(self.storage.delete, *keys)

    async def _changeable(self, owner: User, listing_id: int) -> Listing:
        listing = await owned_listing(self.listings, listing_id, owner)
        if listing.status == ListingStatus.ARCHIVED:
            raise _archived()
        return listing

    async def _photo(self, listing: Listing, photo_id: int) -> ListingPhoto:
        photo = await self.photos.locked(listing.id, photo_id)
        if photo is None:
            raise NotFound(
                f"Photo {photo_id} of listing {listing.id} does not exist",
                code=ErrorCode.PHOTO_NOT_FOUND,
            )
        return photo

    async def _checked(self, listing: Listing, photo: ListingPhoto) -> images.EncodedImage:
        if await self.photos.uploaded_count(listing.id) >= MAX_PHOTOS:
            raise PhotoRejected(
                f"A listing has at most {MAX_PHOTOS} photos",
                ErrorCode.TOO_MANY_PHOTOS,
                {"max": MAX_PHOTOS},
                status_code=409,
            )
        try:
            data = await self.storage.read(photo.upload_key, MAX_PHOTO_BYTES)
        except ObjectTooLarge as exc:
            raise PhotoRejected(
                _too_large(), ErrorCode.PHOTO_TOO_LARGE, {"mb": MAX_PHOTO_BYTES // _MB}, 413
            ) from exc
        if not data:
            raise PhotoRejected(
                "Nothing was uploaded for this photo: upload it, then complete",
                ErrorCode.PHOTO_NOT_UPLOADED,
            )
        async with _DECODING:
            try:
                return await asyncio.to_thread(images.reencode, data)
            except images.ImageRejected as exc:
                raise PhotoRejected(str(exc), exc.code, exc.params) from exc


class LocalFiles:
    """The local storage backend's signed links: uploads in, images out. The signature
    is the permission (as with S3's presigned URLs); no session is needed."""

    def __init__(self, storage: LocalStorage, photos: PhotoRepository) -> None:
        self.storage = storage
        self.photos = photos

    async def accept_upload(
        self, key: str, expires: int, signature: str, declared_type: str, data: bytes | None
    ) -> None:
        """Store an upload the way an S3 POST policy would take it. ``data`` is the file
        read up to one byte past the limit, None when the form had no file."""
        if key_prefix(key) != UPLOAD_PREFIX:
            raise NotFound("No such upload", code=ErrorCode.UPLOAD_LINK_INVALID)
        self._check_signature(UPLOAD_PURPOSE, key, expires, signature)
        if not await self.photos.upload_awaited(key, utcnow()):
            raise _link_invalid()
        if not declared_type.lower().startswith("image/"):
            raise Invalid(
                "Only images can be uploaded (the Content-Type field must be image/…)",
                code=ErrorCode.UPLOAD_NOT_IMAGE_TYPE,
            )
        if data is None:
            raise Invalid(
                "The form has no file: send it as the `file` field, last",
                code=ErrorCode.UPLOAD_NO_FILE,
            )
        if len(data) > MAX_PHOTO_BYTES:
            raise PayloadTooLarge(
                _too_large(), code=ErrorCode.PHOTO_TOO_LARGE, params={"mb": MAX_PHOTO_BYTES // _MB}
            )
        if not data:
            raise Invalid("The file is empty", code=ErrorCode.UPLOAD_EMPTY)
        await self.storage.write(key, data, declared_type)

    def image(self, key: str, expires: int, signature: str) -> tuple[Path, str]:
        """The file of a re-encoded photo or thumbnail (never a raw upload) and its type."""
        match = KEY_PATTERN.match(key)
        if match is None or match["prefix"] not in (IMAGE_PREFIX, THUMBNAIL_PREFIX):
            raise NotFound("No such image", code=ErrorCode.PHOTO_NOT_FOUND)
        self._check_signature(MEDIA_PURPOSE, key, expires, signature)
        path = self.storage.path(key)
        if not path.is_file():
            raise NotFound("No such image", code=ErrorCode.PHOTO_NOT_FOUND)
        return path, CONTENT_TYPES[match["ext"]]

    def _check_signature(self, purpose: str, key: str, expires: int, signature: str) -> None:
        signer = self.storage.signer
        if signer is None or not signer.verify(purpose, key, expires, signature):
            raise _link_invalid()
