"""The photo API's dependencies: the storage (built with the app), the photo service and
the local backend's signed links."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.after_commit import AfterCommitDep
from concierge.api.market.listings.deps import ListingRepositoryDep, ListingServiceDep
from concierge.api.market.photos.repository import PhotoRepository
from concierge.api.market.photos.service import LocalFiles, PhotoService
from concierge.common.errors import NotFound
from concierge.contracts.errors import ErrorCode
from concierge.db import SessionDep
from concierge.storage.backends import LocalStorage, Storage


def get_storage(request: Request) -> Storage:
    """The app's storage (built in create_app)."""
    storage: Storage = request.app.state.storage
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


def get_photo_repository(session: SessionDep) -> PhotoRepository:
    return PhotoRepository(session)


PhotoRepositoryDep = Annotated[PhotoRepository, Depends(get_photo_repository)]


def get_photo_service(
    photos: PhotoRepositoryDep,
    listings: ListingRepositoryDep,
    listing_service: ListingServiceDep,
    storage: StorageDep,
    after_commit: AfterCommitDep,
) -> PhotoService:
    return PhotoService(photos, listings, listing_service, storage, after_commit)


PhotoServiceDep = Annotated[PhotoService, Depends(get_photo_service)]


def get_local_files(storage: StorageDep, photos: PhotoRepositoryDep) -> LocalFiles:
    if not isinstance(storage, LocalStorage):
        raise NotFound(
            "Files are served by the object storage, not by the api",
            code=ErrorCode.FILES_NOT_HERE,
        )
    return LocalFiles(storage, photos)


LocalFilesDep = Annotated[LocalFiles, Depends(get_local_files)]
