"""The browser chat page: one HTML file with its script, no build step."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE_PATH = Path(__file__).parent / "static" / "chat.html"
# The page only talks to the sandbox; Mini Apps (any origin) open in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src * data: blob:; frame-src *; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


@cache
def chat_page() -> str:
    return PAGE_PATH.read_text(encoding="utf-8")


@router.get("/")
@router.get("/sandbox/chat")
async def show_chat_page() -> HTMLResponse:
    return HTMLResponse(
        chat_page(),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
        },
    )
