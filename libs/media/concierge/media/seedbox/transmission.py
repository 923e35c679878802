"""Transmission's RPC (``POST /transmission/rpc``), both dialects:

- JSON-RPC 2.0 of Transmission 4.1+ (``{"jsonrpc": "2.0", "method": "torrent_add",
  "params": {...}, "id": n}``, snake_case names), used when the server's RPC version is
  18 or more;
- the legacy protocol (``{"method": "torrent-add", "arguments": {...}, "tag": n}``,
  ``{"result": "success", "arguments": {...}}``) of RPC versions 15–17 (Transmission 2.80
  to 4.0); older ones are refused (``ProtocolUnsupported``).

The CSRF handshake: any call may be answered 409 with ``X-Transmission-Session-Id`` (and
``X-Transmission-Rpc-Version``); the call is sent again with that header. Basic auth
when the person gave a username.

Written on httpx rather than transmission-rpc: that library is synchronous (urllib3), opens
its own connections (so the SSRF guard, which must make every connection, cannot apply)
and speaks only the legacy dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from concierge.media.errors import (
    AuthFailed,
    BadResponse,
    MediaError,
    NotFound,
    ProtocolUnsupported,
)
from concierge.media.http import check_status, request
from concierge.media.seedbox.common import (
    SeedboxClient,
    b64,
    decode_json,
    normalise_hash,
)
from concierge.media.seedbox.models import SeedboxConfig, SeedboxKind, Torrent, TorrentState

SESSION_HEADER = "X-Transmission-Session-Id"
VERSION_HEADER = "X-Transmission-Rpc-Version"
MIN_RPC_VERSION = 15  # Transmission 2.80
JSONRPC_FROM = 18  # Transmission 4.1

# torrent fields, in both dialects
_FIELDS = {
    "hashString": "hash_string",
    "name": "name",
    "status": "status",
    "percentDone": "percent_done",
    "sizeWhenDone": "size_when_done",
    "haveValid": "have_valid",
    "rateDownload": "rate_download",
    "rateUpload": "rate_upload",
    "eta": "eta",
    "error": "error",
    "errorString": "error_string",
    "peersSendingToUs": "peers_sending_to_us",
}
# status numbers (both dialects)
_STATES = {
    0: TorrentState.PAUSED,
    1: TorrentState.QUEUED,
    2: TorrentState.CHECKING,
    3: TorrentState.QUEUED,
    4: TorrentState.DOWNLOADING,
    5: TorrentState.QUEUED,
    6: TorrentState.SEEDING,
}


class TransmissionClient(SeedboxClient):
    kind = SeedboxKind.TRANSMISSION

    def __init__(self, config: SeedboxConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.rpc_url = self.base if self.base.endswith("/rpc") else f"{self.base}/transmission/rpc"
        self._session_id: str | None = None
        self.rpc_version: int | None = None
        self._tag = 0

    @property
    def jsonrpc(self) -> bool:
        return (self.rpc_version or 0) >= JSONRPC_FROM

    # --- the wire ---------------------------------------------------------------------

    async def _post(self, payload: dict[str, Any]) -> Any:
        auth = (self.config.username, self.password()) if self.config.username else None
        for _ in range(3):  # the handshake, and one more if the session id changed
            headers = {SESSION_HEADER: self._session_id} if self._session_id else {}
            response, body = await request(
                self._http,
                "POST",
                self.rpc_url,
                what=self.what,
                json=payload,
                headers=headers,
                auth=auth,
            )
            if response.status_code == 409 and SESSION_HEADER in response.headers:
                self._session_id = response.headers[SESSION_HEADER]
                self._note_version(response)
                continue
            return self._judge(response, body)
        raise BadResponse(f"{self.what} kept refusing its own session id")

    def _note_version(self, response: httpx.Response) -> None:
        version = response.headers.get(VERSION_HEADER, "")
        if version.isdigit():
            self.rpc_version = int(version)

    def _judge(self, response: httpx.Response, body: bytes) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise AuthFailed(f"{self.what} refused the username or password")
        if status == 404:
            raise ProtocolUnsupported(f"{self.what} has no RPC at this address")
        check_status(status, self.what)
        return decode_json(body, self.what)

    async def _ensure_version(self) -> None:
        if self.rpc_version is not None:
            return
        # The legacy session-get is understood by every version; 4.1+ answers it too.
        answer = await self._post(
            {"method": "session-get", "arguments": {"fields": ["rpc-version", "version"]}}
        )
        if self.rpc_version is None:
            arguments = answer.get("arguments") if isinstance(answer, dict) else None
            if not isinstance(arguments, dict) or not isinstance(arguments.get("rpc-version"), int):
                raise ProtocolUnsupported(f"{self.what} does not speak Transmission's RPC")
            self.rpc_version = arguments["rpc-version"]
        if self.rpc_version < MIN_RPC_VERSION:
            raise ProtocolUnsupported(
                f"{self.what} is too old (RPC version {self.rpc_version}; "
                f"Transmission 2.80 or newer is needed)"
            )

    async def call(self, method: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call ``method`` (given in the legacy spelling, "torrent-add") in the server's
        dialect; return the result's arguments with legacy key names."""
        await self._ensure_version()
        self._tag += 1
        if self.jsonrpc:
            answer = await self._post(
                {
                    "jsonrpc": "2.0",
                    "method": method.replace("-", "_"),
                    "params": _to_snake(arguments or {}),
                    "id": self._tag,
                }
            )
            if not isinstance(answer, dict):
                raise BadResponse(f"{self.what} answered something else than JSON-RPC")
            if "error" in answer:
                raise _rpc_error(self.what, answer["error"])
            result = answer.get("result")
            return _to_camel(result) if isinstance(result, dict) else {}
        answer = await self._post(
            {"method": method, "arguments": arguments or {}, "tag": self._tag}
        )
        if not isinstance(answer, dict) or "result" not in answer:
            raise BadResponse(f"{self.what} answered something else than its RPC")
        if answer["result"] != "success":
            raise _legacy_error(self.what, str(answer["result"]))
        arguments_out = answer.get("arguments")
        return arguments_out if isinstance(arguments_out, dict) else {}

    # --- the interface ----------------------------------------------------------------

    async def test(self) -> str:
        answer = await self.call("session-get", {"fields": ["version", "rpc-version"]})
        version = answer.get("version")
        return f"Transmission {version}" if isinstance(version, str) else "Transmission"

    async def _add_link(
        self, uri: str, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        return await self._add({"filename": uri}, paused, save_path, known)

    async def _add_file(
        self, data: bytes, paused: bool, save_path: str | None, known: str | None
    ) -> str:
        return await self._add({"metainfo": b64(data)}, paused, save_path, known)

    async def _add(
        self, source: dict[str, Any], paused: bool, save_path: str | None, known: str | None
    ) -> str:
        arguments = {**source, "paused": paused}
        if save_path:
            arguments["download-dir"] = save_path
        result = await self.call("torrent-add", arguments)
        added = result.get("torrent-added") or result.get("torrent-duplicate")
        if isinstance(added, dict) and isinstance(added.get("hashString"), str):
            return normalise_hash(added["hashString"])
        if known:
            return known
        raise BadResponse(f"{self.what} did not say which torrent it added")

    async def list(self, hashes: Sequence[str] | None = None) -> list[Torrent]:
        arguments: dict[str, Any] = {"fields": list(_FIELDS)}
        if hashes is not None:
            if not hashes:
                return []
            arguments["ids"] = [normalise_hash(h) for h in hashes]
        result = await self.call("torrent-get", arguments)
        return [_torrent(t) for t in result.get("torrents") or [] if isinstance(t, dict)]

    async def get(self, hash: str) -> Torrent:
        result = await self.call(
            "torrent-get", {"ids": [normalise_hash(hash)], "fields": list(_FIELDS)}
        )
        torrents = [t for t in result.get("torrents") or [] if isinstance(t, dict)]
        if not torrents:
            raise NotFound(f"{self.what} has no such torrent")
        return _torrent(torrents[0])

    async def pause(self, hash: str) -> None:
        await self.get(hash)
        await self.call("torrent-stop", {"ids": [normalise_hash(hash)]})

    async def resume(self, hash: str) -> None:
        await self.get(hash)
        await self.call("torrent-start", {"ids": [normalise_hash(hash)]})

    async def remove(self, hash: str, *, delete_data: bool = False) -> None:
        await self.get(hash)
        await self.call(
            "torrent-remove", {"ids": [normalise_hash(hash)], "delete-local-data": delete_data}
        )


def _snake(name: str) -> str:
    if name in _FIELDS:
        return _FIELDS[name]
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
    return out.replace("-", "_")


_CAMEL = {snake: camel for camel, snake in _FIELDS.items()} | {
    "torrent_added": "torrent-added",
    "torrent_duplicate": "torrent-duplicate",
    "rpc_version": "rpc-version",
    "delete_local_data": "delete-local-data",
    "download_dir": "download-dir",
}


def _to_snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): _to_snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) if isinstance(v, str) else _to_snake(v) for v in value]
    return value


def _to_camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_CAMEL.get(k, k): _to_camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_camel(v) for v in value]
    return value


def _rpc_error(what: str, error: Any) -> MediaError:
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    code = error.get("code") if isinstance(error, dict) else None
    if code == -32601:
        return ProtocolUnsupported(f"{what} does not know that method")
    return BadResponse(f"{what} refused: {message[:200]}" if message else f"{what} refused")


def _legacy_error(what: str, result: str) -> MediaError:
    if "not recognized" in result:
        return ProtocolUnsupported(f"{what} does not know that method")
    if "duplicate" in result:
        return BadResponse(f"{what}: {result[:200]}")
    return BadResponse(f"{what} refused: {result[:200]}")


def _torrent(raw: dict[str, Any]) -> Torrent:
    try:
        progress = min(1.0, max(0.0, float(raw.get("percentDone") or 0.0)))
        state = _STATES.get(int(raw.get("status") or 0), TorrentState.QUEUED)
        if raw.get("error"):
            state = TorrentState.ERROR
        elif state is TorrentState.DOWNLOADING and not raw.get("peersSendingToUs"):
            state = TorrentState.STALLED
        elif state is TorrentState.PAUSED and progress >= 1.0:
            state = TorrentState.COMPLETED
        eta = raw.get("eta")
        return Torrent(
            hash=normalise_hash(str(raw.get("hashString", ""))),
            name=str(raw.get("name") or ""),
            state=state,
            progress=progress,
            size=int(raw.get("sizeWhenDone") or 0),
            downloaded=int(raw.get("haveValid") or 0),
            download_rate=int(raw.get("rateDownload") or 0),
            upload_rate=int(raw.get("rateUpload") or 0),
            eta_s=int(eta) if isinstance(eta, int) and eta >= 0 else None,
            seeders=raw.get("peersSendingToUs")
            if isinstance(raw.get("peersSendingToUs"), int)
            else None,
            error=str(raw.get("errorString") or "")[:200] or None,
        )
    except (TypeError, ValueError, NotFound):
        raise BadResponse("the transmission seedbox described a torrent oddly") from None
