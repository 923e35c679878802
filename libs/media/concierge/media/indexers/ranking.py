"""Releases in the order the person would pick them.

The order, most important first:

1. can be added (a magnet or a .torrent link);
2. alive: at least ``min_seeders`` seeders (unknown counts as alive);
3. within the size cap (over it: after; the cap is the person's disk);
4. audio: the first preferred language heard (a release in none of them after);
5. quality: the preferred one, then the nearest below, then above, unknown last;
6. more seeders;
7. smaller.
"""

from __future__ import annotations

from collections.abc import Iterable

from concierge.media.indexers.models import Quality, Release, ReleasePreferences

_LADDER = [q for q in Quality if q is not Quality.UNKNOWN]


def quality_rank(quality: Quality, preferred: Quality | None) -> int:
    if quality is Quality.UNKNOWN:
        return 100
    if preferred is None or preferred is Quality.UNKNOWN:
        return -int(quality)  # no preference: the best first
    if quality == preferred:
        return 0
    if quality < preferred:  # the nearest below next
        return _LADDER.index(preferred) - _LADDER.index(quality)
    return 10 + _LADDER.index(quality) - _LADDER.index(preferred)


def audio_rank(audio: list[str], preferred: list[str]) -> int:
    for index, language in enumerate(preferred):
        if language in audio:
            return index
    return len(preferred)


def sort_key(release: Release, prefs: ReleasePreferences) -> tuple[int, ...]:
    seeders = release.seeders if release.seeders is not None else prefs.min_seeders
    oversize = prefs.max_size is not None and (release.size or 0) > prefs.max_size
    return (
        0 if release.addable else 1,
        0 if seeders >= prefs.min_seeders else 1,
        1 if oversize else 0,
        audio_rank(release.audio, prefs.audio),
        quality_rank(release.quality, prefs.quality),
        -seeders,
        release.size if release.size is not None else 2**62,
    )


def rank(releases: Iterable[Release], prefs: ReleasePreferences) -> list[Release]:
    return sorted(releases, key=lambda r: sort_key(r, prefs))
