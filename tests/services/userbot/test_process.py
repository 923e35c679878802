"""The user-bot as a real process (``python -m concierge.userbot``) beside a real sandbox
process: the typed client against it, one process per session, a restart that resolves
nothing again."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.common.http_client import ServiceClient
from concierge.contracts.userbot import ChannelNotFound, NotAChannel, UserbotClient
from concierge.embedded import ServiceProcess, free_port
from tests.services.userbot.conftest import SERVICE_TOKEN
from tests.support.userbot import resolves, sandbox_process, userbot_env, userbot_process

JOIN_AT_ONCE = {"USERBOT_JOIN_INTERVAL_S": "0"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with sandbox_process(tmp_path_factory.mktemp("sandbox")) as process:
        yield process


@pytest.fixture
def userbot(sandbox: ServiceProcess, tmp_path: Path) -> Iterator[ServiceProcess]:
    with userbot_process(sandbox, SERVICE_TOKEN, tmp_path, **JOIN_AT_ONCE) as process:
        yield process


async def test_the_client_against_the_running_userbot(
    userbot: ServiceProcess, sandbox: ServiceProcess
) -> None:
    async with ServiceClient(userbot.url, SERVICE_TOKEN) as http:
        client = UserbotClient(http)
        info = await client.resolve("https://t.me/kukhnya_doma")
        assert info.title == "Кухня дома"
        page = await client.read(info.channel_id, 0, 5)
        assert page.posts
        assert page.more
        assert (await client.channel(info.channel_id)).participants == info.participants
        with pytest.raises(ChannelNotFound):
            await client.resolve("@nobody_has_this_name")
        with pytest.raises(NotAChannel):
            await client.resolve("@demo_user")
    ready = httpx.get(f"{userbot.url}/ready").json()
    assert ready["status"] == "ok"
    assert "userbot_telegram_calls_total" in httpx.get(f"{userbot.url}/metrics").text


def test_a_second_process_for_the_session_is_refused(
    userbot: ServiceProcess, sandbox: ServiceProcess, tmp_path: Path
) -> None:
    port = free_port()
    second = subprocess.run(
        [sys.executable, "-m", "concierge.userbot"],
        env={
            **userbot_env(sandbox, SERVICE_TOKEN, tmp_path, port),
            **JOIN_AT_ONCE,
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 3
    assert b"another userbot process holds the session concierge.session" in second.stderr
    assert b"only one process may use a Telegram session" in second.stderr
    assert httpx.get(f"{userbot.url}/health").status_code == 200  # the first one goes on


def test_a_restarted_userbot_resolves_nothing_again(
    userbot: ServiceProcess, sandbox: ServiceProcess
) -> None:
    names = ["@byte_digest", "@futbol_tribuna", "t.me/money_matters_daily"]
    headers = {"X-Service-Token": SERVICE_TOKEN}
    before = resolves(sandbox)
    ids = [
        httpx.post(f"{userbot.url}/cmd/resolve", json={"ref": n}, headers=headers).json()
        for n in names
    ]
    assert resolves(sandbox) == before + 3
    userbot.kill()  # not even a clean stop: the cache was written when each name resolved
    userbot.start()
    again = [
        httpx.post(f"{userbot.url}/cmd/resolve", json={"ref": n}, headers=headers).json()
        for n in names
    ]
    assert again == ids
    assert resolves(sandbox) == before + 3
    read = httpx.post(
        f"{userbot.url}/cmd/read", json={"channel_id": ids[0]["channel_id"]}, headers=headers
    )
    assert read.status_code == 200
    assert resolves(sandbox) == before + 3


def test_killed_with_sigkill_the_lock_is_free_at_once(
    userbot: ServiceProcess, sandbox: ServiceProcess
) -> None:
    userbot.kill()
    started = time.monotonic()
    userbot.start()
    assert time.monotonic() - started < 30
    assert httpx.get(f"{userbot.url}/health").status_code == 200
