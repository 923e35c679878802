"""What a new user saw in a fresh make dev and should not see again: the chat menu button
in English for a Russian user, "too long or empty" for a long message, a greeting for
"спасибо", a long "looking for …" message not searched."""

from __future__ import annotations

from decimal import Decimal

import pytest

from concierge.bot.texts import text
from concierge.contracts.identity import Language
from concierge.contracts.prices import format_amount
from tests.support.sandbox import SandboxUser

CODES = {Language.RU: "ru", Language.EN: "en"}


@pytest.mark.parametrize("language", [Language.RU, Language.EN])
class TestReplies:
    async def test_start_sets_the_menu_button_in_the_users_language(
        self, user: SandboxUser, language: Language
    ) -> None:
        await user.send("/start", language_code=CODES[language])
        await user.wait_for_reply()
        button = (await user.http.get(f"/sandbox/chats/{user.id}")).json()["menu_button"]
        assert button["type"] == "web_app"
        assert button["text"] == text(language, "menu_button")
        assert text(Language.RU, "menu_button") != text(Language.EN, "menu_button")

    async def test_an_over_long_message_is_told_the_limit(
        self, user: SandboxUser, language: Language
    ) -> None:
        await user.send("Ищу квартиру у моря. " * 100, language_code=CODES[language])  # 2,100
        reply = await user.wait_for_reply(timeout_s=20)
        limit = format_amount(Decimal(2000), language)  # "2 000" (narrow space), "2,000"
        assert limit.replace("\u202f", " ").replace("\xa0", " ") in ("2 000", "2,000")
        assert reply["text"] == text(language, "search_too_long", limit=limit)

    async def test_thanks_is_answered_as_thanks_not_with_a_greeting(
        self, user: SandboxUser, language: Language
    ) -> None:
        thanks = {Language.RU: "спасибо", Language.EN: "thanks!"}[language]
        await user.send(thanks, language_code=CODES[language])
        reply = await user.wait_for_reply(timeout_s=20)
        assert reply["text"] == text(language, "thanks_reply")

    async def test_a_long_looking_for_message_searches_the_listings(
        self, user: SandboxUser, language: Language
    ) -> None:
        wanted = "Ищу недорогую квартиру у моря на лето, желательно с балконом и видом. " * 14
        assert 900 <= len(wanted) <= 2000
        await user.send(wanted, language_code=CODES[language])
        reply = await user.wait_for_reply(timeout_s=20)
        # Searched by its content words, shown as a person reads them, not as search syntax
        # (found or not: other tests' listings share this stack's database).
        assert "«квартиру, моря, лето" in reply["text"], reply["text"]
        assert " or " not in reply["text"].split("»")[0]
