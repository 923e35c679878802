"""Deluge's Web UI JSON-RPC (``POST /json``, ``{"method", "params", "id"}``).

``auth.login [password]`` answers ``true`` and sets the ``_session_id`` cookie; the web UI
is then asked whether it is connected to a daemon (``web.connected``) and, if not, to
connect to one of its hosts (``web.get_hosts``, ``web.connect [host_id]``; the config's
``deluge_host_id``, else the first). Errors come as ``{"error": {"message", "code"}}``:
code 1 is "not authenticated".

Written on httpx rather than deluge-web-client: that library is synchronous (requests)
and opens its own connections, so the SSRF guard could not make them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    b64,
    decode_json,
    normalise_hash,
)
from concierge.media.seedbox.models import SeedboxKind, Torrent, TorrentState

_KEYS = [
    "name",
    "state",
    "progress",
    "total_wanted",
    "total_done",
    "download_payload_rate",
    "upload_payload_rate",
    "eta",
    "num_seeds",
    "message",
]
_STATES = {
    "Downloading": TorrentState.DOWNLOADING,
    "Seeding": TorrentState.SEEDING,
    "Paused": TorrentState.PAUSED,
    "Checking": TorrentState.CHECKING,
    "Queued": TorrentState.QUEUED,
    "Allocating": TorrentState.QUEUED,
    "Moving": TorrentState.DOWNLOADING,
    "Error": TorrentState.ERROR,
}
NOT_AUTHENTICATED = 1
UNKNOWN_METHOD = 2


class DelugeClient(SeedboxClient):
    kind = SeedboxKind.DELUGE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.json_url = self.base if self.base.endswith("/json") else f"{self.base}/json"
        self._id = 0
        self._ready = False

    async def _rpc(self, method: str, params: list[Any]) -> Any:
        self._id += 1
        response, body = await request(
            self._http,
            "POST",
            self.json_url,
            what=self.what,
            json={"method": method, "params": params, "id": self._id},
        )
        if response.status_code == 404:
            raise ProtocolUnsupported(f"{self.what} has no JSON-RPC at this address")
        check_status(response.status_code, self.what)
        answer = decode_json(body, self.what)
        if not isinstance(answer, dict) or "result" not in answer:
            raise ProtocolUnsupported(f"{self.what} does not speak Deluge's JSON-RPC")
        error = answer.get("error")
        if error:
            code = error.get("code") if isinstance(error, dict) else None
            message = str(error.get("message", "")) if isinstance(error, dict) else ""
            if code == NOT_AUTHENTICATED:
                raise AuthFailed(f"{self.what} wants a login")
            if code == UNKNOWN_METHOD:
                raise ProtocolUnsupported(f"{self.what} does not know {method}")
            raise BadResponse(f"{self.what} refused: {message[:200]}")
        return answer["result"]

    async def _connect(self) -> None:
        if self._ready:
            return
        if await self._rpc("auth.login", [self.password()]) is not True:
            raise AuthFailed(f"{self.what} refused the password")
        if not await self._rpc("web.connected", []):
            hosts = await self._rpc("web.get_hosts", [])
            if not isinstance(hosts, list) or not hosts:
                raise Unreachable(f"{self.what} knows no Deluge daemon to connect to")
            ids = [h[0] for h in hosts if isinstance(h, list) and h and isinstance(h[0], str)]
            wanted = self.config.deluge_host_id
            if wanted and wanted not in ids:
                raise NotFound(f"{self.what} has no daemon host {wanted[:40]!r}")
            if not ids:
                raise BadResponse(f"{self.what} listed its hosts oddly")
            await self._rpc("web.connect", [wanted or ids[0]])
            if not await self._rpc("web.connected", []):
                raise Unreachable(f"{self.what} could not connect to its daemon")
        self._ready = True

    async def call(self, method: str, params: list[Any]) -> Any:
        await self._connect()
        try:
            return await self._rpc(method, params)
        except AuthFailed:  # the web session expired: once more
            self._ready = False
            await self._connect()
            return await self._rpc(method, params)

    # --- the interface ----------------------------------------------------------------

    async def test(self) -> str:
        version = await self.call("daemon.get_version", [])
        return f"Deluge {version}" if isinstance(version, str) else "Deluge"

    def _options(self, paused: bool, save_path: str | None) -> dict[str, Any]:
        options: dict[str, Any] = {"add_paused": paused}
        if save_path:
            options["download_location"] = save_path
        return options

    async def _add_link(
        self, uri: str, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        options = self._options(paused, save_path)
        method = "core.add_torrent_magnet" if uri.startswith("magnet:") else "core.add_torrent_url"
        return await self._add(method, [uri, options], known)

    async def _add_file(
        self, data: bytes, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        params = ["release.torrent", b64(data), self._options(paused, save_path)]
        return await self._add("core.add_torrent_file", params, known)

    async def _add(self, method: str, params: list[Any], known: str | None) -> str:
        try:
            result = await self.call(method, params)
        except BadResponse as exc:
            if known and "already" in str(exc):  # "Torrent already in session (<hash>)."
                return known
            raise
        if isinstance(result, str):
            return normalise_hash(result)
        if known:  # Deluge answers null for a torrent it already has
            return known
        raise BadResponse(f"{self.what} did not say which torrent it added")

    async def _status(self, filter_: dict[str, Any]) -> list[Torrent]:
        result = await self.call("core.get_torrents_status", [filter_, _KEYS])
        if not isinstance(result, dict):
            raise BadResponse(f"{self.what} listed torrents oddly")
        return [_torrent(h, t) for h, t in result.items() if isinstance(t, dict)]

    async def list(self, hashes: Sequence[str] | None = None) -> list[Torrent]:
        if hashes is not None and not hashes:
            return []
        return await self._status({"id": [normalise_hash(h) for h in hashes]} if hashes else {})

    async def get(self, hash: str) -> Torrent:
        found = await self._status({"id": [normalise_hash(hash)]})
        if not found:
            raise NotFound(f"{self.what} has no such torrent")
        return found[0]

    async def pause(self, hash: str) -> None:
        await self.get(hash)
        await self.call("core.pause_torrent", [[normalise_hash(hash)]])

    async def resume(self, hash: str) -> None:
        await self.get(hash)
        await self.call("core.resume_torrent", [[normalise_hash(hash)]])

    async def remove(self, hash: str, *, delete_data: bool = False) -> None:
        await self.get(hash)
        await self.call("core.remove_torrent", [normalise_hash(hash), delete_data])


def _torrent(hash: str, raw: dict[str, Any]) -> Torrent:
    try:
        progress = min(1.0, max(0.0, float(raw.get("progress") or 0.0) / 100.0))
        state = _STATES.get(str(raw.get("state")), TorrentState.QUEUED)
        if state is TorrentState.DOWNLOADING and not raw.get("num_seeds"):
            state = TorrentState.STALLED
        if state is TorrentState.PAUSED and progress >= 1.0:
            state = TorrentState.COMPLETED
        eta = raw.get("eta")
        return Torrent(
            hash=normalise_hash(hash),
            name=str(raw.get("name") or ""),
            state=state,
            progress=progress,
            size=int(raw.get("total_wanted") or 0),
            downloaded=int(raw.get("total_done") or 0),
            download_rate=int(raw.get("download_payload_rate") or 0),
            upload_rate=int(raw.get("upload_payload_rate") or 0),
            eta_s=int(eta) if isinstance(eta, int | float) and eta > 0 else None,
            seeders=raw.get("num_seeds") if isinstance(raw.get("num_seeds"), int) else None,
            error=str(raw.get("message"))[:200] if state is TorrentState.ERROR else None,
        )
    except (TypeError, ValueError, NotFound):
        raise BadResponse("the deluge seedbox described a torrent oddly") from None
