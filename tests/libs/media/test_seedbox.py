"""Each seedbox client against its stand-in over HTTP: the handshakes (Transmission's 409
session id in both dialects, qBittorrent's two cookie names, Deluge's login and daemon
connection), add/list/progress/pause/resume/remove, and the failures a person meets."""

from __future__ import annotations

import asyncio
import hashlib
import logging

import httpx
import pytest
from pydantic import SecretStr

from concierge.embedded import free_port
from concierge.media.errors import (
    AddressRefused,
    AuthFailed,
    NotFound,
    ProtocolUnsupported,
    Unreachable,
)
from concierge.media.seedbox import SeedboxConfig, SeedboxKind, TorrentState, open_seedbox
from concierge.media.seedbox.qbittorrent import QBittorrentClient
from concierge.media.seedbox.transmission import TransmissionClient
from tests.libs.media.conftest import TORRENT_SECONDS, fault

HASH = "a" * 40
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Arrival.2016.1080p"
PASSWORD = "sandbox"

BOXES = [
    (SeedboxKind.TRANSMISSION, "transmission/4.1.0"),
    (SeedboxKind.TRANSMISSION, "transmission/4.0.6"),
    (SeedboxKind.QBITTORRENT, "qbittorrent/5.2.0"),
    (SeedboxKind.QBITTORRENT, "qbittorrent/5.0.0"),
    (SeedboxKind.QBITTORRENT, "qbittorrent/4.6.7"),
    (SeedboxKind.DELUGE, "deluge/2.1.1"),
]


def config(
    sandbox_url: str, kind: SeedboxKind, instance: str, password: str = PASSWORD, **more: object
) -> SeedboxConfig:
    return SeedboxConfig(
        kind=kind,
        url=f"{sandbox_url}/media/{instance}",
        username=None if kind is SeedboxKind.DELUGE else "admin",
        password=SecretStr(password),
        **more,  # type: ignore[arg-type]
    )


async def torrents(control: httpx.AsyncClient, instance: str) -> list[dict[str, object]]:
    response = await control.get("/torrents")
    return list(response.json().get(instance, []))


@pytest.mark.parametrize(("kind", "instance"), BOXES)
class TestEachSeedbox:
    async def test_a_magnet_added_downloads_to_done(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            assert (await box.test()).split()[0].lower() == kind.value
            assert await box.add(MAGNET, save_path="/data/films") == HASH
            assert (await torrents(control, instance))[0]["save_path"] == "/data/films"
            first = await box.get(HASH)
            assert first.name == "Arrival.2016.1080p"
            assert first.state in (TorrentState.DOWNLOADING, TorrentState.QUEUED)
            assert 0.0 <= first.progress < 1.0
            await asyncio.sleep(TORRENT_SECONDS + 0.3)
            done = await box.get(HASH)
            assert done.done
            assert done.progress == 1.0
            assert done.state is TorrentState.SEEDING
            assert [t.hash for t in await box.list()] == [HASH]

    async def test_adding_the_same_torrent_twice_is_one_torrent(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            assert await box.add(MAGNET) == HASH
            assert await box.add(MAGNET) == HASH
            assert len(await box.list()) == 1

    async def test_pause_resume_and_remove(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            await box.add(MAGNET, paused=True)
            assert (await box.get(HASH)).state is TorrentState.PAUSED
            await box.resume(HASH)
            assert (await box.get(HASH)).state is TorrentState.DOWNLOADING
            await box.pause(HASH)
            paused = await box.get(HASH)
            assert paused.state is TorrentState.PAUSED
            await asyncio.sleep(0.3)
            assert (await box.get(HASH)).progress == paused.progress  # paused: no progress
            await box.remove(HASH, delete_data=True)
            assert await box.list() == []
            with pytest.raises(NotFound):
                await box.get(HASH)
            with pytest.raises(NotFound):
                await box.pause(HASH)

    async def test_a_stalled_torrent_says_so(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            await box.add(MAGNET)
            (await control.post(f"/torrents/{HASH}/stall")).raise_for_status()
            torrent = await box.get(HASH)
            assert torrent.state is TorrentState.STALLED
            assert torrent.download_rate == 0

    async def test_a_torrent_file_is_added_by_its_info_hash(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        info = (
            b"d6:lengthi1024e4:name8:film.mkv12:piece lengthi262144e6:pieces20:" + b"x" * 20 + b"e"
        )
        data = b"d8:announce3:abc4:info" + info + b"e"
        expected = hashlib.sha1(info).hexdigest()  # noqa: S324
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            assert await box.add_file(data) == expected
            assert (await box.get(expected)).name == "film.mkv"

    async def test_a_wrong_password_is_told_clearly(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        wrong = config(sandbox_url, kind, instance, password="nope")
        async with open_seedbox(wrong, allowed=allowed) as box:
            with pytest.raises(AuthFailed) as caught:
                await box.test()
        assert "nope" not in str(caught.value)

    async def test_a_seedbox_answering_500_or_down_is_unreachable(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        await fault(control, kind.value, "500", times=5)
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            with pytest.raises(Unreachable):
                await box.test()
        port = free_port()
        down = config(f"http://127.0.0.1:{port}", kind, instance)
        async with open_seedbox(down, allowed=allowed | {f"127.0.0.1:{port}"}) as box:
            with pytest.raises(Unreachable):
                await box.test()

    async def test_a_private_address_needs_the_persons_lan_mark(
        self, kind, instance, sandbox_url, allowed, control
    ) -> None:
        async with open_seedbox(config(sandbox_url, kind, instance)) as box:
            with pytest.raises(AddressRefused):
                await box.test()
        lan = config(sandbox_url, kind, instance, allow_private=True)
        async with open_seedbox(lan) as box:  # no deployment allow-list: the mark alone
            assert await box.test()

    async def test_the_password_never_reaches_the_logs(
        self, kind, instance, sandbox_url, allowed, control, caplog
    ) -> None:
        caplog.set_level(logging.DEBUG)
        async with open_seedbox(config(sandbox_url, kind, instance), allowed=allowed) as box:
            await box.add(MAGNET)
            await box.list()
        assert PASSWORD not in caplog.text
        assert PASSWORD not in repr(config(sandbox_url, kind, instance))


class TestTransmissionHandshake:
    async def test_the_409_session_id_is_learnt_and_reused(
        self, sandbox_url, allowed, control
    ) -> None:
        cfg = config(sandbox_url, SeedboxKind.TRANSMISSION, "transmission/4.1.0")
        async with TransmissionClient(cfg, allowed=allowed) as box:
            await box.test()
            assert box.rpc_version == 18
            assert box.jsonrpc
            calls = (await control.get("/calls")).json()["transmission"]
            await box.list()
            # one more call, no new handshake
            assert (await control.get("/calls")).json()["transmission"] == calls + 1

    async def test_a_session_that_expired_is_renewed(self, sandbox_url, allowed, control) -> None:
        cfg = config(sandbox_url, SeedboxKind.TRANSMISSION, "transmission/4.0.6")
        async with TransmissionClient(cfg, allowed=allowed) as box:
            await box.test()
            assert not box.jsonrpc
            (await control.post("/sessions/expire")).raise_for_status()
            assert await box.list() == []

    async def test_an_old_transmission_is_refused_by_name(
        self, sandbox_url, allowed, control
    ) -> None:
        cfg = config(sandbox_url, SeedboxKind.TRANSMISSION, "transmission/2.52")
        async with open_seedbox(cfg, allowed=allowed) as box:
            with pytest.raises(ProtocolUnsupported, match="too old"):
                await box.test()

    async def test_json_rpc_is_what_4_1_gets(self, sandbox_url, allowed, control) -> None:
        """The 4.1 stand-in answers JSON-RPC with snake_case fields: the client reads them."""
        cfg = config(sandbox_url, SeedboxKind.TRANSMISSION, "transmission/4.1.0")
        async with TransmissionClient(cfg, allowed=allowed) as box:
            await box.add(MAGNET)
            answer = await box.call("torrent-get", {"fields": ["hashString", "percentDone"]})
            assert answer["torrents"][0]["hashString"] == HASH


class TestQBittorrentVersions:
    @pytest.mark.parametrize(
        ("version", "cookie", "paused_state"),
        [
            ("5.2.0", "QBT_SID_{port}", "stoppedDL"),
            ("5.0.0", "SID", "stoppedDL"),
            ("4.6.7", "SID", "pausedDL"),
        ],
    )
    async def test_cookie_and_stopped_names_by_version(
        self, version, cookie, paused_state, sandbox_url, allowed, control, media_sandbox
    ) -> None:
        cfg = config(sandbox_url, SeedboxKind.QBITTORRENT, f"qbittorrent/{version}")
        async with QBittorrentClient(cfg, allowed=allowed) as box:
            await box.add(MAGNET, paused=True)
            names = {c.name for c in box._http.cookies.jar}
            assert names == {cookie.format(port=media_sandbox.port)}
            assert (await box.get(HASH)).state is TorrentState.PAUSED
            await box.resume(HASH)
            await box.pause(HASH)
            assert (await box.get(HASH)).state is TorrentState.PAUSED
        raw = await torrents(control, f"qbittorrent/{version}")
        assert raw[0]["paused"] is True
        del paused_state  # the stand-in's own state name; the client maps both to PAUSED

    async def test_an_expired_session_logs_in_again(self, sandbox_url, allowed, control) -> None:
        cfg = config(sandbox_url, SeedboxKind.QBITTORRENT, "qbittorrent/5.2.0")
        async with open_seedbox(cfg, allowed=allowed) as box:
            await box.test()
            (await control.post("/sessions/expire")).raise_for_status()
            assert await box.list() == []

    async def test_a_qbittorrent_without_web_api_v2_is_refused(
        self, sandbox_url, allowed, control
    ) -> None:
        cfg = config(sandbox_url, SeedboxKind.QBITTORRENT, "qbittorrent/4.0.4")
        async with open_seedbox(cfg, allowed=allowed) as box:
            with pytest.raises(ProtocolUnsupported):
                await box.test()


class TestDelugeDaemon:
    async def test_an_unknown_daemon_host_is_not_found(self, sandbox_url, allowed, control) -> None:
        cfg = config(sandbox_url, SeedboxKind.DELUGE, "deluge/2.1.1", deluge_host_id="f" * 40)
        async with open_seedbox(cfg, allowed=allowed) as box:
            with pytest.raises(NotFound):
                await box.test()

    async def test_an_expired_web_session_logs_in_again(
        self, sandbox_url, allowed, control
    ) -> None:
        cfg = config(sandbox_url, SeedboxKind.DELUGE, "deluge/2.1.1")
        async with open_seedbox(cfg, allowed=allowed) as box:
            await box.test()
            (await control.post("/sessions/expire")).raise_for_status()
            assert await box.list() == []

    async def test_an_address_that_is_not_deluge_is_refused(
        self, sandbox_url, allowed, control
    ) -> None:
        cfg = config(sandbox_url, SeedboxKind.DELUGE, "deluge/9.9")
        async with open_seedbox(cfg, allowed=allowed) as box:
            with pytest.raises(ProtocolUnsupported):
                await box.test()
