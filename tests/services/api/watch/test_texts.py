"""Every message the watch desk sends exists in Russian and English, with the same
placeholders; and those to watchers say we never book nor solve captchas."""

from __future__ import annotations

from concierge.api.watch import notifications
from concierge.contracts.identity import Language
from tests.services.api.market.test_texts import check_both_languages


def test_every_text_in_both_languages_and_in_the_list() -> None:
    check_both_languages(notifications, notifications.GERMAN)


def test_messages_to_watchers_say_we_never_book_or_solve_captchas() -> None:
    assert "never book" in notifications.SLOT_OPENED[Language.EN]
    assert "never solve captchas" in notifications.CAPTCHA[Language.EN]
    assert "никогда не записываю" in notifications.SLOT_OPENED[Language.RU]
    assert "buche nie" in notifications.SLOT_OPENED[notifications.GERMAN]
    assert "löse ich nie" in notifications.CAPTCHA[notifications.GERMAN]
