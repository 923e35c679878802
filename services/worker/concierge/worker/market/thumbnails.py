"""Thumbnails of listing photos: the last step of an upload (see api market/photos)."""

from __future__ import annotations

import asyncio
import logging

from concierge.domain.market.models import PhotoStatus
from concierge.storage import images
from concierge.storage.backends import IMAGE_PREFIX, THUMBNAIL_PREFIX, Storage
from concierge.worker.market.repository import PhotoRepository

log = logging.getLogger(__name__)

# A re-encoded image is at most 2560 px on a side; this bounds a damaged or foreign one.
MAX_IMAGE_BYTES = 32 * 1024 * 1024


def thumbnail_key(image_key: str, extension: str) -> str:
    """The same key on every run for one image, so a repeated job overwrites, not adds."""
    stem = image_key.rsplit(".", 1)[0]
    return f"{THUMBNAIL_PREFIX}{stem.removeprefix(IMAGE_PREFIX)}{extension}"


async def make_thumbnail(photos: PhotoRepository, storage: Storage, photo_id: int) -> bool:
    """Make and store the photo's thumbnail and mark it ready; False when nothing to do
    (the photo was deleted, is not uploaded yet, or already has its thumbnail)."""
    photo = await photos.locked(photo_id)
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
    await photos.flush()
    return True
