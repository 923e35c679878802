"""Telling the admins the account is logged out, through the api's outbox."""

from __future__ import annotations

from concierge.contracts.api_client import ApiClient
from concierge.contracts.notify import AdminAlertCreate, MessagePayload
from concierge.userbot.account import Notify

KIND = "userbot.logged_out"

TEXT = (
    "⚠️ Юзербот вышел из аккаунта Telegram ({reason}). Каналы не читаются, пока "
    "оператор не войдёт снова: python -m concierge.userbot login.\n\n"
    "⚠️ The userbot's Telegram account is logged out ({reason}). Channels are not read "
    "until an operator logs in again: python -m concierge.userbot login."
)


def admin_notifier(api: ApiClient, session_name: str) -> Notify:
    async def tell(reason: str, lost_at: str) -> None:
        await api.tell_admins(
            AdminAlertCreate(
                dedup_key=f"{KIND}:{session_name}:{lost_at}",
                kind=KIND,
                payload=MessagePayload(text=TEXT.format(reason=reason)),
            )
        )

    return tell
