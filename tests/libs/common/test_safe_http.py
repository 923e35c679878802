"""The SSRF guard: address rules, URL checks, the guarded client and capped reads,
against real local HTTP servers."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from concierge.common.safe_http import (
    AllowedHosts,
    ResponseTooLarge,
    UnsafeUrl,
    check_public_url,
    host_port,
    is_public_address,
    read_capped,
    safe_client,
)
from tests.services.sandbox.conftest import RunningServer, serve

PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1"]
NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local (cloud metadata)
    "100.64.0.1",  # shared (carrier NAT)
    "0.0.0.0",  # noqa: S104 (unspecified)
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
]


class TestAddresses:
    @pytest.mark.parametrize("address", PUBLIC)
    def test_public_addresses_pass(self, address):
        assert is_public_address(ipaddress.ip_address(address))

    @pytest.mark.parametrize("address", NOT_PUBLIC)
    def test_addresses_inside_networks_are_refused(self, address):
        assert not is_public_address(ipaddress.ip_address(address))


class TestAllowList:
    class Settings(BaseSettings):
        allowed: AllowedHosts = frozenset()

    def test_reads_host_port_pairs(self):
        settings = self.Settings(allowed="127.0.0.1:8010, Sandbox:8010,[::1]:9000")  # type: ignore[arg-type]
        assert settings.allowed == {"127.0.0.1:8010", "sandbox:8010", "[::1]:9000"}

    def test_empty_by_default(self):
        assert self.Settings().allowed == frozenset()
        assert self.Settings(allowed="").allowed == frozenset()  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["127.0.0.1", "sandbox", "http://x:1/path:2x"])
    def test_a_pair_needs_a_port(self, value):
        with pytest.raises(ValidationError):
            self.Settings(allowed=value)  # type: ignore[arg-type]

    def test_canonical_form(self):
        assert host_port("LocalHost.", 80) == "localhost:80"
        assert host_port("[::1]", 8010) == "[::1]:8010"


class TestCheckPublicUrl:
    async def test_a_public_address_passes(self):
        assert await check_public_url("http://93.184.215.14/feed.xml") == ["93.184.215.14"]
        assert await check_public_url("https://[2606:4700::1111]:8443/") == ["2606:4700::1111"]

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/",
            "http://localhost:8010/feeds/x.rss",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://10.0.0.5/feed",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/",  # 127.0.0.1 as one number
            "http://0x7f000001/",  # and in hex
            "http://0177.0.0.1/",  # and in octal
            "http://0.0.0.0:8000/",
            "https://100.100.100.200/",
        ],
    )
    async def test_private_addresses_are_refused(self, url):
        with pytest.raises(UnsafeUrl, match="not a public address"):
            await check_public_url(url)

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://93.184.215.14/x",
            "file:///etc/passwd",
            "gopher://x/",
            "http:///path",
            "http://[::1",
        ],
    )
    async def test_other_schemes_and_broken_urls_are_refused(self, url):
        with pytest.raises(UnsafeUrl):
            await check_public_url(url)

    async def test_a_name_that_does_not_resolve_is_refused(self):
        with pytest.raises(UnsafeUrl, match="cannot resolve"):
            await check_public_url("http://no-such-host.invalid/feed")

    async def test_an_allowed_host_port_passes_and_only_that_port(self):
        allowed = frozenset({"127.0.0.1:8010"})
        assert await check_public_url("http://127.0.0.1:8010/feeds/a.rss", allowed=allowed)
        with pytest.raises(UnsafeUrl):
            await check_public_url("http://127.0.0.1:8011/", allowed=allowed)
        with pytest.raises(UnsafeUrl):
            await check_public_url("http://127.0.0.1/", allowed=allowed)


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    """Names resolve to the given addresses (what a hostile DNS server would say)."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return await real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


class TestNames:
    async def test_a_name_that_resolves_inside_is_refused(self, monkeypatch):
        fake_dns(monkeypatch, {"feeds.example.com": ["10.0.0.7"]})
        with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.7"):
            await check_public_url("https://feeds.example.com/rss")

    async def test_one_private_answer_among_public_ones_is_enough_to_refuse(self, monkeypatch):
        fake_dns(monkeypatch, {"mixed.example.com": ["93.184.215.14", "127.0.0.1"]})
        with pytest.raises(UnsafeUrl, match=r"127\.0\.0\.1"):
            await check_public_url("https://mixed.example.com/rss")

    async def test_the_client_checks_the_name_again_when_it_connects(self, monkeypatch, servers):
        # The name was public when the URL was stored; now it points at our own server.
        server, _ = servers
        port = int(server.url.rsplit(":", 1)[1])
        fake_dns(monkeypatch, {"rebound.example.com": ["127.0.0.1"]})
        async with safe_client(allowed=allowing(server)) as client:
            with pytest.raises(UnsafeUrl, match=r"127\.0\.0\.1"):
                await client.get(f"http://rebound.example.com:{port}/ok")


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> Response:
        return Response("fine", media_type="text/plain")

    @app.get("/redirect")
    async def redirect(to: str) -> RedirectResponse:
        return RedirectResponse(to, status_code=302)

    @app.get("/big")
    async def big(declared: bool = False) -> Response:
        if declared:
            return Response(b"x" * 10_000, media_type="text/plain")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"x" * 1000

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/gzip")
    async def gzipped(size: int) -> Response:
        return Response(
            gzip.compress(b" " * size),
            headers={"Content-Encoding": "gzip"},
            media_type="text/plain",
        )

    @app.get("/deflate")
    async def deflated(raw: bool = False) -> Response:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        body = packer.compress(b"hello deflate") + packer.flush()
        return Response(body, headers={"Content-Encoding": "deflate"}, media_type="text/plain")

    @app.get("/brotli")
    async def brotli() -> Response:
        return Response(b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})

    return app


@pytest.fixture(scope="module")
async def servers() -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    first, second = await serve(_app()), await serve(_app())
    yield first, second
    await first.stop()
    await second.stop()


def allowing(server: RunningServer) -> frozenset[str]:
    return frozenset({server.url.removeprefix("http://")})


class TestGuardedClient:
    async def test_fetches_an_allowed_private_server(self, servers):
        server, _ = servers
        async with safe_client(allowed=allowing(server)) as client:
            response = await client.get(f"{server.url}/ok")
        assert response.text == "fine"

    async def test_refuses_a_private_server_that_is_not_allowed(self, servers):
        server, _ = servers
        async with safe_client() as client:
            with pytest.raises(UnsafeUrl, match=r"127\.0\.0\.1"):
                await client.get(f"{server.url}/ok")

    async def test_refuses_a_redirect_to_a_private_address(self, servers):
        server, other = servers
        async with safe_client(allowed=allowing(server)) as client:
            for target in (
                f"{other.url}/ok",  # another port of the same machine: not allowed
                "http://169.254.169.254/latest/meta-data/",
                "http://[::ffff:127.0.0.1]:80/",
                "http://localhost/",
            ):
                with pytest.raises(UnsafeUrl):
                    await client.get(f"{server.url}/redirect", params={"to": target})

    async def test_follows_redirects_between_allowed_servers(self, servers):
        server, other = servers
        allowed = allowing(server) | allowing(other)
        async with safe_client(allowed=allowed) as client:
            response = await client.get(f"{server.url}/redirect", params={"to": f"{other.url}/ok"})
        assert response.text == "fine"
        assert str(response.url) == f"{other.url}/ok"

    async def test_refuses_other_schemes_in_redirects(self, servers):
        server, _ = servers
        async with safe_client(allowed=allowing(server)) as client:
            with pytest.raises(httpx.UnsupportedProtocol):
                await client.get(f"{server.url}/redirect", params={"to": "file:///etc/passwd"})

    async def test_ignores_proxy_settings_from_the_environment(self, servers, monkeypatch):
        server, _ = servers
        monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
        monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
        async with safe_client(allowed=allowing(server)) as client:
            assert (await client.get(f"{server.url}/ok")).text == "fine"


async def read(server: RunningServer, path: str, limit: int, **params) -> bytes:
    headers = {"Accept-Encoding": "gzip, deflate"}
    async with (
        safe_client(allowed=allowing(server)) as client,
        client.stream("GET", f"{server.url}{path}", params=params, headers=headers) as response,
    ):
        return await read_capped(response, limit)


class TestReadCapped:
    async def test_reads_a_body_within_the_limit(self, servers):
        assert await read(servers[0], "/big", 10_000) == b"x" * 10_000

    async def test_stops_a_streamed_body_past_the_limit(self, servers):
        with pytest.raises(ResponseTooLarge):
            await read(servers[0], "/big", 9_999)

    async def test_refuses_a_declared_length_past_the_limit(self, servers):
        with pytest.raises(ResponseTooLarge, match="10000 bytes"):
            await read(servers[0], "/big", 5_000, declared=True)

    async def test_decodes_gzip_and_caps_what_it_inflates_to(self, servers):
        assert await read(servers[0], "/gzip", 1000, size=1000) == b" " * 1000
        with pytest.raises(ResponseTooLarge):  # ~30 kB on the wire, 30 MB inflated
            await read(servers[0], "/gzip", 5 * 1024 * 1024, size=30 * 1024 * 1024)

    async def test_decodes_both_kinds_of_deflate(self, servers):
        assert await read(servers[0], "/deflate", 100) == b"hello deflate"
        assert await read(servers[0], "/deflate", 100, raw=True) == b"hello deflate"

    async def test_refuses_an_encoding_it_did_not_ask_for(self, servers):
        with pytest.raises(httpx.DecodingError):
            await read(servers[0], "/brotli", 100)
