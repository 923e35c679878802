"""The sandbox's chat page as a Telegram user sees it, the Mini App inside it, and
the screenshots the browser tests keep (test-artifacts/browser/<test>-<step>.png)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Dialog, FrameLocator, Locator, Page, expect

from concierge.bot.settings import SANDBOX_BOT_TOKEN

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
BOT_ID = int(SANDBOX_BOT_TOKEN.split(":")[0])
# Explicit waits everywhere; the ones that wait for the worker or the bot get longer.
DEFAULT_TIMEOUT_MS = 20_000
SLOW_TIMEOUT_MS = 45_000
# The sandbox chat page marks a button that opens a Mini App with "▣".
WEB_APP_BUTTON = ".inline-keyboard button:has(span.kind:text-is('▣'))"


class Screenshots:
    """test-artifacts/browser/<test>-<step>.png, numbered in the order they are taken."""

    def __init__(self, test_name: str) -> None:
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")
        self.count = 0
        self.taken: list[Path] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob(f"{self.prefix}-*.png"):
            old.unlink()

    async def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


class ChatPage:
    """The sandbox's browser chat page, as one Telegram user, and the Mini App in it."""

    def __init__(self, page: Page, sandbox_url: str, user_id: int, first_name: str) -> None:
        self.page = page
        self.sandbox_url = sandbox_url
        self.user_id = user_id
        self.first_name = first_name
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def _on_dialog(self, dialog: Dialog) -> None:
        # alert(), confirm(), prompt() from the page or the Mini App: none is expected.
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    # --- the chat ---------------------------------------------------------------------

    async def open(self, language: str = "en") -> ChatPage:
        await self.page.goto(f"{self.sandbox_url}/sandbox/chat")
        # Talk to the stack's bot by name once the sandbox lists it.
        await expect(self.page.locator(f'#bot option[value="{BOT_ID}"]')).to_be_attached()
        await self.page.select_option("#bot", str(BOT_ID))
        await self.page.fill("#user-id", str(self.user_id))
        await self.page.fill("#first-name", self.first_name)
        await self.page.fill("#language", language)
        await self.page.click("#open-chat")
        # The page shows this user's history (what the sandbox has) before anything else.
        history = await self.page.request.get(
            f"{self.sandbox_url}/sandbox/chats/{self.user_id}/messages?bot_id={BOT_ID}"
        )
        known = len(await history.json()) if history.ok else 0
        if known:
            await expect(self.rows).to_have_count(known)
        else:
            await expect(self.page.locator("#messages .empty")).to_be_visible()
        return self

    @property
    def rows(self) -> Locator:
        return self.page.locator("#messages > .row:not(.draft-row)")

    @property
    def bot_rows(self) -> Locator:
        return self.page.locator("#messages .row.bot:not(.draft-row)")

    async def send(self, text: str) -> Locator:
        """Send ``text``; returns the bot's messages that came after it (may be none yet)."""
        users = self.page.locator("#messages > .row.user")
        sent_before = await users.count()
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")
        await expect(users).to_have_count(sent_before + 1)
        await expect(users.last).to_contain_text(text)
        position = await self.page.eval_on_selector_all(
            "#messages > .row",
            "rows => rows.findLastIndex((row) => row.classList.contains('user')) + 1",
        )
        return self.page.locator(
            f"#messages > .row.bot:not(.draft-row):nth-child(n+{int(position) + 1})"
        )

    async def ask(self, text: str, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Locator:
        """Send ``text`` and wait for the bot's first answer to it."""
        replies = await self.send(text)
        await expect(replies.first).to_be_visible(timeout=timeout_ms)
        return replies.first

    async def bot_message(
        self, text: str | re.Pattern[str], timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> Locator:
        """The bot's latest message that contains ``text`` (waits for it)."""
        row = self.bot_rows.filter(has_text=text).last
        await expect(row).to_be_visible(timeout=timeout_ms)
        return row

    # --- the Mini App -----------------------------------------------------------------

    @property
    def app(self) -> FrameLocator:
        return self.page.frame_locator("#webapp-frame")

    @property
    def main_button(self) -> Locator:
        return self.page.locator("#main-button")

    @property
    def back_button(self) -> Locator:
        """The chat page's BackButton over the Mini App (web_app_setup_back_button)."""
        return self.page.locator("#webapp-back")

    @property
    def popup(self) -> Locator:
        """The chat page's popup (web_app_open_popup from the Mini App, bot alerts)."""
        return self.page.locator("#modal")

    def web_app_buttons(self, row: Locator) -> Locator:
        """The buttons of a message that open a Mini App (the sandbox marks them ▣)."""
        return row.locator(WEB_APP_BUTTON)

    def with_web_app_button(self, rows: Locator) -> Locator:
        return rows.filter(has=self.page.locator(WEB_APP_BUTTON))

    async def open_app_from(self, row: Locator, name: str | re.Pattern[str] | None = None) -> None:
        buttons = self.web_app_buttons(row)
        if name is not None:
            buttons = buttons.filter(has_text=name)
        await expect(buttons.first).to_be_visible()
        await buttons.first.click()
        await self.wait_for_app()

    async def wait_for_app(self) -> None:
        await expect(self.page.locator("#webapp")).to_be_visible()
        # Signed in and drawn: the tabs are there.
        await expect(self.app.locator("nav.tabs")).to_be_visible()

    async def press_main_button(self, text: str | re.Pattern[str] | None = None) -> None:
        if text is not None:
            await expect(self.main_button).to_have_text(text)
        await expect(self.main_button).to_be_enabled()
        await self.main_button.click()

    async def close_app(self) -> None:
        await self.page.click("#webapp-close")
        await expect(self.page.locator("#webapp")).to_be_hidden()

    def problems(self) -> str:
        return f"dialogs: {self.dialogs}; page errors: {self.errors}"


# chat(user_id, first_name, language="en"): that user's chat page, in a fresh context.
ChatFactory = Callable[..., Awaitable[ChatPage]]
