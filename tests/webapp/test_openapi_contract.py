"""The Mini App's contract is the api's: webapp/openapi.json is the schema the api's code
states today, and webapp/src/api/schema.ts is what openapi-typescript makes of it.

When either is stale the test says so with the command that refreshes both:
`make webapp-schema` (then commit the two files). The limits and enums the Mini App
checks are compared with openapi.json by webapp/tests/contract.test.ts (vitest).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
OPENAPI_JSON = WEBAPP / "openapi.json"
REFRESH = "run `make webapp-schema` and commit webapp/openapi.json and webapp/src/api/schema.ts"


def changed_parts(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Which paths and schemas differ, to say more than "stale"."""
    found = []
    for section, key in (("paths", None), ("components", "schemas")):
        before = old.get(section, {}) if key is None else old.get(section, {}).get(key, {})
        after = new.get(section, {}) if key is None else new.get(section, {}).get(key, {})
        for name in sorted(set(before) | set(after)):
            if name not in after:
                found.append(f"removed {name}")
            elif name not in before:
                found.append(f"added {name}")
            elif before[name] != after[name]:
                found.append(f"changed {name}")
    return found or ["the document's other parts or its formatting"]


def test_the_committed_openapi_is_the_apis() -> None:
    result = subprocess.run(
        [sys.executable, str(WEBAPP / "scripts" / "dump_openapi.py"), "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    committed = OPENAPI_JSON.read_text(encoding="utf-8")
    if result.stdout != committed:
        parts = changed_parts(json.loads(committed), json.loads(result.stdout))
        pytest.fail(
            f"webapp/openapi.json differs from the api's schema ({'; '.join(parts[:20])}): "
            f"{REFRESH}",
            pytrace=False,
        )


async def test_the_running_api_serves_that_document() -> None:
    """Settings unlike the defaults the dump uses change nothing in the served schema."""
    settings = ApiSettings(
        _env_file=None,
        service_token=SecretStr("test-service-token-0123456789"),
        admin_telegram_ids=frozenset({900_001}),
        public_url="https://market.example.org",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    committed = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
    assert response.json() == committed, f"the served schema differs: {REFRESH}"


def schema_command(openapi: Path) -> list[str]:
    """`npm run schema` (package.json's one definition of the flags) over ``openapi``."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (make test builds the Mini App with it too)"
    cli = WEBAPP / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    assert cli.is_file(), "webapp/node_modules is missing: run `make webapp` (make test does)"
    package = json.loads((WEBAPP / "package.json").read_text(encoding="utf-8"))
    tool, *args = package["scripts"]["schema"].split()
    assert tool == "openapi-typescript"
    return [node, str(cli), *(str(openapi) if arg == "openapi.json" else arg for arg in args)]


def check_types(openapi: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*schema_command(openapi), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=WEBAPP,
    )


def test_the_generated_types_are_openapi_typescripts() -> None:
    result = check_types(OPENAPI_JSON)
    if result.returncode != 0:
        pytest.fail(
            f"webapp/src/api/schema.ts is not what openapi-typescript makes of "
            f"webapp/openapi.json ({result.stderr.strip()}): {REFRESH}",
            pytrace=False,
        )


def test_a_changed_schema_makes_the_types_stale(tmp_path: Path) -> None:
    document = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
    document["components"]["schemas"]["Currency"]["enum"].append("GBP")
    changed = tmp_path / "openapi.json"
    changed.write_text(json.dumps(document), encoding="utf-8")
    result = check_types(changed)
    assert result.returncode != 0
    assert "not up-to-date" in result.stderr


def test_changes_are_named() -> None:
    old = {"paths": {"/a": {"get": {}}, "/b": {}}, "components": {"schemas": {"X": {"type": "a"}}}}
    new = {"paths": {"/a": {"get": {"x": 1}}, "/c": {}}, "components": {"schemas": {"X": {}}}}
    assert changed_parts(old, new) == ["changed /a", "removed /b", "added /c", "changed X"]
    assert changed_parts(old, old) == ["the document's other parts or its formatting"]


def test_every_schema_has_a_name_of_its_own() -> None:
    """Two models of one name (in two desks' contracts) get module-path names
    ("concierge__contracts__feed__RatingCreate") that the Mini App's types cannot
    count on: each model the api shows needs a name no other has."""
    schemas = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))["components"]["schemas"]
    assert [name for name in schemas if "__" in name] == []
