"""Outbound HTTP to addresses users gave us (feeds, pages, indexers, seedboxes), without
letting them reach inside our own network (SSRF).

- :func:`check_public_url` resolves a URL's host and refuses it when any address is
  private, loopback, link-local, shared, reserved, multicast or unspecified (IPv4 and
  IPv6, including IPv4 carried inside IPv6: mapped, 6to4, Teredo, NAT64).
- :func:`safe_client` is an httpx client whose every connection (the first request
  and each redirect hop) is made by :class:`GuardedBackend`: it resolves the host,
  checks every address and connects to a checked address, so a DNS answer that
  changes between the check and the connection (rebinding) cannot slip through.
- :func:`read_capped` reads a streamed body up to a size limit, decoding gzip and
  deflate itself so a small compressed body cannot expand past the limit.

Development and tests fetch from the sandbox on 127.0.0.1; such ``host:port`` pairs
can be allowed explicitly (``allowed``), nothing else private ever is.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import zlib
from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx
from pydantic import BeforeValidator
from pydantic_settings import NoDecode

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(ValueError):
    """A URL we refuse to fetch: not http(s), no host, unresolvable or not public."""


class ResponseTooLarge(Exception):
    """The body is larger than the caller's limit."""


# --- host:port allow-lists (settings) ---------------------------------------------


def host_port(host: str, port: int) -> str:
    """The canonical ``host:port`` form allow-lists are compared in."""
    host = host.strip().lower().strip("[]").rstrip(".")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_host_ports(value: object) -> object:
    """``"127.0.0.1:8010, sandbox:8010"`` → a frozenset of canonical ``host:port``."""
    if isinstance(value, str):
        value = [part for part in value.replace(" ", "").split(",") if part]
    if not isinstance(value, list | tuple | set | frozenset):
        return value
    pairs = set()
    for item in value:
        parts = urlsplit(f"//{item}")
        if not parts.hostname or parts.port is None:
            raise ValueError(f"not a host:port pair: {item!r}")
        pairs.add(host_port(parts.hostname, parts.port))
    return frozenset(pairs)


AllowedHosts = Annotated[frozenset[str], NoDecode, BeforeValidator(parse_host_ports)]


# --- addresses --------------------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True for an address on the public internet; False for anything inside a network."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    refused = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not refused


async def resolve_public(
    host: str, port: int, *, allowed: frozenset[str] = frozenset(), timeout_s: float = 5.0
) -> list[str]:
    """The addresses to connect to for ``host:port``; UnsafeUrl if any is not public.

    Every address must be public: a name that resolves to one public and one private
    address is refused, because the connection could pick either.
    """
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
            timeout_s,
        )
    except (OSError, UnicodeError, TimeoutError) as exc:
        raise UnsafeUrl(f"cannot resolve {host!r}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeUrl(f"cannot resolve {host!r}")
    if host_port(host, port) in allowed:
        return addresses
    for address in addresses:
        if not is_public_address(ipaddress.ip_address(address.split("%")[0])):
            raise UnsafeUrl(f"{host} resolves to {address}, which is not a public address")
    return addresses


def split_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; UnsafeUrl for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl("only http and https URLs can be fetched")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    return parts.hostname, port or DEFAULT_PORTS[scheme]


async def check_public_url(
    url: str, *, allowed: frozenset[str] = frozenset(), timeout_s: float = 5.0
) -> list[str]:
    """Resolve the URL's host; return its addresses, or raise UnsafeUrl.

    A check before storing a URL. Fetching must still go through :func:`safe_client`,
    which checks again at every connection and every redirect.
    """
    host, port = split_url(url)
    return await resolve_public(host, port, allowed=allowed, timeout_s=timeout_s)


# --- the guarded client -----------------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to a checked address (never by name)."""

    def __init__(self, allowed: frozenset[str] = frozenset()) -> None:
        self.allowed = allowed
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_public(host, port, allowed=self.allowed, timeout_s=timeout or 5.0)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeUrl("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@cache
def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context per process (building one reads the CA bundle)."""
    return ssl.create_default_context(cafile=certifi.where())


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on :class:`GuardedBackend`, no proxies."""

    def __init__(
        self, *, allowed: frozenset[str] = frozenset(), limits: httpx.Limits | None = None
    ) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=5)
        super().__init__(verify=_ssl_context(), trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allowed),
        )


def safe_client(
    *,
    allowed: frozenset[str] = frozenset(),
    timeout: httpx.Timeout | float = 10.0,
    headers: dict[str, str] | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> httpx.AsyncClient:
    """An httpx client for user-supplied URLs: redirects followed (each hop checked),
    environment proxies ignored (a proxy would connect for us, unchecked)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allowed=allowed),
        timeout=timeout,
        headers=headers,
        follow_redirects=True,
        max_redirects=max_redirects,
        trust_env=False,
    )


# --- bodies -----------------------------------------------------------------------

ACCEPT_ENCODING = "gzip, deflate"


class _Decoder:
    """gzip/deflate decoding that never produces more than it is asked for."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise httpx.DecodingError(f"unsupported content encoding {encoding!r}")
        self._deflate_sniffed = encoding != "deflate"

    def decode(self, chunk: bytes, room: int) -> bytes:
        """Up to ``room`` + 1 decoded bytes (one more than fits means "too large")."""
        if self._zlib is None:
            return chunk
        if not self._deflate_sniffed:  # "deflate" is zlib-wrapped or raw in the wild
            self._deflate_sniffed = True
            if chunk and (chunk[0] & 0x0F) != 8:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self._zlib.decompress(chunk, room + 1)
        except zlib.error as exc:
            raise httpx.DecodingError(f"cannot decode the body: {exc}") from exc

    @property
    def pending(self) -> bool:
        return self._zlib is not None and bool(self._zlib.unconsumed_tail)

    def more(self, room: int) -> bytes:
        assert self._zlib is not None
        return self._zlib.decompress(self._zlib.unconsumed_tail, room + 1)


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed response, refused (ResponseTooLarge) past ``limit`` bytes,
    compressed or not. Use with ``client.stream(...)`` and ``Accept-Encoding:
    gzip, deflate`` (:data:`ACCEPT_ENCODING`)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and "content-encoding" not in response.headers:
        raise ResponseTooLarge(f"the body is {int(declared)} bytes, over the {limit} limit")
    encodings = [e for e in response.headers.get("content-encoding", "").split(",") if e.strip()]
    if len(encodings) > 1:
        raise httpx.DecodingError("stacked content encodings are not accepted")
    decoder = _Decoder(encodings[0] if encodings else "")
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.decode(chunk, limit - len(body))
        while decoder.pending and len(body) <= limit:
            body += decoder.more(limit - len(body))
        if len(body) > limit:
            raise ResponseTooLarge(f"the body is over the {limit}-byte limit")
    return bytes(body)
