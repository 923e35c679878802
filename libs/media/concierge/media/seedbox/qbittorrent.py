"""qBittorrent's Web API v2 (qBittorrent 4.1+).

- Login: ``POST /api/v2/auth/login`` (form, with the host's Referer and Origin, which
  qBittorrent's CSRF check wants); success is "Ok." (200) or 204 (5.2+), "Fails." is a
  wrong password, 403 a ban after too many failures. The session cookie is ``SID``, or
  ``QBT_SID_<port>`` from 5.2: the cookie jar keeps whichever came.
- A session that expired answers 403: log in again once.
- qBittorrent 5.0 renamed pausing to stopping: ``torrents/stop``/``start`` and the add
  form's ``stopped`` (before: ``torrents/pause``/``resume`` and ``paused``), and the
  states ``stoppedDL``/``stoppedUP`` (before: ``pausedDL``/``pausedUP``). The version is
  read once (``/api/v2/app/version``).

Written on httpx rather than qbittorrent-api: that library is synchronous (requests) and
opens its own connections, so the SSRF guard could not make them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from concierge.media.errors import (
    AuthFailed,
    BadResponse,
    NotFound,
    ProtocolUnsupported,
    Unreachable,
)
from concierge.media.http import check_status, request
from concierge.media.seedbox.common import (
    SeedboxClient,
    decode_json,
    normalise_hash,
)
from concierge.media.seedbox.models import SeedboxKind, Torrent, TorrentState

_STATES = {
    "error": TorrentState.ERROR,
    "missingFiles": TorrentState.ERROR,
    "uploading": TorrentState.SEEDING,
    "forcedUP": TorrentState.SEEDING,
    "stalledUP": TorrentState.SEEDING,
    "queuedUP": TorrentState.COMPLETED,
    "pausedUP": TorrentState.COMPLETED,
    "stoppedUP": TorrentState.COMPLETED,
    "checkingUP": TorrentState.CHECKING,
    "allocating": TorrentState.QUEUED,
    "downloading": TorrentState.DOWNLOADING,
    "forcedDL": TorrentState.DOWNLOADING,
    "metaDL": TorrentState.DOWNLOADING,
    "forcedMetaDL": TorrentState.DOWNLOADING,
    "stalledDL": TorrentState.STALLED,
    "queuedDL": TorrentState.QUEUED,
    "pausedDL": TorrentState.PAUSED,
    "stoppedDL": TorrentState.PAUSED,
    "checkingDL": TorrentState.CHECKING,
    "checkingResumeData": TorrentState.CHECKING,
    "moving": TorrentState.DOWNLOADING,
}
_VERSION = re.compile(r"v?(\d+)\.(\d+)")


class QBittorrentClient(SeedboxClient):
    kind = SeedboxKind.QBITTORRENT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._logged_in = False
        self.version: tuple[int, int] | None = None
        parts = urlsplit(self.base)
        self._csrf = {"Referer": f"{self.base}/", "Origin": f"{parts.scheme}://{parts.netloc}"}

    @property
    def stopped_names(self) -> bool:
        """qBittorrent 5.0+: "stop"/"start"/"stopped" instead of "pause"/"resume"/"paused"."""
        return (self.version or (0, 0)) >= (5, 0)

    async def _login(self) -> None:
        response, body = await request(
            self._http,
            "POST",
            f"{self.base}/api/v2/auth/login",
            what=self.what,
            data={"username": self.config.username or "", "password": self.password()},
            headers=self._csrf,
        )
        text = body.decode("utf-8", "replace").strip()
        if response.status_code == 404:
            raise ProtocolUnsupported(f"{self.what} has no Web API v2 (qBittorrent 4.1+ needed)")
        if response.status_code == 403:
            raise AuthFailed(f"{self.what} banned this address after failed logins; try later")
        if response.status_code >= 500:
            raise Unreachable(f"{self.what} answered {response.status_code}")
        if response.status_code == 204 or (response.status_code == 200 and text == "Ok."):
            self._logged_in = True
            return
        if response.status_code in (200, 401) and text.startswith("Fails"):
            raise AuthFailed(f"{self.what} refused the username or password")
        raise BadResponse(f"{self.what} answered the login with {response.status_code}")

    async def _call(
        self, method: str, path: str, *, retry: bool = True, **kwargs: Any
    ) -> tuple[httpx.Response, bytes]:
        if not self._logged_in:
            await self._login()
        response, body = await request(
            self._http,
            method,
            f"{self.base}/api/v2/{path}",
            what=self.what,
            headers=self._csrf,
            **kwargs,
        )
        if response.status_code == 403 and retry:  # the session expired
            self._logged_in = False
            return await self._call(method, path, retry=False, **kwargs)
        if response.status_code in (401, 403):
            raise AuthFailed(f"{self.what} refused the session")
        if response.status_code == 404:
            raise ProtocolUnsupported(f"{self.what} does not know {path}")
        check_status(response.status_code, self.what, ok=(200, 204))
        return response, body

    async def _ensure_version(self) -> None:
        if self.version is not None:
            return
        _, body = await self._call("GET", "app/version")
        match = _VERSION.match(body.decode("utf-8", "replace").strip())
        if not match:
            raise BadResponse(f"{self.what} did not say its version")
        self.version = (int(match.group(1)), int(match.group(2)))
        if self.version < (4, 1):
            raise ProtocolUnsupported(f"{self.what} is too old (qBittorrent 4.1+ needed)")

    # --- the interface ----------------------------------------------------------------

    async def test(self) -> str:
        await self._ensure_version()
        assert self.version is not None
        return f"qBittorrent {self.version[0]}.{self.version[1]}"

    async def _add_link(
        self, uri: str, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        return await self._add({"urls": (None, uri)}, paused, save_path, known)

    async def _add_file(
        self, data: bytes, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        torrent = ("release.torrent", data, "application/x-bittorrent")
        return await self._add({"torrents": torrent}, paused, save_path, known)

    async def _add(
        self, files: dict[str, Any], paused: bool, save_path: str | None, known: str | None
    ) -> str:
        await self._ensure_version()
        form: dict[str, Any] = dict(files)
        form["stopped" if self.stopped_names else "paused"] = (None, "true" if paused else "false")
        if save_path:
            form["savepath"] = (None, save_path)
        _, body = await self._call("POST", "torrents/add", files=form)
        if body.strip().startswith(b"Fails"):
            raise BadResponse(f"{self.what} refused the torrent")
        return known or await self._newest_hash()

    async def _newest_hash(self) -> str:
        torrents = await self._info(sort="added_on", reverse="true", limit="1")
        if not torrents:
            raise BadResponse(f"{self.what} did not show the torrent it added")
        return torrents[0].hash

    async def _info(self, **params: str) -> list[Torrent]:
        _, body = await self._call("GET", "torrents/info", params=params)
        raw = decode_json(body, self.what)
        if not isinstance(raw, list):
            raise BadResponse(f"{self.what} listed torrents oddly")
        return [_torrent(t) for t in raw if isinstance(t, dict)]

    async def list(self, hashes: Sequence[str] | None = None) -> list[Torrent]:
        if hashes is None:
            return await self._info()
        if not hashes:
            return []
        return await self._info(hashes="|".join(normalise_hash(h) for h in hashes))

    async def get(self, hash: str) -> Torrent:
        found = await self._info(hashes=normalise_hash(hash))
        if not found:
            raise NotFound(f"{self.what} has no such torrent")
        return found[0]

    async def pause(self, hash: str) -> None:
        await self._switch(hash, "stop", before_5="pause")

    async def resume(self, hash: str) -> None:
        await self._switch(hash, "start", before_5="resume")

    async def _switch(self, hash: str, action: str, *, before_5: str) -> None:
        await self.get(hash)
        await self._ensure_version()
        action = action if self.stopped_names else before_5
        await self._call("POST", f"torrents/{action}", data={"hashes": normalise_hash(hash)})

    async def remove(self, hash: str, *, delete_data: bool = False) -> None:
        await self.get(hash)
        await self._call(
            "POST",
            "torrents/delete",
            data={
                "hashes": normalise_hash(hash),
                "deleteFiles": "true" if delete_data else "false",
            },
        )


def _torrent(raw: dict[str, Any]) -> Torrent:
    try:
        eta = raw.get("eta")
        return Torrent(
            hash=normalise_hash(str(raw.get("hash", ""))),
            name=str(raw.get("name") or ""),
            state=_STATES.get(str(raw.get("state")), TorrentState.QUEUED),
            progress=min(1.0, max(0.0, float(raw.get("progress") or 0.0))),
            size=int(raw.get("size") or 0),
            downloaded=int(raw.get("downloaded") or 0),
            download_rate=int(raw.get("dlspeed") or 0),
            upload_rate=int(raw.get("upspeed") or 0),
            eta_s=int(eta) if isinstance(eta, int) and 0 <= eta < 8640000 else None,
            seeders=raw.get("num_seeds") if isinstance(raw.get("num_seeds"), int) else None,
        )
    except (TypeError, ValueError, NotFound):
        raise BadResponse("the qbittorrent seedbox described a torrent oddly") from None
