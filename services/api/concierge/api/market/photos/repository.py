"""Every query on listing photos."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select

from concierge.db.repository import Repository
from concierge.domain.market.models import ListingPhoto, PhotoStatus


class PhotoRepository(Repository[ListingPhoto]):
    model = ListingPhoto

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

    async def locked(self, listing_id: int, photo_id: int) -> ListingPhoto | None:
        query = (
            select(ListingPhoto)
            .where(ListingPhoto.id == photo_id, ListingPhoto.listing_id == listing_id)
            .with_for_update()
        )
        return (await self.session.scalars(query)).one_or_none()

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

    async def remove(self, photo: ListingPhoto) -> None:
        await self.session.delete(photo)
        await self.session.flush()
