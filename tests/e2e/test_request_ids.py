"""One request id follows an update from the bot to the api, in every JSON log line."""

from __future__ import annotations

import asyncio

import orjson

from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack


def log_entries(stack: Stack, service: str) -> list[dict]:
    entries = []
    for line in stack.log_text(service).splitlines():
        try:
            entries.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue  # a library printing plain text (none should, but not our concern here)
    return entries


class TestRequestIds:
    async def test_an_update_carries_its_id_into_the_api(
        self, stack: Stack, user: SandboxUser
    ) -> None:
        sent = await user.send("/start", language_code="en")
        await user.wait_for_reply()
        request_id = f"tg-{sent['update_id']}"
        await asyncio.sleep(0.3)  # let the log lines reach the files
        api_lines = [e for e in log_entries(stack, "api") if e.get("request_id") == request_id]
        assert any("/api/v1/users" in e["msg"] for e in api_lines), request_id

    async def test_every_log_line_is_json_with_the_common_fields(self, stack: Stack) -> None:
        for service in ("api", "bot", "sandbox"):
            lines = [line for line in stack.log_text(service).splitlines() if line.strip()]
            assert lines, service
            for line in lines:
                entry = orjson.loads(line)
                assert {"ts", "level", "service", "msg", "request_id"} <= entry.keys(), line
