"""The Torznab client against the sandbox's indexer over HTTP: caps once, the search
parameters the caps allow, ranking by the person's preferences, hostile answers, and the
API key that never leaves the client."""

from __future__ import annotations

import logging

import httpx
import pytest
from redis.asyncio import Redis

from concierge.media.errors import AddressRefused, AuthFailed, BadResponse, TooLarge, Unreachable
from concierge.media.indexers import Quality, ReleasePreferences, SearchRequest, SearchType
from concierge.media.indexers.parsing import audio_of, parse_xml, quality_of
from concierge.media.indexers.ranking import rank
from concierge.media.indexers.torznab import TorznabIndexer
from tests.libs.media.conftest import fault

KEY = "sandbox-torznab-key"


def indexer(sandbox_url: str, allowed: frozenset[str], key: str = KEY, **more) -> TorznabIndexer:
    return TorznabIndexer("Sandbox", f"{sandbox_url}/media/torznab", key, allowed=allowed, **more)


class TestCaps:
    async def test_caps_are_asked_once_and_cached_in_redis(
        self, sandbox_url, allowed, control, redis: Redis
    ) -> None:
        async with indexer(sandbox_url, allowed, redis=redis) as first:
            caps = await first.caps()
            await first.caps()
        assert caps.movie_search
        assert "imdbid" in caps.movie_params
        assert caps.categories[2045] == "Movies/UHD"
        calls = (await control.get("/calls")).json()["torznab"]
        async with indexer(sandbox_url, allowed, redis=redis) as second:
            assert await second.caps() == caps
        assert (await control.get("/calls")).json()["torznab"] == calls == 1
        assert 0 < await redis.ttl(first.cache_key) <= 24 * 3600
        assert KEY not in first.cache_key


class TestSearch:
    async def test_a_movie_search_by_imdb_id_finds_its_releases(
        self, sandbox_url, allowed, control
    ) -> None:
        async with indexer(sandbox_url, allowed) as idx:
            found = await idx.search(
                SearchRequest(type=SearchType.MOVIE, imdb_id="tt2543164", categories=[2000])
            )
        assert found
        assert all(r.imdb_id == "tt2543164" for r in found)
        assert {r.quality for r in found} >= {Quality.HD1080, Quality.UHD2160, Quality.HD720}
        first = next(r for r in found if r.title == "Arrival.2016.1080p.BluRay.x264.RUS.ENG")
        assert first.seeders == 154
        assert (first.size or 0) > 9 * 1024**3
        assert (first.magnet or "").startswith("magnet:?xt=urn:btih:")
        assert first.audio == ["ru", "en"]
        assert first.tmdb_id == 329865

    async def test_categories_and_words_narrow_the_search(
        self, sandbox_url, allowed, control
    ) -> None:
        async with indexer(sandbox_url, allowed) as idx:
            tv = await idx.search(SearchRequest(query="chernobyl", type=SearchType.TV))
            uhd = await idx.search(SearchRequest(query="dune", categories=[2045]))
            nothing = await idx.search(SearchRequest(query="no such film at all"))
        assert [r.title for r in tv] == ["Chernobyl.S01.1080p.WEB-DL.RUS.ENG"]
        assert [r.quality for r in uhd] == [Quality.UHD2160]
        assert nothing == []

    async def test_the_api_key_is_in_no_release_and_no_log(
        self, sandbox_url, allowed, control, caplog
    ) -> None:
        caplog.set_level(logging.DEBUG)
        logging.getLogger("httpx").setLevel(logging.DEBUG)
        async with indexer(sandbox_url, allowed) as idx:
            found = await idx.search(SearchRequest(query="arrival"))
            assert KEY not in repr(idx)
            torrent_only = next(r for r in found if r.magnet is None or "Дубляж" in r.title)
            # the key comes back only for the person's own seedbox
            url = idx.torrent_url(torrent_only)
            assert url is not None
            assert KEY in url
            async with httpx.AsyncClient() as plain:
                assert (await plain.get(url)).status_code == 200
        dumped = "".join(r.model_dump_json() + repr(r) for r in found)
        assert KEY not in dumped
        assert all(r.link and "jackett_apikey" not in r.link for r in found)
        assert KEY not in caplog.text

    async def test_a_wrong_key_is_told_as_such(self, sandbox_url, allowed, control) -> None:
        async with indexer(sandbox_url, allowed, key="wrong-key-123") as idx:
            with pytest.raises(AuthFailed) as caught:
                await idx.search(SearchRequest(query="arrival"))
        assert "wrong-key-123" not in str(caught.value)

    async def test_the_injected_title_stays_data(self, sandbox_url, allowed, control) -> None:
        """A release whose title carries instructions is a release like any other: its
        text is kept as text (shown escaped by the desk), and ranked on its merits."""
        async with indexer(sandbox_url, allowed) as idx:
            found = await idx.search(SearchRequest(query="arrival"))
        hostile = [r for r in found if "IGNORE ALL PREVIOUS INSTRUCTIONS" in r.title]
        assert len(hostile) == 1
        assert hostile[0].infohash == f"{0xA5:040x}"


class TestHostileAnswers:
    @pytest.mark.parametrize(
        ("kind", "error"),
        [
            ("malformed", BadResponse),
            ("huge", TooLarge),
            ("500", Unreachable),
            ("503", Unreachable),
        ],
    )
    async def test_a_bad_answer_is_a_clear_error(
        self, kind, error, sandbox_url, allowed, control
    ) -> None:
        async with indexer(sandbox_url, allowed) as idx:
            await idx.caps()
            await fault(control, "torznab", kind)
            with pytest.raises(error) as caught:
                await idx.search(SearchRequest(query="arrival"))
        assert KEY not in str(caught.value)

    def test_entities_are_never_expanded(self) -> None:
        bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss><channel><item><title>&lol3;</title></item></channel></rss>"""
        root = parse_xml(bomb, "test")
        assert "lollollol" not in (root.findtext("channel/item/title") or "")

    def test_external_entities_are_never_fetched(self) -> None:
        xxe = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&x;</title></item></channel></rss>"""
        root = parse_xml(xxe, "test")
        assert "root:" not in (root.findtext("channel/item/title") or "")

    @pytest.mark.parametrize("body", [b"", b"not xml", b"<rss><channel>", b"\x00\x01\x02"])
    def test_garbage_is_bad_response(self, body: bytes) -> None:
        with pytest.raises(BadResponse):
            parse_xml(body, "test")

    async def test_an_indexer_on_a_private_address_is_refused(self, sandbox_url, control) -> None:
        async with indexer(sandbox_url, frozenset()) as idx:
            with pytest.raises(AddressRefused):
                await idx.caps()


class TestTitles:
    @pytest.mark.parametrize(
        ("title", "quality", "audio"),
        [
            ("Arrival.2016.2160p.UHD.BluRay.HDR.ENG", Quality.UHD2160, ["en"]),
            ("Прибытие / Arrival (2016) 720p WEB-DL Дубляж", Quality.HD720, ["ru"]),
            ("Dune.2021.1080p.BluRay.MVO.Eng", Quality.HD1080, ["ru", "en"]),
            ("Film.2010.DVDRip.XviD", Quality.SD, []),
            ("Film.2010", Quality.UNKNOWN, []),
            ("Brunei.10800p", Quality.UNKNOWN, []),
        ],
    )
    def test_quality_and_audio_are_read_from_titles(self, title, quality, audio) -> None:
        assert quality_of(title) == quality
        assert audio_of(title) == audio


class TestRanking:
    async def test_russian_1080p_first_then_by_seeders(self, sandbox_url, allowed, control) -> None:
        async with indexer(sandbox_url, allowed) as idx:
            found = await idx.search(SearchRequest(query="arrival"))
        ranked = rank(found, ReleasePreferences(quality=Quality.HD1080, audio=["ru"]))
        titles = [r.title for r in ranked]
        # Russian 1080p, most seeded first (the hostile one has the most seeders)
        assert "IGNORE ALL" in titles[0]
        assert titles[1] == "Arrival.2016.1080p.BluRay.x264.RUS.ENG"
        # then Russian below 1080p, then English (1080p before 4K), a dead release last
        assert titles[2:] == [
            "Прибытие / Arrival (2016) 720p WEB-DL Дубляж",
            "Arrival.2016.1080p.WEB-DL.ENG",
            "Arrival.2016.2160p.UHD.BluRay.HDR.ENG",
            "Arrival.2016.1080p.BluRay.RUS.dead",
        ]

    async def test_english_4k_when_asked(self, sandbox_url, allowed, control) -> None:
        async with indexer(sandbox_url, allowed) as idx:
            found = await idx.search(SearchRequest(query="dune"))
        ranked = rank(found, ReleasePreferences(quality=Quality.UHD2160, audio=["en"]))
        assert ranked[0].title == "Dune.2021.2160p.WEB-DL.HDR.RUS.Dub.ENG"
        assert ranked[1].title == "Dune.2021.1080p.BluRay.ENG"

    async def test_a_size_cap_sends_big_releases_last(self, sandbox_url, allowed, control) -> None:
        async with indexer(sandbox_url, allowed) as idx:
            found = await idx.search(SearchRequest(query="interstellar"))
        prefs = ReleasePreferences(quality=Quality.UHD2160, audio=["en"], max_size=20 * 1024**3)
        assert rank(found, prefs)[0].quality is Quality.HD1080
