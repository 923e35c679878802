"""Hostile text for fuzzing credentials and parameters: deterministic (seeded), so a
failure reproduces, and broad: empty, huge, repeated, non-ASCII of every kind."""

from __future__ import annotations

import random
from collections.abc import Iterator

FIXED = [
    "",
    " ",
    "жж",
    "ж" * 64,
    "\u00e9\u00e9",  # Latin-1 range: survives a header's latin-1 decoding as itself
    "👍🏽" * 8,
    "漢字" * 10,
    "\u202e" + "abc",  # right-to-left override
    "a\u0301" * 20,  # combining marks
    "\u200b\u200d\ufeff",  # zero-width characters
    "\x00",
    "a\x00b",
    "\x01\x1f\x7f",
    "%",
    "%ZZ",
    "%00",
    "%D0%B6%D0%B6",
    "%FF%FE",
    "=&=&==",
    "..",
    "../../etc/passwd",
    "\\",
    "0" * 64,
    "f" * 63 + "ж",
    "x" * 10_000,
]


def _random_text(rng: random.Random) -> str:
    length = rng.choice([1, 2, 5, 16, 64, 65, 300])
    planes = [(0x20, 0x7E), (0xA0, 0x2FF), (0x400, 0x4FF), (0x4E00, 0x4FFF), (0x1F300, 0x1F6FF)]
    chars = []
    for _ in range(length):
        low, high = rng.choice(planes)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def hostile_strings(count: int = 60, seed: int = 20261205) -> Iterator[str]:
    """The fixed cases, then ``count`` random ones."""
    yield from FIXED
    rng = random.Random(seed)
    for _ in range(count):
        yield _random_text(rng)
