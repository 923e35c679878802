"""Every error the market desk answers with carries a code (and its params), so the Mini
App says it in its user's language; the codes are named in the OpenAPI document."""

from __future__ import annotations

import ast
from pathlib import Path

from concierge.api.main import create_app
from concierge.contracts.errors import ErrorCode
from tests.services.api.market.test_listings import LISTINGS

MARKET = Path(__file__).resolve().parents[4] / "services/api/concierge/api/market"
RAISED_WITH_CODES = {"NotFound", "Conflict", "Invalid", "Forbidden", "PayloadTooLarge",
                     "PhotoRejected", "Unauthorized", "BadRequest"}  # fmt: skip


def error_calls() -> tuple[int, list[str]]:
    """How many errors the desk builds, and those built without a code."""
    seen, found = 0, []
    for path in sorted(MARKET.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None)
            if name not in RAISED_WITH_CODES:
                continue
            seen += 1
            has_code = any(k.arg == "code" for k in node.keywords) or (
                name == "PhotoRejected" and len(node.args) >= 2
            )
            if not has_code:
                found.append(f"{path.relative_to(MARKET)}:{node.lineno} {name}")
    return seen, found


def test_every_error_of_the_desk_has_a_code() -> None:
    seen, uncoded = error_calls()
    assert seen > 30  # the check reads the desk's code
    assert uncoded == []


def test_the_openapi_document_names_the_codes() -> None:
    schema = create_app().openapi()["components"]["schemas"]
    assert schema["ErrorCode"]["enum"] == [code.value for code in ErrorCode]
    code = schema["ErrorBody"]["properties"]["code"]
    assert {"$ref": "#/components/schemas/ErrorCode"} in code["anyOf"]


async def test_an_error_without_a_code_has_none(seller) -> None:
    body = (await seller.get(f"{LISTINGS}/nope")).json()
    assert "code" not in body
