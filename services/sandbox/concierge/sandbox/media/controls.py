"""Controls of the media stand-ins (``/sandbox/media``), for tests and demos:

- ``POST /faults`` ``{"service", "kind", "times"}``: what the next requests to a stand-in
  get (``500``, ``503``, ``401``, ``403``, ``429``, ``malformed``, ``huge`` (11 MB),
  ``slow`` (3 s late));
- ``POST /config`` ``{"torrent_seconds"}``: how long a torrent added from now on takes;
- ``GET /torrents``: every instance's torrents with their progress;
- ``POST /torrents/{hash}/stall``: that torrent stops progressing;
- ``POST /sessions/expire``: every seedbox session ends (clients must log in again);
- ``GET /calls``: requests per stand-in; ``POST /reset``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from concierge.sandbox.media.faults import media_state

router = APIRouter(prefix="/sandbox/media", tags=["sandbox media"])

Service = Literal["tmdb", "kinopoisk", "torznab", "transmission", "qbittorrent", "deluge"]
Kind = Literal["500", "503", "401", "403", "429", "malformed", "huge", "slow"]


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Service
    kind: Kind
    times: int = Field(default=1, ge=1, le=1000)


class ConfigRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    torrent_seconds: float = Field(ge=0, le=86400)


@router.post("/faults")
async def inject(request: Request, fault: FaultRequest) -> dict[str, Any]:
    media_state(request).inject(fault.service, fault.kind, fault.times)
    return {"queued": fault.times}


@router.post("/config")
async def configure(request: Request, config: ConfigRequest) -> dict[str, Any]:
    media_state(request).torrent_seconds = config.torrent_seconds
    return {"torrent_seconds": config.torrent_seconds}


@router.get("/torrents")
async def torrents(request: Request) -> dict[str, Any]:
    state = media_state(request)
    return {
        instance: [
            {
                "hash": t.hash,
                "name": t.name,
                "progress": round(t.progress(), 4),
                "paused": t.paused,
                "stalled": t.stalled,
                "save_path": t.save_path,
            }
            for t in box.values()
        ]
        for instance, box in state.torrents.items()
    }


@router.post("/torrents/{infohash}/stall")
async def stall(request: Request, infohash: str) -> dict[str, Any]:
    torrent = media_state(request).find(infohash.lower())
    if torrent is None:
        raise HTTPException(404, "no such torrent")
    torrent.stall()
    return {"stalled": infohash.lower()}


@router.post("/sessions/expire")
async def expire(request: Request) -> dict[str, Any]:
    media_state(request).expire_sessions()
    return {"expired": True}


@router.get("/calls")
async def calls(request: Request) -> dict[str, int]:
    return dict(media_state(request).calls)


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    state = media_state(request)
    seconds = request.app.state.settings.media_torrent_seconds
    state.reset()
    state.torrent_seconds = seconds
    return {"reset": True}
