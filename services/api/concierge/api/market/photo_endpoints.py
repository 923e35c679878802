"""Photo routes: tickets, completion and deletion for the owner (Mini App session), and
the local storage backend's signed upload and image URLs (no session: the signature is
the permission, as with S3's presigned URLs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from concierge.api.identity.deps import WebUser
from concierge.api.market.access import owned_listing
from concierge.api.market.endpoints import ListingServiceDep
from concierge.api.market.photos import PhotoRejected, PhotoRepository, PhotoService
from concierge.api.market.storage import (
    CONTENT_TYPES,
    IMAGE_PREFIX,
    KEY_PATTERN,
    MEDIA_CACHE_CONTROL,
    MEDIA_PURPOSE,
    THUMBNAIL_PREFIX,
    UPLOAD_PREFIX,
    UPLOAD_PURPOSE,
    LocalStorage,
    StorageDep,
    key_prefix,
    now_utc,
)
from concierge.common.errors import Forbidden, Invalid, NotFound, PayloadTooLarge, error_response
from concierge.contracts.market import MAX_PHOTO_BYTES, PhotoRead, UploadTicket
from concierge.db import SessionDep

# Room for the multipart framing and the ticket's fields around a MAX_PHOTO_BYTES file;
# the api's body guard allows this much on UPLOAD_PATH only.
UPLOAD_PATH = "/api/v1/uploads/"
UPLOAD_BODY_BYTES = MAX_PHOTO_BYTES + 64 * 1024

router = APIRouter(tags=["market"])


def photo_service(request: Request, session: SessionDep, storage: StorageDep) -> PhotoService:
    return PhotoService(session, storage, request.app.state.jobs)


PhotoServiceDep = Annotated[PhotoService, Depends(photo_service)]


@router.post("/listings/{listing_id}/photos", status_code=201)
async def create_photo_ticket(
    listing_id: int, user: WebUser, session: SessionDep, photos: PhotoServiceDep
) -> UploadTicket:
    """Where and how to upload one photo: POST ``fields`` plus the file (as ``file``)."""
    listing = await owned_listing(session, listing_id, user)
    return await photos.ticket(listing)


@router.post("/listings/{listing_id}/photos/{photo_id}/complete", response_model=PhotoRead)
async def complete_photo(
    listing_id: int,
    photo_id: int,
    user: WebUser,
    session: SessionDep,
    photos: PhotoServiceDep,
    listings: ListingServiceDep,
    background: BackgroundTasks,
) -> PhotoRead | JSONResponse:
    """Check the uploaded file and keep a re-encoded copy; the thumbnail follows."""
    listing = await owned_listing(session, listing_id, user)
    try:
        photo, enqueue = await photos.complete(listing, photo_id)
    except PhotoRejected as exc:
        # An answer, not an error: the deleted row must be committed.
        return error_response(exc.status_code, exc.message)
    if enqueue:  # after the commit, so the worker finds the row
        background.add_task(photos.enqueue_thumbnail, photo.id)
        await listings.edited(user, listing)  # a new photo is moderated like a new text
    return photo


@router.delete("/listings/{listing_id}/photos/{photo_id}", status_code=204)
async def delete_photo(
    listing_id: int,
    photo_id: int,
    user: WebUser,
    session: SessionDep,
    photos: PhotoServiceDep,
    listings: ListingServiceDep,
    storage: StorageDep,
    background: BackgroundTasks,
) -> Response:
    listing = await owned_listing(session, listing_id, user)
    keys = await photos.delete(listing, photo_id)
    await listings.edited(user, listing)
    background.add_task(storage.delete, *keys)  # once the row is gone for good
    return Response(status_code=204)


# --- the local backend's signed URLs ------------------------------------------------------


def local_storage(storage: StorageDep) -> LocalStorage:
    if not isinstance(storage, LocalStorage):
        raise NotFound("Files are served by the object storage, not by the api")
    return storage


LocalStorageDep = Annotated[LocalStorage, Depends(local_storage)]
Expires = Annotated[int, Query(ge=0, le=2**62)]
Signature = Annotated[str, Query(max_length=128)]


def _check_signature(storage: LocalStorage, purpose: str, key: str, expires: int, sig: str) -> None:
    if storage.signer is None or not storage.signer.verify(purpose, key, expires, sig):
        raise Forbidden("The link is invalid or has expired")


@router.post("/uploads/{key:path}", status_code=204)
async def upload_photo(
    key: str,
    expires: Expires,
    sig: Signature,
    request: Request,
    session: SessionDep,
    storage: LocalStorageDep,
) -> Response:
    """A photo upload to local storage, as an S3 POST policy would take it."""
    if key_prefix(key) != UPLOAD_PREFIX:
        raise NotFound("No such upload")
    _check_signature(storage, UPLOAD_PURPOSE, key, expires, sig)
    if not await PhotoRepository(session).upload_awaited(key, now_utc()):
        raise Forbidden("The link is invalid or has expired")
    async with request.form(max_files=1, max_fields=16) as form:
        declared = str(form.get("Content-Type") or "")
        if not declared.lower().startswith("image/"):
            raise Invalid("Only images can be uploaded (the Content-Type field must be image/…)")
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Invalid("The form has no file: send it as the `file` field, last")
        data = await file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(f"The photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if not data:
        raise Invalid("The file is empty")
    await storage.write(key, data, declared)
    return Response(status_code=204)


@router.get("/media/{key:path}", response_class=FileResponse)
async def media(key: str, expires: Expires, sig: Signature, storage: LocalStorageDep) -> Response:
    """A re-encoded photo or thumbnail from local storage (never a raw upload)."""
    match = KEY_PATTERN.match(key)
    if match is None or match["prefix"] not in (IMAGE_PREFIX, THUMBNAIL_PREFIX):
        raise NotFound("No such image")
    _check_signature(storage, MEDIA_PURPOSE, key, expires, sig)
    path = storage.path(key)
    if not path.is_file():
        raise NotFound("No such image")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[match["ext"]],
        headers={
            "Cache-Control": MEDIA_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
