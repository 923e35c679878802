"""The logged-out state: remembered beside the session, the admins told once (across
restarts), told again after a new login and a new loss; an api that is away is tried
again at the next failure."""

from __future__ import annotations

from pathlib import Path

from concierge.userbot.account import Account


class Admins:
    def __init__(self, fail: int = 0) -> None:
        self.told: list[str] = []
        self.fail = fail

    async def __call__(self, reason: str, lost_at: str) -> None:
        assert lost_at
        if self.fail:
            self.fail -= 1
            raise ConnectionError("api away")
        self.told.append(reason)


async def test_admins_are_told_once_even_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "s.session.state.json"
    admins = Admins()
    account = Account(state, admins)
    assert account.logged_out is None
    await account.lost("AuthKeyUnregisteredError")
    await account.lost("AuthKeyUnregisteredError")
    assert admins.told == ["AuthKeyUnregisteredError"]
    restarted = Account(state, admins)
    assert restarted.logged_out == "AuthKeyUnregisteredError"
    await restarted.lost("not logged in")
    assert admins.told == ["AuthKeyUnregisteredError"]
    restarted.logged_in()
    assert Account(state, admins).logged_out is None
    await restarted.lost("UserDeactivatedBanError")
    assert admins.told == ["AuthKeyUnregisteredError", "UserDeactivatedBanError"]


async def test_an_api_away_is_tried_again_at_the_next_failure(tmp_path: Path) -> None:
    admins = Admins(fail=1)
    account = Account(tmp_path / "state.json", admins)
    await account.lost("SessionRevokedError")
    assert admins.told == []
    assert not account.admins_told
    await account.lost("SessionRevokedError")
    assert admins.told == ["SessionRevokedError"]


async def test_a_damaged_state_file_means_logged_in(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("[1, 2")
    assert Account(state, Admins()).logged_out is None
