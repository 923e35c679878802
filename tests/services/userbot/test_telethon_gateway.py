"""The Telethon side that needs no network: the session is a SQLite file where the
settings say (never only a string session), and the login command's guards."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon.sessions import SQLiteSession

from concierge.userbot.__main__ import ANOTHER_INSTANCE_EXIT, main
from concierge.userbot.gateway.telethon_gateway import make_client
from concierge.userbot.instance import AnotherInstance, SessionLock
from concierge.userbot.settings import UserbotSettings


async def test_the_session_is_a_sqlite_file_at_the_configured_path(tmp_path: Path) -> None:
    path = tmp_path / "volume" / "concierge.session"
    client = make_client(path, 12345, "0123456789abcdef0123456789abcdef", 5)
    assert isinstance(client.session, SQLiteSession)
    assert Path(client.session.filename) == path
    assert client.flood_sleep_threshold == 5
    client.session.close()
    assert path.exists()
    assert path.stat().st_mode & 0o777 == 0o600


def test_telethon_needs_its_credentials() -> None:
    with pytest.raises(ValueError, match="needs USERBOT_API_ID and USERBOT_API_HASH"):
        UserbotSettings(backend="telethon", _env_file=None)  # type: ignore[call-arg]
    settings = UserbotSettings(
        backend="telethon",
        api_id=1,
        api_hash="h" * 32,
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.api_hash is not None


def test_login_is_refused_while_the_service_holds_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = tmp_path / "concierge.session"
    monkeypatch.setenv("USERBOT_SESSION_PATH", str(session))
    monkeypatch.setenv("USERBOT_BACKEND", "telethon")
    monkeypatch.setenv("USERBOT_API_ID", "1")
    monkeypatch.setenv("USERBOT_API_HASH", "h" * 32)
    held = SessionLock(UserbotSettings().lock_path)
    held.acquire()
    try:
        assert main(["login"]) == ANOTHER_INSTANCE_EXIT
        with pytest.raises(AnotherInstance):
            SessionLock(UserbotSettings().lock_path).acquire()
    finally:
        held.release()


def test_login_needs_the_telethon_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USERBOT_SESSION_PATH", str(tmp_path / "s.session"))
    monkeypatch.setenv("USERBOT_BACKEND", "sandbox")
    assert main(["login"]) == 2
    assert main(["nonsense"]) == 2
