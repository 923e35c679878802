"""Photo routes: tickets, completion and deletion for the owner (Mini App session), and
the local storage backend's signed upload and image URLs (no session: the signature is
the permission, as with S3's presigned URLs)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from concierge.api.identity.deps import WebUser
from concierge.api.market.listings.schemas import ListingId
from concierge.api.market.photos.deps import LocalFilesDep, PhotoServiceDep
from concierge.api.market.photos.schemas import (
    Expires,
    PhotoId,
    PhotoRead,
    Signature,
    UploadTicket,
)
from concierge.api.market.photos.service import PhotoRejected
from concierge.common.errors import error_response
from concierge.common.openapi import raises
from concierge.contracts.market import MAX_PHOTO_BYTES
from concierge.storage.backends import MEDIA_CACHE_CONTROL

router = APIRouter(tags=["market"])


@router.post("/listings/{listing_id}/photos", status_code=201)
@raises(404, 409)
async def create_photo_ticket(
    listing_id: ListingId, user: WebUser, photos: PhotoServiceDep
) -> UploadTicket:
    """Where and how to upload one photo: POST ``fields`` plus the file (as ``file``)."""
    return await photos.ticket(user, listing_id)


@router.post("/listings/{listing_id}/photos/{photo_id}/complete", response_model=PhotoRead)
@raises(404, 409, 413)
async def complete_photo(
    listing_id: ListingId, photo_id: PhotoId, user: WebUser, photos: PhotoServiceDep
) -> PhotoRead | JSONResponse:
    """Check the uploaded file and keep a re-encoded copy; the thumbnail follows."""
    try:
        return await photos.complete(user, listing_id, photo_id)
    except PhotoRejected as exc:
        # An answer, not an error: the deleted row must be committed.
        return error_response(exc.status_code, exc.message, code=exc.code, params=exc.params)


@router.delete("/listings/{listing_id}/photos/{photo_id}", status_code=204)
@raises(404)
async def delete_photo(
    listing_id: ListingId, photo_id: PhotoId, user: WebUser, photos: PhotoServiceDep
) -> Response:
    await photos.delete(user, listing_id, photo_id)
    return Response(status_code=204)


@router.post("/uploads/{key:path}", status_code=204)
@raises(403, 404, 413)
async def upload_photo(
    key: str, expires: Expires, sig: Signature, request: Request, files: LocalFilesDep
) -> Response:
    """A photo upload to local storage, as an S3 POST policy would take it."""
    async with request.form(max_files=1, max_fields=16) as form:
        declared = str(form.get("Content-Type") or "")
        file = form.get("file")
        data = await file.read(MAX_PHOTO_BYTES + 1) if isinstance(file, UploadFile) else None
    await files.accept_upload(key, expires, sig, declared, data)
    return Response(status_code=204)


@router.get("/media/{key:path}", response_class=FileResponse)
@raises(403, 404)
async def media(key: str, expires: Expires, sig: Signature, files: LocalFilesDep) -> Response:
    """A re-encoded photo or thumbnail from local storage (never a raw upload)."""
    path, content_type = files.image(key, expires, sig)
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Cache-Control": MEDIA_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
