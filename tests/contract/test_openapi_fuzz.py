"""The api's OpenAPI contract holds under a schema-driven fuzzer.

Schemathesis (every check, the stateful phase included) runs against the real api
process over real Postgres and Redis, as a trusted service and as a signed-in admin at
once. The contract is honest when it finds no server error, no response that breaks its
schema and no status code the operation does not document. Other checks (for example
``positive_data_acceptance``) are printed, not failed on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.api.identity.tokens import TokenIssuer
from concierge.common.secret_box import SecretBox
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.support.infra import migrated_database
from tests.support.stack import ADMIN_ID, SERVICE_TOKEN, Stack

pytestmark = [pytest.mark.e2e]

JWT_SECRET = "contract-jwt-secret-0123456789abcdef"
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "25"))
MUST_HOLD = ("not_a_server_error", "response_schema_conformance", "status_code_conformance")
ARTIFACTS = Path("test-artifacts")


@pytest.fixture(scope="module")
def api(postgres: EmbeddedPostgres, redis_server: EmbeddedRedis, scratch: Path) -> Iterator[str]:
    stack = Stack(
        migrated_database(postgres, "contract"),
        f"{redis_server.url}?db=3",
        scratch / "contract-logs",
    )
    sandbox = stack.url("sandbox")
    stack.extra_env.update(
        {
            "API_JWT_SECRET": JWT_SECRET,
            # One client sends every request: the limits are tested elsewhere.
            "API_RATE_LIMIT_ENABLED": "false",
            "API_SEARCH_EMBED_TIMEOUT_S": "0.2",
            # Configured as a deployment would be, so no route answers "not configured".
            "API_MEDIA_SECRET_KEYS": SecretBox.new_key(),
            "API_MEDIA_TMDB_URL": f"{sandbox}/media/tmdb/3",
            "API_MEDIA_TMDB_KEY": "sandbox-tmdb-key",
            "API_LLM_PROVIDER": "openai",
            "API_LLM_BASE_URL": f"{sandbox}/llm/openai/v1",
            "API_LLM_MODEL": "sandbox",
        }
    )
    try:
        # The api's outside-facing neighbours run too (the Avito gateway and the user-bot over
        # the sandbox's stand-ins), so routes that reach them answer as in production.
        stack.start("sandbox", "avito", "userbot", "api")
        yield stack.url("api")
    finally:
        stack.stop()


def signed_in_admin(api: str) -> str:
    """Register the stack's admin and give them a session token."""
    response = httpx.post(
        f"{api}/api/v1/users",
        json={"telegram_id": ADMIN_ID, "first_name": "Fuzz", "language_code": "en"},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    response.raise_for_status()
    return TokenIssuer(JWT_SECRET, 900).issue(ADMIN_ID).access_token


def failures(report: Path) -> list[dict[str, object]]:
    """The failed checks in schemathesis' NDJSON event stream."""
    found: list[dict[str, object]] = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        for check in _checks(recorder):
            if str(check.get("status")).lower() == "failure":
                found.append({**check, "operation": recorder.get("label")})
    return found


def _checks(recorder: dict[str, object]) -> Iterator[dict[str, object]]:
    for checks in (recorder.get("checks") or {}).values():  # type: ignore[union-attr]
        yield from checks


@pytest.mark.timeout(900)  # the subprocess has its own 900 s cap; more routes, more cases
def test_the_fuzzer_finds_no_server_error_schema_violation_or_undocumented_status(api: str):
    token = signed_in_admin(api)
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / "openapi-fuzz.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{api}/api/openapi.json",
        "--checks=all",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--max-examples={EXAMPLES}",
        "--seed=20261205",
        "--workers=1",
        "--request-timeout=10",
        "--suppress-health-check=all",
        f"--header=X-Service-Token: {SERVICE_TOKEN}",
        f"--header=Authorization: Bearer {token}",
        f"--header=X-Acting-User: {ADMIN_ID}",
        "--report=ndjson",
        f"--report-ndjson-path={report}",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    (ARTIFACTS / "openapi-fuzz.txt").write_text(run.stdout + run.stderr)
    found = failures(report)
    by_check = Counter(str(failure.get("name")) for failure in found)
    print(f"schemathesis: {dict(by_check) or 'no failures'}")  # noqa: T201
    broken = [failure for failure in found if failure.get("name") in MUST_HOLD]
    assert not broken, "\n".join(json.dumps(failure)[:600] for failure in broken[:20])
