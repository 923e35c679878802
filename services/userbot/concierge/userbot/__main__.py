"""``python -m concierge.userbot``: run the service; ``python -m concierge.userbot login``:
log the account in (phone, the code Telegram sends, the 2FA password; all prompted, none
stored but the session). Either takes the session's lock first: a second process for one
session is refused with a clear error and exit code 3."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys

from concierge.common.logging import configure_logging
from concierge.common.runner import run_service
from concierge.userbot.instance import AnotherInstance, SessionLock
from concierge.userbot.settings import Backend, UserbotSettings

log = logging.getLogger("concierge.userbot")
ANOTHER_INSTANCE_EXIT = 3


async def login(settings: UserbotSettings) -> None:
    from concierge.userbot.gateway.telethon_gateway import make_client

    client = make_client(
        settings.session_path,
        settings.api_id,
        settings.api_hash.get_secret_value() if settings.api_hash else "",
        settings.flood_sleep_threshold_s,
    )
    # Telethon's start() prompts for the phone, the code and (when set) the 2FA password.
    await client.start(
        phone=lambda: input("Phone number (international format): "),
        code_callback=lambda: input("The code Telegram sent: "),
        password=lambda: getpass.getpass("Two-step verification password: "),
    )
    me = await client.get_me()
    name = getattr(me, "username", None) or getattr(me, "id", "?")
    print(f"Logged in as {name}; session saved in {settings.session_path}")  # noqa: T201
    await client.disconnect()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = UserbotSettings()
    configure_logging("userbot", settings.log_level, settings.log_json)
    lock = SessionLock(settings.lock_path)
    try:
        lock.acquire()
    except AnotherInstance as exc:
        log.error("%s", exc)
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 (the operator reads it)
        return ANOTHER_INSTANCE_EXIT
    try:
        if args[:1] == ["login"]:
            if settings.backend != Backend.TELETHON:
                print("error: login needs USERBOT_BACKEND=telethon", file=sys.stderr)  # noqa: T201
                return 2
            asyncio.run(login(settings))
            return 0
        if args:
            print("usage: python -m concierge.userbot [login]", file=sys.stderr)  # noqa: T201
            return 2
        from concierge.userbot.main import create_app

        run_service("userbot", settings, lambda: create_app(settings))
        return 0
    finally:
        lock.release()


if __name__ == "__main__":
    sys.exit(main())
