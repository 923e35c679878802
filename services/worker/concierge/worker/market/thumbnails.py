"""Thumbnails of listing photos: the last step of an upload (see api market.photos)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.market import images
from concierge.api.market.models import ListingPhoto, PhotoStatus
from concierge.api.market.storage import IMAGE_PREFIX, THUMBNAIL_PREFIX, Storage

log = logging.getLogger(__name__)

# A re-encoded image is at most 2560 px on a side; this bounds a damaged or foreign one.
MAX_IMAGE_BYTES = 32 * 1024 * 1024


def thumbnail_key(image_key: str, extension: str) -> str:
    """The same key on every run for one image, so a repeated job overwrites, not adds."""
    stem = image_key.rsplit(".", 1)[0]
    return f"{THUMBNAIL_PREFIX}{stem.removeprefix(IMAGE_PREFIX)}{extension}"


async def make_thumbnail(session: AsyncSession, storage: Storage, photo_id: int) -> bool:
    """Make and store the photo's thumbnail and mark it ready; False when nothing to do
    (the photo was deleted, is not uploaded yet, or already has its thumbnail)."""
    photo = await session.get(ListingPhoto, photo_id, with_for_update=True)
    if photo is None or photo.image_key is None:
        return False
    if photo.status == PhotoStatus.READY and photo.thumbnail_key:
        return False
    data = await storage.read(photo.image_key, MAX_IMAGE_BYTES)
    if data is None:
        log.warning("photo %d: image %s is missing; no thumbnail", photo_id, photo.image_key)
        return False
    small = await asyncio.to_thread(images.thumbnail, data)
    key = thumbnail_key(photo.image_key, small.extension)
    await storage.write(key, small.data, small.content_type)
    photo.thumbnail_key = key
    photo.status = PhotoStatus.READY
    await session.flush()
    return True
