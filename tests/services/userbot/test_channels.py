"""The user-bot's contract (``UserbotClient``) against the sandbox's MTProto stand-in:
resolving every kind of ref, refusals with their codes, reading (albums, paging, edits,
deletions), flood waits pausing one kind of request, a lost session, the cache across a
restart."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from concierge.contracts.userbot import (
    ChannelNotFound,
    ChannelPrivate,
    FloodWait,
    LoggedOut,
    MediaType,
    NotAChannel,
    UserbotErrorCode,
)
from concierge.sandbox.channels.demo import PRIVATE_INVITE
from tests.services.userbot.conftest import Userbot, start


async def test_resolve_every_form_of_a_name(userbot: Userbot) -> None:
    first = await userbot.client.resolve("@byte_digest")
    assert first.username == "byte_digest"
    assert first.title == "Byte Digest"
    assert first.participants is not None
    assert first.participants > 0
    for ref in ("byte_digest", "BYTE_DIGEST", "https://t.me/byte_digest", "t.me/byte_digest/12",
                "http://telegram.me/byte_digest"):  # fmt: skip
        assert (await userbot.client.resolve(ref)).channel_id == first.channel_id
    assert userbot.calls("resolve") == 1  # every later form came from the cache


async def test_refusals_have_their_codes(userbot: Userbot) -> None:
    with pytest.raises(ChannelNotFound) as missing:
        await userbot.client.resolve("@no_such_channel")
    assert missing.value.status_code == 404
    with pytest.raises(NotAChannel) as user:
        await userbot.client.resolve("@demo_user")
    assert (user.value.status_code, user.value.code) == (422, UserbotErrorCode.NOT_A_CHANNEL)
    with pytest.raises(NotAChannel):
        await userbot.client.resolve("https://t.me/demo_helper_bot")
    with pytest.raises(ChannelPrivate) as private:
        await userbot.client.resolve(f"https://t.me/+{PRIVATE_INVITE}")
    assert private.value.status_code == 403
    with pytest.raises(ChannelNotFound):
        await userbot.client.resolve("https://t.me/+ZZZZZZZZZZZZ")


@pytest.mark.parametrize(
    "body",
    [
        {"ref": "not a name"},
        {"ref": "@ab"},
        {"ref": "https://evil.example/tech"},
        {"ref": "tech\x00pulse"},
        {"ref": "x" * 301},
        {"ref": 42},
        {"ref": ""},
        {},
        {"ref": "@tech_pulse_ru", "extra": 1},
    ],
)
async def test_bad_refs_are_422_never_500(userbot: Userbot, body: dict[str, object]) -> None:
    response = await userbot.http.post("/cmd/resolve", json=body)
    assert response.status_code == 422, response.text
    assert userbot.calls("resolve") == 0


@pytest.mark.parametrize(
    "body",
    [
        {"channel_id": "1"},
        {"channel_id": 0},
        {"channel_id": 2**60},
        {"channel_id": 1, "limit": 0},
        {"channel_id": 1, "limit": 501},
        {"channel_id": 1, "min_id": -1},
        {"channel_id": 1, "recheck_ids": list(range(201))},
        {"channel_id": True},
    ],
)
async def test_bad_reads_are_422(userbot: Userbot, body: dict[str, object]) -> None:
    assert (await userbot.http.post("/cmd/read", json=body)).status_code == 422


async def test_without_the_service_token_nothing_is_answered(userbot: Userbot) -> None:
    response = await userbot.http.post(
        "/cmd/resolve", json={"ref": "@byte_digest"}, headers={"X-Service-Token": "wrong"}
    )
    assert response.status_code == 401
    assert userbot.calls("resolve") == 0


async def test_a_channel_never_resolved_is_404(userbot: Userbot) -> None:
    with pytest.raises(ChannelNotFound):
        await userbot.client.read(1_700_000_001)
    with pytest.raises(ChannelNotFound):
        await userbot.client.channel(1_700_000_001)
    assert (await userbot.http.get("/cmd/channels/0")).status_code == 422
    assert (await userbot.http.get("/cmd/channels/abc")).status_code == 422


async def test_read_pages_through_a_channel_oldest_first(userbot: Userbot) -> None:
    channel = await userbot.client.resolve("@kitchen_notes")
    seen: list[int] = []
    min_id, rounds = 0, 0
    while True:
        page = await userbot.client.read(channel.channel_id, min_id, limit=7)
        seen.extend(p.message_id for p in page.posts)
        assert page.last_id >= min_id
        min_id, rounds = page.last_id, rounds + 1
        if not page.more:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 34  # every demo post once; the service message none
    assert rounds >= 5
    again = await userbot.client.read(channel.channel_id, min_id)
    assert again.posts == []
    assert again.last_id == min_id
    assert not again.more


async def test_an_album_is_one_post_and_never_cut_by_the_limit(userbot: Userbot) -> None:
    created = await userbot.control.post(
        "/sandbox/channels", json={"title": "Albums", "username": "albums_here"}
    )
    assert created.status_code == 201
    for body in (
        {"text": "before"},
        {"text": "trip", "media": ["photo", "video", "photo"]},
        {"text": "after", "media": ["voice"]},
    ):
        assert (
            await userbot.control.post("/sandbox/channels/albums_here/posts", json=body)
        ).is_success
    channel = await userbot.client.resolve("albums_here")
    page = await userbot.client.read(channel.channel_id, 0, limit=3)  # ends inside the album
    texts = [p.text for p in page.posts]
    assert texts == ["before", "trip"]
    album = page.posts[1]
    assert album.message_ids == [3, 4, 5]
    assert album.media_types == [MediaType.PHOTO, MediaType.VIDEO, MediaType.PHOTO]
    assert page.last_id == 5
    assert page.more
    rest = await userbot.client.read(channel.channel_id, page.last_id)
    assert [(p.text, p.media_type) for p in rest.posts] == [("after", MediaType.VOICE)]


async def test_recheck_finds_edits_and_deletions(userbot: Userbot) -> None:
    channel = await userbot.client.resolve("@pitch_side")
    page = await userbot.client.read(channel.channel_id, 0, limit=10)
    ids = [p.message_id for p in page.posts]
    edited = await userbot.control.put(
        f"/sandbox/channels/pitch_side/posts/{ids[0]}", json={"text": "Corrected score: 3-1."}
    )
    assert edited.status_code == 200
    assert (
        await userbot.control.delete(f"/sandbox/channels/pitch_side/posts/{ids[1]}")
    ).status_code == 204
    result = await userbot.client.read(channel.channel_id, page.last_id, recheck_ids=ids[:3])
    assert result.deleted_ids == [ids[1]]
    by_id = {p.message_id: p for p in result.rechecked}
    assert set(by_id) == {ids[0], ids[2]}
    assert by_id[ids[0]].text == "Corrected score: 3-1."
    assert by_id[ids[0]].edit_date is not None


async def test_a_repost_names_where_it_came_from(userbot: Userbot) -> None:
    source = await userbot.client.resolve("@tech_pulse_ru")
    target = await userbot.client.resolve("@dengi_i_rynki")
    page = await userbot.client.read(target.channel_id, 0, limit=500)
    reposts = [p for p in page.posts if p.forwarded_from_channel_id]
    assert [(p.forwarded_from_channel_id, p.forwarded_from_message_id) for p in reposts] == [
        (source.channel_id, 2)
    ]


async def test_join_a_private_channel_by_its_link_then_read_it(userbot: Userbot) -> None:
    link = f"https://t.me/+{PRIVATE_INVITE}"
    joined = await userbot.client.join(link)
    assert joined.joined
    assert joined.title == "Закрытый клуб"
    again = await userbot.client.join(link)
    assert not again.joined
    assert again.channel_id == joined.channel_id
    assert (await userbot.client.resolve(link)).channel_id == joined.channel_id
    page = await userbot.client.read(joined.channel_id)
    assert len(page.posts) == 5
    public = await userbot.client.join("@v_doroge")
    assert public.joined
    assert not (await userbot.client.join("v_doroge")).joined
    with pytest.raises(NotAChannel):
        await userbot.client.join("@demo_user")


async def test_joins_are_spread_out(tmp_path, userbot: Userbot) -> None:  # type: ignore[no-untyped-def]
    async with AsyncExitStack() as stack:
        _, client, _ = await start(stack, userbot.sandbox, tmp_path / "spaced", join_interval_s=600)
        await client.join("@v_doroge")
        with pytest.raises(FloodWait) as wait:
            await client.join("@wander_lines")
        assert 590 <= wait.value.retry_after <= 600
    assert userbot.world.calls["join"] == 1


def flood_count(metrics: str) -> float:
    prefix = 'userbot_flood_waits_total{kind="resolve"} '
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


async def test_a_flood_wait_pauses_that_kind_of_request_only(userbot: Userbot) -> None:
    channel = await userbot.client.resolve("@money_matters_daily")
    floods_before = flood_count((await userbot.http.get("/metrics")).text)
    fault = {"method": "resolve", "flood_wait_s": 300, "times": 1}
    assert (await userbot.control.post("/sandbox/mtproto/faults", json=fault)).status_code == 201
    with pytest.raises(FloodWait) as first:
        await userbot.client.resolve("@wander_lines")
    assert first.value.status_code == 503
    assert 299 <= first.value.retry_after <= 300
    calls = userbot.calls("resolve")
    with pytest.raises(FloodWait) as second:  # refused here, Telegram not asked again
        await userbot.client.resolve("@pitch_side")
    assert second.value.retry_after <= first.value.retry_after
    assert userbot.calls("resolve") == calls
    response = await userbot.http.post("/cmd/resolve", json={"ref": "@pitch_side"})
    assert response.status_code == 503
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    assert response.json()["code"] == "flood_wait"
    # reading and cached names go on
    assert (await userbot.client.read(channel.channel_id, 0, 3)).posts
    assert (await userbot.client.resolve("money_matters_daily")).channel_id == channel.channel_id
    ready = (await userbot.http.get("/ready")).json()
    assert ready["degraded"]["flood_waits"]["resolve"] > 250
    assert ready["status"] == "ok"
    metrics = (await userbot.http.get("/metrics")).text
    assert floods_before + 1 == flood_count(metrics)  # counters are per process
    assert 'userbot_flood_wait_seconds{kind="resolve"} 2' in metrics


async def test_a_read_flood_wait_is_telethons_own_error_mapped(userbot: Userbot) -> None:
    channel = await userbot.client.resolve("@futbol_tribuna")
    fault = {"method": "history", "flood_wait_s": 42, "times": 1}
    await userbot.control.post("/sandbox/mtproto/faults", json=fault)
    with pytest.raises(FloodWait) as wait:
        await userbot.client.read(channel.channel_id)
    assert wait.value.retry_after == 42
    assert (await userbot.http.get("/ready")).json()["degraded"]["flood_waits"].keys() == {"read"}


async def test_a_revoked_session_is_logged_out_for_every_command(userbot: Userbot) -> None:
    channel = await userbot.client.resolve("@byte_digest")
    await userbot.control.post("/sandbox/mtproto/session", json={"state": "revoked"})
    with pytest.raises(LoggedOut) as lost:
        await userbot.client.read(channel.channel_id)
    assert lost.value.status_code == 503
    calls = dict(userbot.world.calls)
    for call in (
        userbot.client.read(channel.channel_id),
        userbot.client.resolve("@byte_digest"),  # even from the cache
        userbot.client.resolve("@pitch_side"),
        userbot.client.join("@pitch_side"),
    ):
        with pytest.raises(LoggedOut):
            await call
    assert dict(userbot.world.calls) == calls  # nothing more was sent
    ready = (await userbot.http.get("/ready")).json()
    assert ready["degraded"]["account"] == {"logged_out": "AuthKeyUnregisteredError"}
    assert "userbot_logged_in 0.0" in (await userbot.http.get("/metrics")).text


async def test_a_restart_resolves_nothing_again(tmp_path, userbot: Userbot) -> None:  # type: ignore[no-untyped-def]
    names = ["@tech_pulse_ru", "@pitch_side", "@kukhnya_doma", f"https://t.me/+{PRIVATE_INVITE}"]
    await userbot.client.join(names[-1])
    ids = [(await userbot.client.resolve(name)).channel_id for name in names]
    resolves = userbot.calls("resolve") + userbot.calls("check_invite")
    assert resolves == 3
    await userbot.stack.aclose()  # the user-bot stops
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(userbot.sandbox.router.lifespan_context(userbot.sandbox))
        _, client, _ = await start(stack, userbot.sandbox, userbot.session_dir)
        assert [(await client.resolve(name)).channel_id for name in names] == ids
        assert (await client.read(ids[0], 0, 2)).posts
    assert userbot.calls("resolve") + userbot.calls("check_invite") == resolves


async def test_a_damaged_cache_is_set_aside_and_names_resolved_again(userbot: Userbot) -> None:
    await userbot.client.resolve("@pitch_side")
    await userbot.stack.aclose()
    cache = userbot.session_dir / "test.session.channels.json"
    cache.write_text("{not json")
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(userbot.sandbox.router.lifespan_context(userbot.sandbox))
        _, client, _ = await start(stack, userbot.sandbox, userbot.session_dir)
        assert (await client.resolve("@pitch_side")).username == "pitch_side"
    assert userbot.calls("resolve") == 2
    assert (userbot.session_dir / "test.session.channels.damaged").exists()


async def test_the_newest_posts_of_a_channel(userbot: Userbot) -> None:
    channel = await userbot.client.resolve("@kitchen_notes")
    everything = await userbot.client.read(channel.channel_id, 0, 500)
    newest = await userbot.client.read(channel.channel_id, limit=3, newest=True)
    assert [p.message_id for p in newest.posts] == [
        p.message_id for p in everything.posts[-len(newest.posts) :]
    ]
    assert 1 <= len(newest.posts) <= 3
    assert newest.last_id == everything.last_id
    assert not newest.more
