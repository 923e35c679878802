"""Where listing photos live: S3 (MinIO in compose) or a local folder (make dev).

Keys are chosen by the server, never by the client:

- ``uploads/<listing>/<hex>``: what the browser uploaded; never served, deleted once
  checked;
- ``photos/<listing>/<hex>.<ext>``: the checked, re-encoded image;
- ``thumbs/<listing>/<hex>.<ext>``: its thumbnail (made by the worker).

Browsers upload with a multipart POST to ``upload_form``'s URL and fields (the file last)
and load images from ``url(key)``. S3 presigns both: a POST policy that bounds the size
(``content-length-range``), the type (``image/``) and the key, and GET URLs. The local
backend gives signed, expiring api URLs instead (``/api/v1/uploads/<key>`` and
``/api/v1/media/<key>``) that enforce the same limits.

The api and the worker build their storage from the same STORAGE_* variables
(``concierge.common.settings.StorageSettingsMixin``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from concierge.common.auth import tokens_match
from concierge.common.settings import StorageSettingsMixin
from concierge.contracts.market import MAX_PHOTO_BYTES

log = logging.getLogger(__name__)

UPLOAD_PREFIX = "uploads"
IMAGE_PREFIX = "photos"
THUMBNAIL_PREFIX = "thumbs"
# The uploaded object's Content-Type (the policy lets the browser send any image/ type).
UPLOAD_CONTENT_TYPE = "image/jpeg"
# Image URLs are valid for one to two hours and stay the same within an hour, so
# browsers can cache them.
MEDIA_URL_PERIOD_S = 3600
MEDIA_CACHE_CONTROL = f"private, max-age={MEDIA_URL_PERIOD_S}"

KEY_PATTERN = re.compile(
    rf"^(?P<prefix>{UPLOAD_PREFIX}|{IMAGE_PREFIX}|{THUMBNAIL_PREFIX})/[0-9]{{1,19}}/[0-9a-f]{{32}}"
    r"(?P<ext>\.(jpg|png|webp))?\Z"
)
CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


class ObjectTooLarge(Exception):
    """The stored object is larger than the reader allows."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def key_prefix(key: str) -> str | None:
    """``uploads``, ``photos`` or ``thumbs`` for a well-formed key; None otherwise."""
    match = KEY_PATTERN.match(key)
    return match["prefix"] if match else None


def media_expiry(now: float | None = None) -> int:
    """When image URLs made now expire: the end of the next full hour."""
    now = time.time() if now is None else now
    return (int(now) // MEDIA_URL_PERIOD_S + 2) * MEDIA_URL_PERIOD_S


class Storage(Protocol):
    async def prepare(self) -> None:
        """Make sure the folder or bucket exists (at start-up)."""

    def upload_form(self, key: str, expires_at: datetime) -> tuple[str, dict[str, str]]:
        """The URL and form fields of a browser's multipart POST of ``key`` (file last)."""

    def url(self, key: str) -> str:
        """An address a browser can load the object from (signed, expiring)."""

    async def read(self, key: str, max_bytes: int) -> bytes | None:
        """The object, None when missing; ObjectTooLarge when over ``max_bytes``."""

    async def write(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, *keys: str) -> None:
        """Delete these objects; missing ones are fine."""


class UrlSigner:
    """HMAC-SHA256 over (purpose, key, expiry): a URL for one object, one use, one period."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the URL signing key needs 16+ bytes")
        self._secret = secret

    def sign(self, purpose: str, key: str, expires: int) -> str:
        message = f"{purpose}\n{key}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def query(self, purpose: str, key: str, expires: int) -> str:
        return urlencode({"expires": expires, "sig": self.sign(purpose, key, expires)})

    def verify(
        self, purpose: str, key: str, expires: int, signature: str, now: float | None = None
    ) -> bool:
        now = time.time() if now is None else now
        if expires < now:
            return False
        return tokens_match(signature, self.sign(purpose, key, expires))


UPLOAD_PURPOSE = "upload"
MEDIA_PURPOSE = "media"


class LocalStorage:
    """Files under ``root``; the api receives uploads and serves images itself."""

    def __init__(self, root: Path, signer: UrlSigner | None, public_url: str) -> None:
        self.root = root.resolve()
        self.signer = signer
        self.public_url = public_url.rstrip("/")

    def path(self, key: str) -> Path:
        if key_prefix(key) is None:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def _signer(self) -> UrlSigner:
        if self.signer is None:
            raise RuntimeError("this LocalStorage was built without a URL signing key")
        return self.signer

    async def prepare(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    def upload_form(self, key: str, expires_at: datetime) -> tuple[str, dict[str, str]]:
        query = self._signer().query(UPLOAD_PURPOSE, key, int(expires_at.timestamp()))
        return f"{self.public_url}/api/v1/uploads/{key}?{query}", {
            "Content-Type": UPLOAD_CONTENT_TYPE
        }

    def url(self, key: str) -> str:
        query = self._signer().query(MEDIA_PURPOSE, key, media_expiry())
        return f"{self.public_url}/api/v1/media/{key}?{query}"

    async def read(self, key: str, max_bytes: int) -> bytes | None:
        return await asyncio.to_thread(self._read, self.path(key), max_bytes)

    @staticmethod
    def _read(path: Path, max_bytes: int) -> bytes | None:
        try:
            with path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size > max_bytes:
                    raise ObjectTooLarge(size)
                return file.read(max_bytes + 1)
        except FileNotFoundError:
            return None

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file

    async def delete(self, *keys: str) -> None:
        await asyncio.to_thread(self._delete, [self.path(key) for key in keys])

    @staticmethod
    def _delete(paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)


class S3Storage:
    """A bucket on S3 or MinIO.

    ``client`` talks to the endpoint the services reach; ``presigner`` signs for the
    address browsers reach (the host is part of the signature), which may differ.
    """

    def __init__(self, client: Any, presigner: Any, bucket: str) -> None:
        self.client = client
        self.presigner = presigner
        self.bucket = bucket

    async def prepare(self) -> None:
        try:
            await asyncio.to_thread(self._ensure_bucket)
        except Exception as exc:  # the api still starts; uploads fail until it exists
            log.warning("cannot check or create bucket %s: %r", self.bucket, exc)

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)
            log.info("created bucket %s", self.bucket)

    def upload_form(self, key: str, expires_at: datetime) -> tuple[str, dict[str, str]]:
        expires_in = max(1, round(expires_at.timestamp() - time.time()))
        post = self.presigner.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": UPLOAD_CONTENT_TYPE},
            Conditions=[
                ["content-length-range", 1, MAX_PHOTO_BYTES],
                ["starts-with", "$Content-Type", "image/"],
            ],
            ExpiresIn=expires_in,
        )
        return str(post["url"]), {name: str(value) for name, value in post["fields"].items()}

    def url(self, key: str) -> str:
        expires_in = media_expiry() - int(time.time())
        return str(
            self.presigner.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseCacheControl": MEDIA_CACHE_CONTROL,
                },
                ExpiresIn=expires_in,
            )
        )

    async def read(self, key: str, max_bytes: int) -> bytes | None:
        return await asyncio.to_thread(self._read, key, max_bytes)

    def _read(self, key: str, max_bytes: int) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        body = response["Body"]
        try:
            size = int(response.get("ContentLength", 0))
            if size > max_bytes:
                raise ObjectTooLarge(size)
            data = bytes(body.read(max_bytes + 1))
        finally:
            body.close()
        if len(data) > max_bytes:
            raise ObjectTooLarge(len(data))
        return data

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=MEDIA_CACHE_CONTROL,
        )

    async def delete(self, *keys: str) -> None:
        if keys:
            objects = [{"Key": key} for key in keys]
            await asyncio.to_thread(
                self.client.delete_objects, Bucket=self.bucket, Delete={"Objects": objects}
            )


def s3_client(settings: StorageSettingsMixin, endpoint_url: str) -> Any:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    secret = settings.storage_s3_secret_key
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=settings.storage_s3_region,
        aws_access_key_id=settings.storage_s3_access_key,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},  # MinIO: http://minio:9000/<bucket>/<key>
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def build_storage(
    settings: StorageSettingsMixin, *, public_url: str = "", signing_key: bytes | None = None
) -> Storage:
    """The storage the settings name. ``public_url`` and ``signing_key`` make the local
    backend's browser URLs (the api passes them; the worker only reads and writes)."""
    if settings.storage_backend == "s3":
        endpoint = settings.storage_s3_endpoint_url
        client = s3_client(settings, endpoint)
        public = settings.storage_s3_public_url
        presigner = s3_client(settings, public) if public and public != endpoint else client
        return S3Storage(client, presigner, settings.storage_s3_bucket)
    signer = UrlSigner(signing_key) if signing_key else None
    return LocalStorage(Path(settings.storage_local_dir), signer, public_url)
