"""The Mini App at a phone's width: opened straight at its launch URL (as Telegram's
clients open it in a webview of the phone's width), signed by the sandbox for a user,
in Telegram's light or dark theme; and the check that finds a clipped or overlapping
control on the screen as it is drawn.

What counts as a problem (``LAYOUT_PROBLEMS``, run in the page):

- a control (tab, chip, badge, button, link button, toast, field error, the form's
  summary) that sticks out of the screen, or out of an ancestor that clips or scrolls
  its overflow (the admin's "Модерация" tab scrolled out of sight under the language
  switch, the "Опубликовано" chip cut at the edge);
- a control whose own text does not fit it (``scrollWidth > clientWidth``);
- two controls whose boxes overlap (a toast over a field's error message, a tab under
  the language switch); content scrolled under the sticky header does not count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import ARTIFACTS, BOT_ID, DEFAULT_TIMEOUT_MS

WIDTHS = (320, 375, 430)
PHONE_HEIGHT = 740

# Telegram's own theme parameters (Telegram Desktop's defaults) for each scheme.
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#999999",
        "link_color": "#2481cc",
        "button_color": "#2481cc",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#efeff3",
        "section_bg_color": "#ffffff",
        "section_header_text_color": "#6d6d72",
        "subtitle_text_color": "#999999",
        "destructive_text_color": "#ff3b30",
    },
    "dark": {
        "bg_color": "#17212b",
        "text_color": "#f5f5f5",
        "hint_color": "#708499",
        "link_color": "#6ab3f3",
        "button_color": "#5288c1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#232e3c",
        "section_bg_color": "#17212b",
        "section_header_text_color": "#6ab3f3",
        "subtitle_text_color": "#708499",
        "destructive_text_color": "#ec3942",
    },
}

# Everything a user reads or presses as one piece. Inputs are left out of the text check
# (a long value scrolls inside its field by design) but not of the overlap check.
CONTROLS = ", ".join(
    [
        ".tab",
        ".lang-switch",
        ".chip",
        ".badge",
        "button:not(.tgx-main-button):not(.tgx-back-button)",
        "a.button",
        ".link-button",
        ".toast",
        ".field-error",
        ".form-summary",
        ".upload-error",
        "h1",
        "label",
        "input",
        "select",
        "textarea",
    ]
)

LAYOUT_PROBLEMS = (Path(__file__).parent / "layout_check.js").read_text()


@dataclass
class Person:
    """A sandbox user as the api knows them: their launch data and a bearer token."""

    telegram_id: int
    first_name: str
    language: str
    init_data: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(
    sandbox_url: str, api_url: str, telegram_id: int, first_name: str, language: str
) -> Person:
    async with httpx.AsyncClient(timeout=30) as client:
        launch = await client.get(
            f"{sandbox_url}/sandbox/users/{telegram_id}/webapp",
            params={
                "url": f"{api_url}/app/",
                "first_name": first_name,
                "language_code": language,
                "username": f"user{telegram_id}",
                "bot_id": BOT_ID,
            },
        )
        launch.raise_for_status()
        init_data = launch.json()["init_data"]
        auth = await client.post(
            f"{api_url}/api/v1/auth/telegram", headers={"Authorization": f"tma {init_data}"}
        )
        auth.raise_for_status()
    return Person(telegram_id, first_name, language, init_data, auth.json()["access_token"])


class Market:
    """Listings made through the api (the layout tests look at pages, not at forms)."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    async def call(
        self, person: Person, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(
                method, f"{self.api_url}/api/v1{path}", json=body, headers=person.headers
            )
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    async def listing(self, owner: Person, title: str, price: str, **fields: Any) -> int:
        body = {
            "title": title,
            "description": "Почти новый, самовывоз.",
            "category": "home",
            "price": price,
            "currency": "RUB",
            "city": "Москва",
            **fields,
        }
        created = await self.call(owner, "POST", "/listings", body)
        return int(created["id"])

    async def published(self, owner: Person, admin: Person, title: str, price: str) -> int:
        listing_id = await self.listing(owner, title, price, allow_direct_contact=True)
        submitted = await self.call(owner, "POST", f"/listings/{listing_id}/submit")
        await self.call(
            admin,
            "POST",
            f"/admin/listings/{listing_id}/approve",
            {"revision": submitted["revision"]},
        )
        return listing_id


class Phone:
    """The Mini App in a browser context of a phone's width, for one person and theme."""

    def __init__(self, browser: Browser, api_url: str, width: int, theme: str) -> None:
        self.browser = browser
        self.api_url = api_url
        self.width = width
        self.theme = theme
        self.contexts: list[BrowserContext] = []

    async def open(self, person: Person, path: str = "/search") -> Page:
        context = await self.browser.new_context(
            viewport={"width": self.width, "height": PHONE_HEIGHT},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            color_scheme="dark" if self.theme == "dark" else "light",
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        self.contexts.append(context)
        page = await context.new_page()
        theme = quote(json.dumps(THEMES[self.theme]), safe="")
        await page.goto(
            f"{self.api_url}/app/#{path}?tgWebAppData={quote(person.init_data, safe='')}"
            f"&tgWebAppVersion=8.0&tgWebAppPlatform=android&tgWebAppThemeParams={theme}"
        )
        await expect(page.locator("nav.tabs")).to_be_visible()
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def layout_problems(page: Page) -> list[str]:
    problems: list[str] = await page.evaluate(LAYOUT_PROBLEMS, CONTROLS)
    return problems


async def check_layout(page: Page, shot: str, failures: list[str]) -> None:
    """Screenshot the screen as it is (test-artifacts/browser/layout/<shot>.png) and
    note its problems, named after the shot."""
    folder = ARTIFACTS / "layout"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{shot}.png"))
    found = [f"{shot}: {problem}" for problem in await layout_problems(page)]
    for problem in found:
        print(problem)  # noqa: T201 - in the log even when a later step fails first
    failures.extend(found)
