"""The Python price formatter and the Mini App's give the same text: both are checked
against one table, webapp/tests/fixtures/prices.json (webapp/tests/format.test.ts reads
it too)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from concierge.contracts.identity import Language
from concierge.contracts.prices import format_amount, format_price

TABLE = Path(__file__).resolve().parents[2] / "webapp" / "tests" / "fixtures" / "prices.json"
CASES = json.loads(TABLE.read_text(encoding="utf-8"))["cases"]


def test_the_table_has_both_languages_and_the_issues_examples() -> None:
    shown = {(case["language"], case["price"].replace("\u00a0", " ")) for case in CASES}
    assert ("ru", "12 500 ₽") in shown
    assert ("en", "€180") in shown
    assert ("ru", "60 €") in shown
    assert {case["language"] for case in CASES} == {language.value for language in Language}


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['amount']}-{c['currency']}-{c['language']}" for c in CASES]
)
def test_prices_py_writes_what_the_table_says(case: dict[str, str]) -> None:
    language = Language(case["language"])
    amount = Decimal(case["amount"])
    assert format_price(amount, case["currency"], language) == case["price"]
    group = " " if language == Language.RU else None
    assert format_amount(amount, language, group=group) == case["form"]
