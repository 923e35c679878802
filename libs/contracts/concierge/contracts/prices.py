"""Prices as people write them, by the reader's language: the one formatter of the bot,
the api's messages and (in TypeScript, with the same output) the Mini App.

Russian puts the sign after the amount and groups thousands with no-break spaces
(``12 500 ₽``, ``60 €``, ``99,90 $``); English puts it before (``₽12,500``, ``€180``,
``$99.90``). Cents only when there are any. This is what ``Intl.NumberFormat`` says for
ru-RU and en-GB with ``currencyDisplay: "narrowSymbol"`` (the Mini App's ``formatPrice``);
tests/browser compares the two in Chromium.
"""

from __future__ import annotations

from decimal import Decimal

from concierge.contracts.identity import Language

NO_BREAK_SPACE = "\u00a0"
SYMBOLS = {"RUB": "₽", "EUR": "€", "USD": "$"}


def format_amount(amount: Decimal, language: Language, group: str | None = None) -> str:
    """``12 500`` / ``12,500`` (``99,90`` / ``99.90``): no sign; ``group`` separates
    thousands (a no-break space in Russian by default; a plain space suits a form)."""
    whole = amount == amount.to_integral_value()
    digits = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    if language == Language.RU:
        separator = NO_BREAK_SPACE if group is None else group
        return digits.replace(",", separator).replace(".", ",")
    return digits if group is None else digits.replace(",", group)


def format_price(amount: Decimal, currency: str, language: Language) -> str:
    """The price with its currency's sign, as the reader's language writes it."""
    digits = format_amount(amount, language)
    symbol = SYMBOLS.get(currency)
    if language == Language.RU:
        return f"{digits}{NO_BREAK_SPACE}{symbol or currency}"
    return f"{symbol}{digits}" if symbol else f"{currency}{NO_BREAK_SPACE}{digits}"
