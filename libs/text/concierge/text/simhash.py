"""64-bit simhash over words, stored as four 16-bit bands.

Words rather than longer shingles: posts are short, and a 3-word shingle changes
three features per edited word, which pushes a one-word edit of a 40-word post
past the distance threshold. Larger rewrites are the semantic layer's job.

Two texts within Hamming distance 3 share at least one band exactly (pigeonhole:
3 differing bits touch at most 3 of the 4 bands), so candidates are found with
``b0 = … OR b1 = … OR b2 = … OR b3 = …`` on btree indexes, then checked with
``bit_count(h # q) <= 3``.
"""

from __future__ import annotations

import hashlib

from concierge.text.normalize import words

BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
NEAR_DUPLICATE_DISTANCE = 3


def _hash64(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")


def simhash(text: str) -> int:
    """Unsigned 64-bit simhash of the text's words (0 for empty text)."""
    weights = [0] * BITS
    for word in words(text):
        value = _hash64(word)
        for bit in range(BITS):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit, weight in enumerate(weights) if weight > 0)


def to_signed(value: int) -> int:
    """The same 64 bits as a Postgres bigint."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def bands(value: int) -> tuple[int, int, int, int]:
    """Four 16-bit bands (0..65535), lowest first."""
    mask = (1 << BAND_BITS) - 1
    b0, b1, b2, b3 = (value >> (BAND_BITS * i) & mask for i in range(BANDS))
    return b0, b1, b2, b3


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()
