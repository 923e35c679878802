"""What a queued fault makes a media stand-in answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from concierge.sandbox.media.state import HUGE_BYTES, MediaSandbox

SLOW_S = 3.0


def media_state(request: Request) -> MediaSandbox:
    state: MediaSandbox = request.app.state.media
    return state


async def _huge(fmt: str) -> AsyncIterator[bytes]:
    head = b'<?xml version="1.0"?><rss><channel>' if fmt == "xml" else b'{"results": ['
    yield head
    chunk = (b"<item><title>padding</title></item>" if fmt == "xml" else b'{"id": 1},') * 1000
    sent = len(head)
    while sent < HUGE_BYTES:
        yield chunk
        sent += len(chunk)
        await asyncio.sleep(0)


async def fault_response(request: Request, service: str, fmt: str = "json") -> Response | None:
    """The next queued fault of ``service`` as a response, or None (answer normally).
    ``slow`` waits and then lets the request be answered normally."""
    kind = media_state(request).next_fault(service)
    if kind is None:
        return None
    if kind == "slow":
        await asyncio.sleep(SLOW_S)
        return None
    if kind in ("500", "503", "401", "429", "403"):
        return Response(f"sandbox fault {kind}", status_code=int(kind), media_type="text/plain")
    if kind == "malformed":
        body = (
            '<?xml version="1.0"?><rss><channel><item><title>broken'
            if fmt == "xml"
            else '{"results": [{"id": '
        )
        return Response(body, media_type="application/xml" if fmt == "xml" else "application/json")
    if kind == "huge":
        media = "application/rss+xml" if fmt == "xml" else "application/json"
        return StreamingResponse(_huge(fmt), media_type=media)
    return None
