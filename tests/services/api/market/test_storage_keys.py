"""Path traversal through the local storage's signed links: a key that leaves the media
folder (``..``, its percent-encodings, absolute paths, backslashes, NUL) is never served
and never written, even with a valid signature for that very key."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from concierge.storage.backends import MEDIA_PURPOSE, UPLOAD_PURPOSE, LocalStorage, UrlSigner

pytestmark = pytest.mark.integration

SECRET = b"\xff\xd8\xff the file outside the media folder"
HEX = "c" * 32
TRAVERSALS = [
    f"photos/1/../../secret{HEX}.jpg",
    f"photos/1/%2e%2e/%2e%2e/secret{HEX}.jpg",
    f"photos/1/%2E%2E%2F%2E%2E%2Fsecret{HEX}.jpg",
    f"photos/1/..%2f..%2fsecret{HEX}.jpg",
    "..%2fsecret.jpg",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    f"photos/1/{HEX}.jpg/../../../secret.jpg",
    f"photos\\1\\..\\..\\secret{HEX}.jpg",
    f"photos/1/..\\..\\secret{HEX}.jpg",
    f"photos/1/{HEX}.jpg%00.png",
    f"uploads/1/../../photos/1/{HEX}",
    f"thumbs/1/{HEX}.jpg/.",
    f"photos//1//{HEX}.jpg",
]


@pytest.fixture
def media(market_app: FastAPI, tmp_path: Path) -> LocalStorage:
    """Local storage in ``tmp/media``, with a file one level above it to steal."""
    storage = LocalStorage(tmp_path / "media", UrlSigner(b"key-tests-signing-key"), "http://api")
    market_app.state.storage = storage
    (tmp_path / "media").mkdir()
    (tmp_path / f"secret{HEX}.jpg").write_bytes(SECRET)
    return storage


@pytest.fixture
async def browser(market_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


def signed(storage: LocalStorage, purpose: str, key: str) -> str:
    """A valid signature for exactly this key, as if the attacker could get one."""
    assert storage.signer is not None
    expires = int(time.time()) + 600
    return f"expires={expires}&sig={storage.signer.sign(purpose, key, expires)}"


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


@pytest.mark.parametrize("key", TRAVERSALS)
class TestTraversal:
    async def test_media_never_serves_it(
        self, browser: httpx.AsyncClient, media: LocalStorage, key: str
    ) -> None:
        response = await browser.get(f"/api/v1/media/{key}?{signed(media, MEDIA_PURPOSE, key)}")
        assert response.status_code in (400, 403, 404), (key, response.status_code)
        assert SECRET not in response.content

    async def test_uploads_never_write_it(
        self, browser: httpx.AsyncClient, media: LocalStorage, key: str, tmp_path: Path
    ) -> None:
        before = sorted(files_under(tmp_path))
        response = await browser.post(
            f"/api/v1/uploads/{key}?{signed(media, UPLOAD_PURPOSE, key)}",
            files={"file": ("x.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg")},
            data={"Content-Type": "image/jpeg"},
        )
        assert response.status_code in (400, 403, 404), (key, response.status_code)
        assert sorted(files_under(tmp_path)) == before
        assert (tmp_path / f"secret{HEX}.jpg").read_bytes() == SECRET


class TestTheStorageItself:
    @pytest.mark.parametrize("key", ["../x", "/etc/passwd", "photos/1/..", "photos\\1\\x", ""])
    def test_refuses_a_path_for_a_key_that_is_not_one(self, media: LocalStorage, key: str) -> None:
        with pytest.raises(ValueError, match="not a storage key"):
            media.path(key)
