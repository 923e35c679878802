"""Listing photos through the api: tickets, uploads to the local backend's signed URLs,
checks after the upload, thumbnails, deletion, and S3's POST policy."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.market.photos.repository import PhotoRepository as ApiPhotoRepository
from concierge.api.market.photos.service import photo_read
from concierge.api.settings import ApiSettings
from concierge.contracts.jobs import THUMBNAIL
from concierge.contracts.market import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    UPLOAD_URL_TTL_S,
    ListingStatus,
)
from concierge.domain.market.models import ListingPhoto, PhotoStatus
from concierge.storage import images
from concierge.storage.backends import LocalStorage, S3Storage, UrlSigner, build_storage
from concierge.worker.market.repository import PhotoRepository
from concierge.worker.market.thumbnails import make_thumbnail
from tests.services.api.market.conftest import BUYER_ID, SELLER_ID
from tests.services.api.market.photo_helpers import (
    HTML_PAGE,
    create_listing,
    phone_jpeg,
    pixel_bomb,
    png,
)

pytestmark = pytest.mark.integration

PUBLIC_URL = "http://api"


@pytest.fixture
def storage(market_app: FastAPI, tmp_path: Path) -> LocalStorage:
    local = LocalStorage(tmp_path / "media", UrlSigner(b"photo-tests-signing-key"), PUBLIC_URL)
    market_app.state.storage = local
    return local


@pytest.fixture
async def anonymous(market_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser without a session: uploads and images need only their signed URL."""
    transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        yield client


def stored_files(storage: LocalStorage) -> list[Path]:
    return (
        [path for path in storage.root.rglob("*") if path.is_file()]
        if storage.root.exists()
        else []
    )


async def photo_rows(session: AsyncSession, listing_id: int) -> int:
    query = select(func.count()).where(ListingPhoto.listing_id == listing_id)
    return int(await session.scalar(query) or 0)


async def ticket_for(client: httpx.AsyncClient, listing_id: int) -> dict:
    response = await client.post(f"/api/v1/listings/{listing_id}/photos")
    assert response.status_code == 201, response.text
    return response.json()


async def upload(
    client: httpx.AsyncClient,
    ticket: dict,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    """What webapp/src/upload.ts sends: every ticket field, then the file as `file`."""
    return await client.post(
        ticket["url"], data=ticket["fields"], files={"file": (filename, data, content_type)}
    )


async def complete(client: httpx.AsyncClient, listing_id: int, photo_id: int) -> httpx.Response:
    return await client.post(f"/api/v1/listings/{listing_id}/photos/{photo_id}/complete")


class TestHappyPath:
    async def test_ticket_upload_complete_thumbnail(
        self, seller, anonymous, session, storage, redis
    ):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        assert ticket["max_bytes"] == MAX_PHOTO_BYTES
        expires_at = datetime.fromisoformat(ticket["expires_at"])
        assert abs((expires_at - datetime.now(UTC)).total_seconds() - UPLOAD_URL_TTL_S) < 5
        assert ticket["url"].startswith(f"{PUBLIC_URL}/api/v1/uploads/uploads/{listing.id}/")

        response = await upload(anonymous, ticket, phone_jpeg(64, 32))
        assert response.status_code == 204, response.text

        response = await complete(seller, listing.id, ticket["photo_id"])
        assert response.status_code == 200, response.text
        photo = response.json()
        # Turned upright by the EXIF orientation (90° clockwise): 64×32 becomes 32×64.
        assert (photo["width"], photo["height"]) == (32, 64)
        assert photo["url"]
        assert photo["thumbnail_url"] is None
        assert not photo["ready"]
        # The raw upload is gone; only the re-encoded image is stored.
        assert [p.relative_to(storage.root).parts[0] for p in stored_files(storage)] == ["photos"]
        jobs = await redis.xrange("jobs")
        assert [(fields["type"], json.loads(fields["payload"])) for _, fields in jobs] == [
            (THUMBNAIL.name, {"photo_id": ticket["photo_id"]})
        ]

        assert await make_thumbnail(PhotoRepository(session), storage, ticket["photo_id"]) is True
        assert (
            await make_thumbnail(PhotoRepository(session), storage, ticket["photo_id"]) is False
        )  # idempotent

        photo = (await complete(seller, listing.id, ticket["photo_id"])).json()
        assert photo["ready"]
        assert photo["thumbnail_url"]
        image = await anonymous.get(photo["url"])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/jpeg"
        assert image.headers["x-content-type-options"] == "nosniff"
        thumbnail = await anonymous.get(photo["thumbnail_url"])
        assert thumbnail.status_code == 200
        assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= images.THUMBNAIL_SIDE

    async def test_metadata_is_gone_after_reencoding(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        original = phone_jpeg()
        assert b"SecretPhone" in original
        assert b"taken at home" in original
        ticket = await ticket_for(seller, listing.id)
        assert (await upload(anonymous, ticket, original)).status_code == 204
        photo = (await complete(seller, listing.id, ticket["photo_id"])).json()

        stored = (await anonymous.get(photo["url"])).content
        assert b"SecretPhone" not in stored
        assert b"taken at home" not in stored
        assert b"Exif" not in stored
        reopened = Image.open(io.BytesIO(stored))
        assert not reopened.getexif()
        assert "comment" not in reopened.info

    async def test_photos_in_listing_reads(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, png(30, 20))
        await complete(seller, listing.id, ticket["photo_id"])
        await ticket_for(seller, listing.id)  # an unused ticket is not a photo

        rows = await ApiPhotoRepository(session).of_listings([listing.id, 999_999])
        (photo,) = [photo_read(row, storage) for row in rows]
        assert (photo.id, photo.width, photo.height) == (ticket["photo_id"], 30, 20)
        # A transparent PNG stays transparent: WebP.
        assert photo.url
        assert photo.url.split("?")[0].endswith(".webp")

        response = await seller.get(f"/api/v1/listings/{listing.id}")
        assert response.status_code == 200, response.text
        assert [p["id"] for p in response.json()["photos"]] == [ticket["photo_id"]]


class TestBadInput:
    async def test_html_named_png_is_not_an_image(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        response = await upload(
            anonymous, ticket, HTML_PAGE, filename="cat.png", content_type="image/png"
        )
        assert response.status_code == 204  # the store takes bytes; the check comes next

        response = await complete(seller, listing.id, ticket["photo_id"])
        assert response.status_code == 422
        assert "not an image" in response.json()["detail"]
        # The Mini App says it in its user's language, naming the formats it takes.
        assert response.json()["code"] == "photo_not_image"
        assert response.json()["params"] == {"formats": "JPEG, PNG, WebP, GIF"}
        assert ticket["formats"] == ["JPEG", "PNG", "WebP", "GIF"]
        assert stored_files(storage) == []
        assert await photo_rows(session, listing.id) == 0

    async def test_six_megabytes_are_refused_at_upload(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        response = await upload(anonymous, ticket, b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024))
        assert response.status_code == 413
        assert stored_files(storage) == []

        response = await complete(seller, listing.id, ticket["photo_id"])
        assert response.status_code == 422
        assert "Nothing was uploaded" in response.json()["detail"]
        assert response.json()["code"] == "photo_not_uploaded"
        assert await photo_rows(session, listing.id) == 0

    async def test_just_over_five_megabytes_is_refused_by_the_endpoint(
        self, seller, anonymous, session, storage
    ):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        response = await upload(anonymous, ticket, b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES)
        assert response.status_code == 413
        assert "larger than 5 MB" in response.json()["detail"]
        assert (response.json()["code"], response.json()["params"]) == (
            "photo_too_large",
            {"mb": 5},
        )
        assert stored_files(storage) == []

    async def test_a_20000_square_png_has_too_many_pixels(
        self, seller, anonymous, session, storage
    ):
        bomb = pixel_bomb()
        assert len(bomb) < MAX_PHOTO_BYTES
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        assert (await upload(anonymous, ticket, bomb, filename="big.png")).status_code == 204

        response = await complete(seller, listing.id, ticket["photo_id"])
        assert response.status_code == 422
        assert "too many pixels" in response.json()["detail"]
        assert response.json()["code"] == "photo_too_many_pixels"
        assert stored_files(storage) == []
        assert await photo_rows(session, listing.id) == 0

    async def test_a_non_image_content_type_is_refused(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        fields = {**ticket["fields"], "Content-Type": "text/html"}
        response = await upload(anonymous, {**ticket, "fields": fields}, HTML_PAGE)
        assert response.status_code == 422
        assert response.json()["code"] == "upload_not_image_type"
        assert stored_files(storage) == []


class TestSignedUrls:
    async def test_tampered_signature_is_refused(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        sig = parse_qs(urlsplit(ticket["url"]).query)["sig"][0]
        forged = ticket["url"].replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
        response = await upload(anonymous, {**ticket, "url": forged}, png(4, 4))
        assert response.status_code == 403
        assert stored_files(storage) == []

    async def test_another_key_with_a_valid_signature_is_refused(
        self, seller, anonymous, session, storage
    ):
        listing = await create_listing(session, SELLER_ID)
        first, second = await ticket_for(seller, listing.id), await ticket_for(seller, listing.id)
        other_key = urlsplit(second["url"]).path
        swapped = first["url"].replace(urlsplit(first["url"]).path, other_key)
        assert (await upload(anonymous, {**first, "url": swapped}, png(4, 4))).status_code == 403

    async def test_expired_link_is_refused(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        key = urlsplit(ticket["url"]).path.removeprefix("/api/v1/uploads/")
        expired = int(time.time()) - 1
        assert storage.signer is not None
        url = f"{PUBLIC_URL}/api/v1/uploads/{key}?{storage.signer.query('upload', key, expired)}"
        response = await upload(anonymous, {**ticket, "url": url}, png(4, 4))
        assert response.status_code == 403
        assert "expired" in response.json()["detail"]

    async def test_raw_uploads_are_never_served(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, HTML_PAGE)
        key = urlsplit(ticket["url"]).path.removeprefix("/api/v1/uploads/")
        assert storage.signer is not None
        query = storage.signer.query("media", key, int(time.time()) + 60)
        assert (await anonymous.get(f"/api/v1/media/{key}?{query}")).status_code == 404

    async def test_image_url_with_a_bad_signature(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, png(8, 8, "RGB"))
        photo = (await complete(seller, listing.id, ticket["photo_id"])).json()
        assert (await anonymous.get(photo["url"] + "0")).status_code == 403
        assert (
            await anonymous.get(photo["url"].replace("expires=", "expires=1"))
        ).status_code == 403


class TestRules:
    async def test_another_users_listing_does_not_exist(self, seller, buyer, session, storage):
        listing = await create_listing(session, SELLER_ID, ListingStatus.APPROVED)
        response = await buyer.post(f"/api/v1/listings/{listing.id}/photos")
        assert response.status_code == 404
        mine = await create_listing(session, BUYER_ID)
        ticket = await ticket_for(buyer, mine.id)
        assert (await complete(seller, mine.id, ticket["photo_id"])).status_code == 404
        response = await seller.delete(f"/api/v1/listings/{mine.id}/photos/{ticket['photo_id']}")
        assert response.status_code == 404

    async def test_the_eleventh_photo_is_a_conflict(self, seller, session, storage):
        listing = await create_listing(session, SELLER_ID)
        for _ in range(MAX_PHOTOS):
            await ticket_for(seller, listing.id)
        response = await seller.post(f"/api/v1/listings/{listing.id}/photos")
        assert response.status_code == 409
        assert f"at most {MAX_PHOTOS} photos" in response.json()["detail"]

    async def test_expired_tickets_do_not_count(self, seller, session, storage):
        listing = await create_listing(session, SELLER_ID)
        for _ in range(MAX_PHOTOS):
            await ticket_for(seller, listing.id)
        past = datetime.now(UTC) - timedelta(seconds=1)
        for photo in (await session.scalars(select(ListingPhoto))).all():
            photo.upload_expires_at = past
        await session.flush()
        await ticket_for(seller, listing.id)

    async def test_archived_listing_is_a_conflict(self, seller, session, storage):
        listing = await create_listing(session, SELLER_ID, ListingStatus.ARCHIVED)
        response = await seller.post(f"/api/v1/listings/{listing.id}/photos")
        assert response.status_code == 409
        assert "archived" in response.json()["detail"]

    async def test_delete_removes_the_row_and_the_files(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, phone_jpeg())
        await complete(seller, listing.id, ticket["photo_id"])
        await make_thumbnail(PhotoRepository(session), storage, ticket["photo_id"])
        assert {p.relative_to(storage.root).parts[0] for p in stored_files(storage)} == {
            "photos",
            "thumbs",
        }

        response = await seller.delete(f"/api/v1/listings/{listing.id}/photos/{ticket['photo_id']}")
        assert response.status_code == 204
        assert stored_files(storage) == []
        assert await photo_rows(session, listing.id) == 0
        # The job for a deleted photo does nothing.
        assert await make_thumbnail(PhotoRepository(session), storage, ticket["photo_id"]) is False

    async def test_complete_twice_returns_the_photo(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, png(10, 10, "RGB"))
        first = (await complete(seller, listing.id, ticket["photo_id"])).json()
        second = await complete(seller, listing.id, ticket["photo_id"])
        assert second.status_code == 200
        assert second.json()["id"] == first["id"]
        row = await session.get(ListingPhoto, ticket["photo_id"])
        assert row is not None
        assert row.status == PhotoStatus.PROCESSING


class TestImages:
    def test_magic_bytes_decide(self):
        assert images.sniff(png(1, 1)) == "PNG"
        assert images.sniff(phone_jpeg()) == "JPEG"
        assert images.sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "WEBP"
        assert images.sniff(b"GIF89a") == "GIF"
        assert images.sniff(HTML_PAGE) is None

    def test_pixel_bound_below_pillows_own(self):
        # 48 megapixels: over ours (40), under Pillow's bomb warning (89).
        with pytest.raises(images.ImageRejected, match=r"too many pixels \(8000×6000\)"):
            images.reencode(png(8000, 6000, "1"))

    def test_truncated_image(self):
        with pytest.raises(images.ImageRejected, match="damaged"):
            images.reencode(phone_jpeg()[:200])


class TestS3Policy:
    def s3(self) -> S3Storage:
        settings = ApiSettings(
            storage_backend="s3",
            storage_s3_endpoint_url="http://minio:9000",
            storage_s3_public_url="http://localhost:9000",
            storage_s3_bucket="photos-bucket",
            storage_s3_access_key="minio-access",
            storage_s3_secret_key="minio-secret-key-123",
        )
        storage = build_storage(settings)
        assert isinstance(storage, S3Storage)
        return storage

    def test_presigned_post_bounds_size_type_key_and_time(self):
        expires_at = datetime.now(UTC) + timedelta(seconds=UPLOAD_URL_TTL_S)
        url, fields = self.s3().upload_form("uploads/7/" + "a" * 32, expires_at)
        assert url == "http://localhost:9000/photos-bucket"  # the browser's address
        assert fields["key"] == "uploads/7/" + "a" * 32
        assert fields["Content-Type"].startswith("image/")
        assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
        policy = json.loads(base64.b64decode(fields["policy"]))
        conditions = policy["conditions"]
        assert ["content-length-range", 1, MAX_PHOTO_BYTES] in conditions
        assert ["starts-with", "$Content-Type", "image/"] in conditions
        assert {"bucket": "photos-bucket"} in conditions
        assert {"key": "uploads/7/" + "a" * 32} in conditions
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        assert abs((expiration - expires_at).total_seconds()) < 5
        # The upload.ts form: every field, the file last.
        assert "file" not in fields

    def test_image_urls_are_presigned_for_the_public_address(self):
        url = self.s3().url("photos/7/" + "b" * 32 + ".jpg")
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == "http://localhost:9000"
        assert parts.path == "/photos-bucket/photos/7/" + "b" * 32 + ".jpg"
        query = parse_qs(parts.query)
        assert 3600 <= int(query["X-Amz-Expires"][0]) <= 7200
        assert "X-Amz-Signature" in query

    def test_s3_needs_credentials(self):
        with pytest.raises(ValueError, match="STORAGE_S3_ACCESS_KEY"):
            ApiSettings(storage_backend="s3")


class TestModeratedAgain:
    async def test_a_new_photo_sends_an_approved_listing_back_to_moderation(
        self, seller, anonymous, session, storage, redis
    ):
        listing = await create_listing(session, SELLER_ID, ListingStatus.APPROVED)
        ticket = await ticket_for(seller, listing.id)
        assert ticket["fields"]  # the ticket alone changes nothing
        assert (await seller.get(f"/api/v1/listings/{listing.id}")).json()["status"] == "approved"

        await upload(anonymous, ticket, phone_jpeg())
        assert (await complete(seller, listing.id, ticket["photo_id"])).status_code == 200
        read = (await seller.get(f"/api/v1/listings/{listing.id}")).json()
        assert read["status"] == "pending"
        assert read["published_at"] is None
        job_types = [fields["type"] for _, fields in await redis.xrange("jobs")]
        assert "market.unindex_listing" in job_types  # out of search until approved again

    async def test_deleting_a_photo_sends_it_back_too(self, seller, anonymous, session, storage):
        listing = await create_listing(session, SELLER_ID)
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, phone_jpeg())
        await complete(seller, listing.id, ticket["photo_id"])
        listing.status = ListingStatus.REJECTED
        await session.flush()
        response = await seller.delete(f"/api/v1/listings/{listing.id}/photos/{ticket['photo_id']}")
        assert response.status_code == 204
        assert (await seller.get(f"/api/v1/listings/{listing.id}")).json()["status"] == "pending"

    async def test_a_photo_added_after_the_admin_opened_it_makes_approval_409(
        self, seller, admin, anonymous, session, storage
    ):
        listing = await create_listing(session, SELLER_ID, ListingStatus.PENDING)
        seen = (await admin.get(f"/api/v1/listings/{listing.id}")).json()
        ticket = await ticket_for(seller, listing.id)
        await upload(anonymous, ticket, phone_jpeg())
        assert (await complete(seller, listing.id, ticket["photo_id"])).status_code == 200

        url = f"/api/v1/admin/listings/{listing.id}/approve"
        assert (await admin.post(url, json={"revision": seen["revision"]})).status_code == 409
        now = (await admin.get(f"/api/v1/listings/{listing.id}")).json()
        assert (now["status"], now["revision"]) == ("pending", seen["revision"] + 1)
        assert (await admin.post(url, json={"revision": now["revision"]})).status_code == 200
