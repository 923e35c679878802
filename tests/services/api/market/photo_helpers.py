"""Images for the photo tests: a phone photo with GPS, a pixel bomb, not-an-image."""

from __future__ import annotations

import functools
import io

from PIL import ExifTags, Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.market import ListingStatus
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing

GPS_LATITUDE = (55.0, 45.0, 21.07)
ORIENTATION_ROTATE_90_CW = 6


def phone_jpeg(width: int = 64, height: int = 32) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS, a camera model, turned by orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height))  # left half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "SecretPhone 12"
    exif[ExifTags.Base.Orientation] = ORIENTATION_ROTATE_90_CW
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png(width: int, height: int, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


@functools.cache
def pixel_bomb() -> bytes:
    """A 20,000 × 20,000 PNG: 400 megapixels in about 50 KB."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    return out.getvalue()


HTML_PAGE = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


async def create_listing(
    session: AsyncSession, telegram_id: int, status: ListingStatus = ListingStatus.DRAFT
) -> Listing:
    owner = (await session.scalars(select(User).where(User.telegram_id == telegram_id))).one()
    listing = Listing(
        owner_id=owner.id,
        title="A bicycle",
        description="Barely used",
        category="hobby",
        price=100,
        currency="RUB",
        city="Moscow",
        status=status,
    )
    session.add(listing)
    await session.flush()
    return listing
