"""The Mini App's built files at ``/app/`` when there is no nginx (``make dev``).

In compose nginx serves them (nginx/templates/default.conf.template) with the same
rules: ``index.html`` is revalidated on every load, Vite's content-hashed files under
``assets/`` are cached for good, and any other path is a 404 (the app routes with the
URL fragment, so no path needs index.html as a fallback).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from concierge.api.settings import ApiSettings

log = logging.getLogger(__name__)

MOUNT_PATH = "/app"
# Where `make webapp` builds it, in a checkout (an installed package has no such folder).
REPO_BUILD = Path(__file__).resolve().parents[4] / "webapp" / "dist"
FOREVER = "public, max-age=31536000, immutable"


class MiniAppFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            hashed = Path(path).parts[:1] == ("assets",)
            response.headers["Cache-Control"] = FOREVER if hashed else "no-cache"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def webapp_dir(settings: ApiSettings) -> Path | None:
    """The folder to serve: API_WEBAPP_DIR, else the checkout's build if there is one."""
    if settings.webapp_dir is None:
        return REPO_BUILD if (REPO_BUILD / "index.html").is_file() else None
    if not settings.webapp_dir.strip():
        return None
    folder = Path(settings.webapp_dir).expanduser()
    if not (folder / "index.html").is_file():
        raise RuntimeError(f"API_WEBAPP_DIR={folder} has no index.html (run `make webapp`)")
    return folder


def mount_webapp(app: FastAPI, settings: ApiSettings) -> None:
    folder = webapp_dir(settings)
    if folder is None:
        log.info("not serving the Mini App: no build (make webapp) and no API_WEBAPP_DIR")
        return

    @app.get(MOUNT_PATH, include_in_schema=False)
    async def app_root() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT_PATH}/", status_code=301)

    app.mount(MOUNT_PATH, MiniAppFiles(directory=folder, html=True), name="webapp")
