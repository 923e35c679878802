"""Controls for tests and benchmarks: block users, make users and groups, inject
faults, read statistics, reset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from concierge.sandbox.telegram import actions
from concierge.sandbox.telegram.deps import SandboxDep, UserSideBot
from concierge.sandbox.telegram.schemas import FaultIn, GroupIn, PrivacyIn, UsersIn
from concierge.sandbox.telegram.shapes import chat_json

router = APIRouter(prefix="/sandbox", tags=["controls"])

UserId = Annotated[int, Path(gt=0)]


@router.post("/users/{user_id}/block")
async def block_user(user_id: UserId, bot: UserSideBot) -> dict[str, Any]:
    update = actions.set_blocked(bot, user_id, blocked=True)
    return {"user_id": user_id, "blocked": True, "update_id": update and update.update_id}


@router.post("/users/{user_id}/unblock")
async def unblock_user(user_id: UserId, bot: UserSideBot) -> dict[str, Any]:
    update = actions.set_blocked(bot, user_id, blocked=False)
    return {"user_id": user_id, "blocked": False, "update_id": update and update.update_id}


@router.post("/users")
async def create_users(body: UsersIn, bot: UserSideBot) -> dict[str, Any]:
    """Users (and their private chats) that exist as if they had started the bot earlier."""
    created = actions.create_users(bot, body.ids, body.profile())
    return {"created": created, "bot_id": bot.id}


@router.post("/groups")
async def create_group(body: GroupIn, bot: UserSideBot) -> dict[str, Any]:
    chat = actions.create_group(bot, body.chat_id, body.title)
    return chat_json(bot, chat)


@router.post("/bots/{bot_id}/privacy")
async def set_privacy(bot_id: int, body: PrivacyIn, state: SandboxDep) -> dict[str, Any]:
    """BotFather's /setprivacy: with privacy mode on (the default) the bot is sent only
    the group messages meant for it; off, every group message."""
    bot = state.bot_for_user_side(bot_id)
    actions.set_privacy_mode(bot, body.enabled)
    return {"bot_id": bot.id, "privacy_mode": bot.privacy_mode}


@router.post("/faults")
async def add_fault(body: FaultIn, state: SandboxDep) -> dict[str, Any]:
    """The next ``times`` Bot API calls matching bot, method and chat fail this way (or,
    given ``seconds``, every matching call for that long); ``delay_s`` makes them slow."""
    fault = state.faults.add(
        body.error_code,
        times=body.times,
        seconds=body.seconds,
        delay_s=body.delay_s,
        retry_after=body.retry_after,
        description=body.description,
        method=body.method,
        chat_id=body.chat_id,
        bot_id=body.bot_id,
    )
    return fault.to_json(state.faults.clock())


@router.get("/faults")
async def list_faults(state: SandboxDep) -> list[dict[str, Any]]:
    return state.faults.to_json()


@router.delete("/faults")
async def clear_faults(state: SandboxDep) -> dict[str, bool]:
    state.faults.clear()
    return {"ok": True}


@router.get("/stats")
async def stats(state: SandboxDep) -> dict[str, Any]:
    """Per bot: sends, 429s by reason, peak rates per chat, webhook deliveries."""
    return {
        "bots": {
            str(bot.id): {
                **bot.stats.to_json(),
                "pending_updates": len(bot.updates),
                "webhook_url": bot.webhook.url if bot.webhook else None,
            }
            for bot in state.bots.values()
        }
    }


@router.get("/bots")
async def list_bots(state: SandboxDep) -> list[dict[str, Any]]:
    return [
        {
            "id": bot.id,
            "username": bot.username,
            "first_name": bot.first_name,
            "active": bot.last_api_call is not None,
            "webhook_url": bot.webhook.url if bot.webhook else None,
            "pending_update_count": len(bot.updates),
            "chats": len(bot.chats),
        }
        for bot in state.bots.values()
    ]


@router.post("/reset")
async def reset(
    state: SandboxDep,
    bots: Annotated[bool, Query(description="also forget the bots and their setup")] = False,
) -> dict[str, bool]:
    """Forget users, chats, messages, updates, files, statistics and faults.

    Bots keep their webhook, commands and menu button (a running bot sets them only
    at start), and their update ids keep counting up. ``?bots=true`` wipes it all.
    """
    await state.reset(forget_bots=bots)
    return {"ok": True}
