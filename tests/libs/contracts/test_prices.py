"""Prices as each language writes them (the Mini App's Intl.NumberFormat says the same:
tests/browser compares them in Chromium)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from concierge.contracts.identity import Language
from concierge.contracts.prices import format_amount, format_price

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "shown"),
    [
        ("12500", "RUB", Language.RU, f"12{NBSP}500{NBSP}₽"),
        ("12500.00", "RUB", Language.RU, f"12{NBSP}500{NBSP}₽"),
        ("60", "EUR", Language.RU, f"60{NBSP}€"),
        ("99.9", "USD", Language.RU, f"99,90{NBSP}$"),
        ("1000000000", "RUB", Language.RU, f"1{NBSP}000{NBSP}000{NBSP}000{NBSP}₽"),
        ("180", "EUR", Language.EN, "€180"),
        ("12500", "RUB", Language.EN, "₽12,500"),
        ("99.90", "USD", Language.EN, "$99.90"),
        ("0", "EUR", Language.EN, "€0"),
        ("5", "GBP", Language.EN, f"GBP{NBSP}5"),
        ("5", "GBP", Language.RU, f"5{NBSP}GBP"),
    ],
)
def test_prices_as_people_write_them(
    amount: str, currency: str, language: Language, shown: str
) -> None:
    assert format_price(Decimal(amount), currency, language) == shown
    assert "RUB" not in shown
    assert ".00" not in shown


def test_a_form_shows_back_what_the_seller_typed() -> None:
    assert format_amount(Decimal("12500.00"), Language.RU, group=" ") == "12 500"
    assert format_amount(Decimal("12500.50"), Language.RU, group=" ") == "12 500,50"
    assert format_amount(Decimal("12345"), Language.EN) == "12,345"
