"""A small open-loop HTTP/1.1 load generator on raw asyncio streams.

httpx costs about a millisecond of CPU per request, which on a two-core machine
shared with the services would dominate what we measure. This client keeps a pool
of keep-alive connections and does the minimum: write the request, read the status
line, the headers and a Content-Length body.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, request: bytes) -> int:
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line.startswith(b"HTTP/1.1 "):
            raise ValueError(f"not an HTTP/1.1 answer: {status_line[:40]!r}")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return int(status_line.split()[1])


def build_request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def open_loop(
    url: str,
    bodies: Callable[[int], bytes],
    headers: dict[str, str],
    rate: float,
    seconds: float,
    connections: int = 40,
) -> LoadResult:
    """Request n is due at start + n/rate; its latency counts from then (no coordinated
    omission). Up to ``connections`` requests are in flight."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(*await asyncio.open_connection(host, port)))
    result = LoadResult()

    async def one(n: int, due: float) -> None:
        connection = await pool.get()
        try:
            request = build_request(parts.netloc, parts.path, bodies(n), headers)
            status = await connection.post(request)
            if status != 200:
                result.errors += 1
        except (OSError, ValueError, asyncio.IncompleteReadError):
            result.errors += 1
            connection = Connection(*await asyncio.open_connection(host, port))
        finally:
            pool.put_nowait(connection)
        result.latencies_s.append(time.perf_counter() - due)

    start = time.perf_counter() + 0.05
    tasks = []
    for n in range(int(rate * seconds)):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().writer.close()
    return result


def percentile_ms(latencies_s: list[float], q: int) -> float:
    return statistics.quantiles(latencies_s, n=100, method="inclusive")[q - 1] * 1000


async def measure(
    url: str, body: Callable[[int], bytes], headers: dict[str, str], rate: float, seconds: float
) -> dict[str, float]:
    """An open-loop run after a warm-up of up to two seconds; its figures in ms. The warm-up
    sends ``body(n)``, the measured run ``body(1_000_000 + n)``, so no request repeats."""
    await open_loop(url, body, headers, rate, min(2.0, seconds))
    result = await open_loop(url, lambda n: body(1_000_000 + n), headers, rate, seconds)
    latencies = result.latencies_s
    return {
        "p50": percentile_ms(latencies, 50),
        "p95": percentile_ms(latencies, 95),
        "p99": percentile_ms(latencies, 99),
        "errors": result.errors,
        "n": len(latencies),
    }


def print_figures(rows: dict[str, dict[str, float]]) -> None:
    """One line of figures per measured endpoint, names in one column."""
    width = max(map(len, rows)) + 1
    for name, figures in rows.items():
        print(f"{name:{width}} p50={figures['p50']:.2f} ms  p95={figures['p95']:.2f} ms  "
              f"p99={figures['p99']:.2f} ms  errors={int(figures['errors'])}")  # fmt: skip


def p95_ratio(figures: dict[str, float], baseline: dict[str, float]) -> float:
    return figures["p95"] / baseline["p95"] if baseline["p95"] else float("inf")
