"""One turn of a person's media conversation, streamed as events for NDJSON.

Events (one JSON object a line): ``{"type": "text", "text"}`` pieces of the reply,
``{"type": "tool", "name"}`` while a tool runs (the bot shows "typing"),
``{"type": "proposal", "token", "title", "size", "quality", "seeders"}`` for each
release proposed (the person's Add button takes the token), then ``{"type": "done",
"text"}`` or ``{"type": "error", "reason"}``. The last event is always one of those two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pydantic_ai.models import Model

from concierge.agent.chat import (
    ChatAgent,
    Limits,
    TextDelta,
    ToolFinished,
    ToolStarted,
    TurnDone,
    TurnFailed,
)
from concierge.agent.history import HistoryStore
from concierge.api.media.conversation.proposals import Proposal
from concierge.api.media.conversation.tools import TOOLS, MediaSources, quality_label

INSTRUCTIONS = (
    "You are a media concierge. You help one person find films and series and the "
    "release to download from their own indexers. Answer in the person's language, "
    "briefly. Use search_titles to identify the title, search_releases to find releases, "
    "and propose_release for the best one. When the person asks what to watch, use "
    "recommend_for_me: it knows what they watched and liked. You cannot add or download "
    "anything: the person decides with buttons after your proposal. Never print links or "
    "magnets."
)


def proposal_event(proposal: Proposal) -> dict[str, Any]:
    release = proposal.release
    return {
        "type": "proposal",
        "token": proposal.token,
        "title": release.title,
        "size": release.size,
        "quality": quality_label(release.quality),
        "seeders": release.seeders,
    }


class MediaConversation:
    def __init__(self, model: Model, history: HistoryStore, limits: Limits | None = None) -> None:
        self.agent = ChatAgent(
            model,
            instructions=INSTRUCTIONS,
            tools=TOOLS,
            deps_type=MediaSources,
            limits=limits,
            history=history,
        )

    async def turn(self, sources: MediaSources, text: str) -> AsyncIterator[dict[str, Any]]:
        shown = 0
        async for event in self.agent.stream(str(sources.user_id), text, sources):
            if isinstance(event, TextDelta):
                yield {"type": "text", "text": event.text}
            elif isinstance(event, ToolStarted):
                yield {"type": "tool", "name": event.name}
            elif isinstance(event, ToolFinished):
                for proposal in sources.proposed[shown:]:
                    yield proposal_event(proposal)
                shown = len(sources.proposed)
            elif isinstance(event, TurnDone):
                yield {"type": "done", "text": event.text}
            elif isinstance(event, TurnFailed):
                yield {"type": "error", "reason": event.reason}

    async def forget(self, user_id: int) -> None:
        await self.agent.reset(str(user_id))

    async def aclose(self) -> None:
        await self.agent.aclose()
