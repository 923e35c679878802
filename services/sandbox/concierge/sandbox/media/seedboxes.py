"""Seedbox stand-ins, each speaking its real protocol with its handshake quirks. Every
instance is a version under a path, so tests can meet old and new side by side:

- Transmission at ``/media/transmission/<version>/transmission/rpc``: ``4.1.0`` (RPC 18:
  JSON-RPC 2.0 with snake_case names, and the legacy protocol), ``4.0.6`` (RPC 17, legacy
  only), ``2.52`` (RPC 14, too old). Basic auth ``admin``/``sandbox``; the 409
  ``X-Transmission-Session-Id`` handshake (with ``X-Transmission-Rpc-Version``).
- qBittorrent at ``/media/qbittorrent/<version>/api/v2/…``: ``5.2.0`` (cookie
  ``QBT_SID_<port>``, login answers 204, ``stopped``/``stop``/``start``, ``stoppedDL``),
  ``5.0.0`` (cookie ``SID``, "Ok.", the ``stop`` names), ``4.6.7`` (``SID``, ``paused``/
  ``pause``/``resume``, ``pausedDL``), ``4.0.4`` (no Web API v2: 404). Login
  ``admin``/``sandbox``; a foreign Origin is refused; no session: 403.
- Deluge at ``/media/deluge/<version>/json``: ``2.1.1``; ``auth.login ["sandbox"]`` sets
  ``_session_id``; ``web.connected`` is false until ``web.connect`` to a host of
  ``web.get_hosts``.

An added torrent progresses to done over ``SANDBOX_MEDIA_TORRENT_SECONDS`` (or what
``POST /sandbox/media/config`` set). Faults: services ``transmission``, ``qbittorrent``,
``deluge``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Container
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from concierge.media.seedbox.common import magnet_hash, torrent_file_hash
from concierge.sandbox.media.faults import fault_response, media_state
from concierge.sandbox.media.state import MediaSandbox, SimTorrent
from concierge.sandbox.media.torznab import release_for_link

router = APIRouter(tags=["media"])
USERNAME = "admin"
PASSWORD = "sandbox"  # noqa: S105 (the stand-in's documented password)
DEFAULT_SIZE = 4 * 1024**3

TRANSMISSION = {"4.1.0": 18, "4.0.6": 17, "2.52": 14}
QBITTORRENT = ("5.2.0", "5.0.0", "4.6.7")
DELUGE = ("2.1.1",)


def _source(uri: str) -> tuple[str, str, int] | None:
    """(info-hash, name, size) of a magnet or a .torrent link."""
    infohash = magnet_hash(uri)
    if infohash:
        names = parse_qs(urlsplit(uri).query).get("dn")
        return infohash, (names[0] if names else infohash)[:200], DEFAULT_SIZE
    if uri.startswith(("http://", "https://")):
        release = release_for_link(uri)
        if release is not None:
            return release.infohash, release.title, release.size
        return (
            hashlib.sha1(uri.encode()).hexdigest(),  # noqa: S324 (an id, not security)
            uri.rsplit("/", 1)[-1][:200] or "torrent",
            DEFAULT_SIZE,
        )
    return None


def _file_source(data: bytes) -> tuple[str, str, int] | None:
    infohash = torrent_file_hash(data)
    if infohash is None:
        return None
    marker = data.find(b"4:name")
    name = "torrent"
    if marker >= 0:
        colon = data.find(b":", marker + 6)
        length = data[marker + 6 : colon]
        if length.isdigit():
            name = data[colon + 1 : colon + 1 + int(length)].decode("utf-8", "replace")
    return infohash, name[:200], DEFAULT_SIZE


def _b64_file_source(value: Any) -> tuple[str, str, int] | None:
    """The source of a .torrent file sent in base64 (Transmission's ``metainfo``,
    Deluge's ``core.add_torrent_file``); None when it is not one."""
    try:
        return _file_source(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return None


async def _instance(
    request: Request, service: str, version: str, versions: Container[str], missing: str
) -> tuple[MediaSandbox, str] | Response:
    """The sandbox state and the instance (``<service>/<version>``) a call is for, or the
    answer to give: ``missing`` (404) for a version not served, a queued fault."""
    if version not in versions:
        return Response(missing, status_code=404)
    if fault := await fault_response(request, service):
        return fault
    return media_state(request), f"{service}/{version}"


# --- Transmission ---------------------------------------------------------------------

_T_FIELDS = {
    "hashString": "hash_string",
    "percentDone": "percent_done",
    "sizeWhenDone": "size_when_done",
    "haveValid": "have_valid",
    "rateDownload": "rate_download",
    "rateUpload": "rate_upload",
    "errorString": "error_string",
    "peersSendingToUs": "peers_sending_to_us",
    "downloadDir": "download_dir",
}


def _transmission_torrent(t: SimTorrent, number: int) -> dict[str, Any]:
    progress = t.progress()
    status = 0 if t.paused else (6 if progress >= 1.0 else 4)
    rate = t.rate()
    return {
        "id": number,
        "hashString": t.hash,
        "name": t.name,
        "status": status,
        "percentDone": round(progress, 4),
        "sizeWhenDone": t.size,
        "haveValid": int(t.size * progress),
        "rateDownload": rate,
        "rateUpload": 0,
        "eta": int((1 - progress) * t.seconds) if rate else -1,
        "error": 0,
        "errorString": "",
        "peersSendingToUs": 0 if t.stalled or t.paused or progress >= 1.0 else 12,
        "downloadDir": t.save_path,
    }


def _transmission_call(
    state: MediaSandbox, instance: str, version: str, method: str, args: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(result, arguments) in legacy spelling; result "success" or an error text."""
    box = state.box(instance)
    numbered = list(box.values())
    if method == "session-get":
        rpc = TRANSMISSION[version]
        return "success", {
            "version": f"{version} (sandbox)",
            "rpc-version": rpc,
            "rpc-version-semver": "6.0.0" if rpc >= 18 else "5.3.0",
        }
    if method == "torrent-add":
        if "metainfo" in args:
            source = _b64_file_source(args["metainfo"])
        else:
            source = _source(str(args.get("filename", "")))
        if source is None:
            return "invalid or corrupt torrent file", {}
        infohash, name, size = source
        added = state.add(instance, infohash, name, paused=bool(args.get("paused")), size=size)
        if args.get("download-dir"):
            box[infohash].save_path = str(args["download-dir"])
        number = list(box).index(infohash) + 1
        key = "torrent-added" if added else "torrent-duplicate"
        return "success", {key: {"id": number, "hashString": infohash, "name": box[infohash].name}}
    ids = args.get("ids")
    chosen = [t for t in numbered if ids is None or t.hash in ids]
    if method == "torrent-get":
        fields = args.get("fields") or []
        torrents = [
            {
                k: v
                for k, v in _transmission_torrent(t, numbered.index(t) + 1).items()
                if k in fields
            }
            for t in chosen
        ]
        return "success", {"torrents": torrents}
    if method in ("torrent-stop", "torrent-start"):
        for t in chosen:
            t.pause() if method == "torrent-stop" else t.resume()
        return "success", {}
    if method == "torrent-remove":
        for t in chosen:
            box.pop(t.hash, None)
        return "success", {}
    return "method name not recognized", {}


def _snake(name: str) -> str:
    return _T_FIELDS.get(name, name.replace("-", "_"))


_PARAMS = {"download_dir": "download-dir", "delete_local_data": "delete-local-data"}


def _camel(name: str) -> str:
    """A 4.1 torrent field name in the legacy spelling."""
    back = {v: k for k, v in _T_FIELDS.items()}
    return back.get(name, name)


@router.post("/media/transmission/{version}/transmission/rpc", include_in_schema=False)
async def transmission_rpc(request: Request, version: str) -> Response:
    found = await _instance(request, "transmission", version, TRANSMISSION, "Not found")
    if isinstance(found, Response):
        return found
    state, instance = found
    auth = request.headers.get("authorization", "")
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    if auth != expected:
        return Response(
            "<h1>401: Unauthorized</h1>",
            status_code=401,
            media_type="text/html",
            headers={"WWW-Authenticate": 'Basic realm="Transmission"'},
        )
    session = request.headers.get("x-transmission-session-id")
    if not state.valid_session(instance, session):
        return Response(
            "<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>",
            status_code=409,
            media_type="text/html",
            headers={
                "X-Transmission-Session-Id": state.new_session(instance),
                "X-Transmission-Rpc-Version": str(TRANSMISSION[version]),
            },
        )
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return Response("Bad request", status_code=400)
    if not isinstance(payload, dict):
        return Response("Bad request", status_code=400)
    if payload.get("jsonrpc") == "2.0" and TRANSMISSION[version] >= 18:
        method = str(payload.get("method", "")).replace("_", "-")
        params = payload.get("params") or {}
        args: dict[str, Any] = {}
        if isinstance(params, dict):
            args = {_PARAMS.get(str(k), str(k)): v for k, v in params.items()}
        if isinstance(args.get("fields"), list):
            args["fields"] = [_camel(f) for f in args["fields"]]
        result, out = _transmission_call(state, instance, version, method, args)
        if result != "success":
            code = -32601 if "not recognized" in result else -32602
            return JSONResponse(
                {
                    "jsonrpc": "2.0",
                    "error": {"code": code, "message": result},
                    "id": payload.get("id"),
                }
            )
        return JSONResponse({"jsonrpc": "2.0", "result": _snake_keys(out), "id": payload.get("id")})
    method = str(payload.get("method", ""))
    raw_arguments = payload.get("arguments")
    arguments: dict[str, Any] = raw_arguments if isinstance(raw_arguments, dict) else {}
    result, out = _transmission_call(state, instance, version, method, arguments)
    return JSONResponse({"result": result, "arguments": out, "tag": payload.get("tag")})


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


# --- qBittorrent ----------------------------------------------------------------------


def _qbt_version(version: str) -> tuple[int, int]:
    major, minor, *_ = version.split(".")
    return int(major), int(minor)


def _qbt_cookie(request: Request, version: str) -> str:
    if _qbt_version(version) >= (5, 2):
        return f"QBT_SID_{request.url.port or 80}"
    return "SID"


def _qbt_state(t: SimTorrent, version: str) -> str:
    stopped = "stopped" if _qbt_version(version) >= (5, 0) else "paused"
    done = t.progress() >= 1.0
    if t.paused:
        return f"{stopped}{'UP' if done else 'DL'}"
    if done:
        return "uploading"
    return "stalledDL" if t.stalled else "downloading"


def _qbt_torrent(t: SimTorrent, version: str, added_on: int) -> dict[str, Any]:
    progress = t.progress()
    rate = t.rate()
    return {
        "hash": t.hash,
        "name": t.name,
        "state": _qbt_state(t, version),
        "progress": round(progress, 4),
        "size": t.size,
        "downloaded": int(t.size * progress),
        "dlspeed": rate,
        "upspeed": 0,
        "eta": int((1 - progress) * t.seconds) if rate else 8640000,
        "num_seeds": 0 if t.stalled else 12,
        "added_on": added_on,
        "save_path": t.save_path,
    }


@router.api_route(
    "/media/qbittorrent/{version}/api/v2/{path:path}",
    methods=["GET", "POST"],
    include_in_schema=False,
)
async def qbittorrent_api(request: Request, version: str, path: str) -> Response:
    found = await _instance(request, "qbittorrent", version, QBITTORRENT, "Not Found")
    if isinstance(found, Response):
        return found
    state, instance = found
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin and urlsplit(origin).netloc != host:
        return Response("Unauthorized", status_code=401)
    cookie = _qbt_cookie(request, version)
    if path == "auth/login":
        form = await request.form()
        if form.get("username") != USERNAME or form.get("password") != PASSWORD:
            state.failed_logins[instance] += 1
            return Response("Fails.", media_type="text/plain")
        session = state.new_session(instance)
        response = (
            Response(status_code=204)
            if _qbt_version(version) >= (5, 2)
            else Response("Ok.", media_type="text/plain")
        )
        response.set_cookie(
            cookie, session, httponly=True, samesite="strict", path=f"/media/qbittorrent/{version}"
        )
        return response
    if not state.valid_session(instance, request.cookies.get(cookie)):
        return Response("Forbidden", status_code=403)
    box = state.box(instance)
    if path == "app/version":
        return Response(f"v{version}", media_type="text/plain")
    if path == "app/webapiVersion":
        return Response(
            "2.11.2" if _qbt_version(version) >= (5, 0) else "2.9.3", media_type="text/plain"
        )
    if path == "torrents/info":
        params = request.query_params
        wanted = set(params.get("hashes", "").split("|")) - {""}
        items = [
            _qbt_torrent(t, version, 1_700_000_000 + i)
            for i, t in enumerate(box.values())
            if not wanted or t.hash in wanted
        ]
        if params.get("sort") == "added_on":
            items.sort(key=lambda x: x["added_on"], reverse=params.get("reverse") == "true")
        if params.get("limit", "").isdigit():
            items = items[: int(params["limit"])]
        return JSONResponse(items)
    if request.method != "POST":
        return Response("Method Not Allowed", status_code=405)
    form = await request.form()
    five = _qbt_version(version) >= (5, 0)
    if path == "torrents/add":
        paused_field = "stopped" if five else "paused"
        paused = str(form.get(paused_field, "false")).lower() == "true"
        sources: list[tuple[str, str, int] | None] = []
        for uri in str(form.get("urls", "") or "").splitlines():
            if uri.strip():
                sources.append(_source(uri.strip()))
        upload = form.get("torrents")
        if upload is not None and not isinstance(upload, str):
            sources.append(_file_source(await upload.read()))
        if not sources or any(s is None for s in sources):
            return Response("Fails.", media_type="text/plain")
        for source in sources:
            assert source is not None
            infohash, name, size = source
            state.add(instance, infohash, name, paused=paused, size=size)
            if form.get("savepath"):
                box[infohash].save_path = str(form["savepath"])
        return Response("Ok.", media_type="text/plain")
    actions = (
        {"stop": "pause", "start": "resume"} if five else {"pause": "pause", "resume": "resume"}
    )
    name = path.removeprefix("torrents/")
    if name in actions or name == "delete":
        hashes = set(str(form.get("hashes", "")).split("|"))
        for infohash in list(box):
            if infohash in hashes or "all" in hashes:
                if name == "delete":
                    box.pop(infohash)
                elif actions[name] == "pause":
                    box[infohash].pause()
                else:
                    box[infohash].resume()
        return Response(status_code=200)
    return Response("Not Found", status_code=404)


# --- Deluge ---------------------------------------------------------------------------

DELUGE_HOST = ["0123456789abcdef0123456789abcdef01234567", "127.0.0.1", 58846, "localclient"]


def _deluge_torrent(t: SimTorrent) -> dict[str, Any]:
    progress = t.progress()
    state = "Paused" if t.paused else ("Seeding" if progress >= 1.0 else "Downloading")
    rate = t.rate()
    return {
        "name": t.name,
        "state": state,
        "progress": round(progress * 100, 2),
        "total_wanted": t.size,
        "total_done": int(t.size * progress),
        "download_payload_rate": rate,
        "upload_payload_rate": 0,
        "eta": int((1 - progress) * t.seconds) if rate else 0,
        "num_seeds": 0 if t.stalled else 12,
        "message": "OK",
    }


@router.post("/media/deluge/{version}/json", include_in_schema=False)
async def deluge_json(request: Request, version: str) -> Response:
    found = await _instance(request, "deluge", version, DELUGE, "Not found")
    if isinstance(found, Response):
        return found
    state, instance = found
    try:
        payload = json.loads(await request.body())
        method, params, call_id = payload["method"], payload.get("params") or [], payload.get("id")
    except (ValueError, KeyError, TypeError):
        return JSONResponse(
            {"result": None, "error": {"message": "Bad request", "code": 5}, "id": None}
        )

    def ok(result: Any) -> JSONResponse:
        return JSONResponse({"result": result, "error": None, "id": call_id})

    def error(message: str, code: int) -> JSONResponse:
        return JSONResponse(
            {"result": None, "error": {"message": message, "code": code}, "id": call_id}
        )

    if method == "auth.login":
        if params != [PASSWORD]:
            return ok(False)
        response = ok(True)
        response.set_cookie("_session_id", state.new_session(instance), path="/")
        return response
    session = request.cookies.get("_session_id")
    if not state.valid_session(instance, session):
        return error("Not authenticated", 1)
    assert session is not None
    connected = state.sessions.setdefault(f"{instance}:connected", set())
    if method == "web.connected":
        return ok(session in connected)
    if method == "web.get_hosts":
        return ok([DELUGE_HOST])
    if method == "web.connect":
        if params != [DELUGE_HOST[0]]:
            return error("Unknown host", 4)
        connected.add(session)
        return ok(["core.add_torrent_magnet", "core.get_torrents_status"])
    if not method.startswith(("core.", "daemon.")):
        return error(f"Unknown method {method}", 2)
    if session not in connected:
        return error("Not connected to a daemon", 4)
    box = state.box(instance)
    if method == "daemon.get_version":
        return ok(version)
    if method in ("core.add_torrent_magnet", "core.add_torrent_url", "core.add_torrent_file"):
        if method == "core.add_torrent_file":
            source = _b64_file_source(params[1]) if len(params) > 1 else None
            options = params[2] if len(params) > 2 else {}
        else:
            source = _source(str(params[0])) if params else None
            options = params[1] if len(params) > 1 else {}
        if source is None:
            return error("Unable to add torrent: invalid", 4)
        infohash, name, size = source
        options = options if isinstance(options, dict) else {}
        if not state.add(
            instance, infohash, name, paused=bool(options.get("add_paused")), size=size
        ):
            return error(f"Torrent already in session ({infohash}).", 4)
        if options.get("download_location"):
            box[infohash].save_path = str(options["download_location"])
        return ok(infohash)
    if method == "core.get_torrents_status":
        filter_ = params[0] if params and isinstance(params[0], dict) else {}
        ids = filter_.get("id")
        return ok({h: _deluge_torrent(t) for h, t in box.items() if not ids or h in ids})
    if method in ("core.pause_torrent", "core.resume_torrent"):
        for infohash in params[0] if params and isinstance(params[0], list) else []:
            if infohash in box:
                box[infohash].pause() if method == "core.pause_torrent" else box[infohash].resume()
        return ok(None)
    if method == "core.remove_torrent":
        return ok(box.pop(str(params[0]), None) is not None if params else False)
    return error(f"Unknown method {method}", 2)
