"""The api serves the built Mini App at /app/ when there is no nginx (make dev)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings
from concierge.api.webapp_static import REPO_BUILD, webapp_dir

INDEX = "<!doctype html><title>Concierge Market</title>"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-3f2a1b.js").write_text("console.log('market');\n")
    return tmp_path


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http


@pytest.fixture
async def http(build: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(create_app(ApiSettings(webapp_dir=str(build)))):
        yield client


class TestMiniApp:
    async def test_app_redirects_to_the_folder(self, http):
        response = await http.get("/app")
        assert response.status_code == 301
        assert response.headers["Location"] == "/app/"

    @pytest.mark.parametrize("path", ["/app/", "/app/index.html"])
    async def test_the_page_is_revalidated_on_every_load(self, http, path):
        response = await http.get(path)
        assert response.status_code == 200
        assert response.text == INDEX
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Cache-Control"] == "no-cache"

    async def test_hashed_assets_are_cached_for_good(self, http):
        response = await http.get("/app/assets/index-3f2a1b.js")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "javascript" in response.headers["Content-Type"]

    async def test_a_revalidation_gets_304(self, http):
        first = await http.get("/app/")
        again = await http.get("/app/", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304

    @pytest.mark.parametrize(
        "path", ["/app/listings/42", "/app/assets/missing.js", "/app/../pyproject.toml"]
    )
    async def test_other_paths_are_404_in_the_error_shape(self, http, path):
        response = await http.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found", "status_code": 404}

    async def test_is_not_in_the_api_schema(self, http):
        paths = (await http.get("/api/openapi.json")).json()["paths"]
        assert not [path for path in paths if path.startswith("/app")]


class TestWhichFolder:
    def test_empty_switches_it_off(self):
        assert webapp_dir(ApiSettings(webapp_dir="")) is None

    async def test_switched_off_app_is_404(self):
        async for http in serve(create_app(ApiSettings(webapp_dir=""))):
            assert (await http.get("/app/")).status_code == 404

    def test_unset_means_the_checkouts_build(self):
        expected = REPO_BUILD if (REPO_BUILD / "index.html").is_file() else None
        assert webapp_dir(ApiSettings()) == expected

    def test_a_folder_without_a_build_stops_the_start(self, tmp_path):
        with pytest.raises(RuntimeError, match=r"no index\.html"):
            create_app(ApiSettings(webapp_dir=str(tmp_path)))

    async def test_serves_the_real_build(self):
        assert (REPO_BUILD / "index.html").is_file(), "webapp/dist is not built: run `make webapp`"
        async for http in serve(create_app(ApiSettings())):
            page = await http.get("/app/")
            assert page.status_code == 200
            assert '<div id="app">' in page.text
            asset = next(name for name in (REPO_BUILD / "assets").iterdir() if name.is_file())
            response = await http.get(f"/app/assets/{asset.name}")
            assert response.status_code == 200
