"""What can go wrong talking to an outside media service, as types a caller can map to
a message for the person (and to a 4xx, never a 500). Messages never carry secrets
(API keys, passwords, session ids)."""

from __future__ import annotations


class MediaError(Exception):
    """Base of every error of this lib; ``str(exc)`` is safe to show and to log."""


class Unreachable(MediaError):
    """The service did not answer: refused, timed out, DNS failed, or it answered 5xx."""


class AddressRefused(MediaError):
    """The URL points at a private/loopback/... address (the SSRF guard) or is malformed."""


class AuthFailed(MediaError):
    """Wrong credentials or API key (401/403, "Fails.", a refused login)."""


class ProtocolUnsupported(MediaError):
    """The service speaks a protocol version we do not (e.g. an old Transmission or qBittorrent)."""


class BadResponse(MediaError):
    """The answer could not be understood: malformed XML/JSON, missing fields."""


class TooLarge(BadResponse):
    """The answer was larger than we read (a capped body)."""


class NotFound(MediaError):
    """The title, torrent or host asked for does not exist there."""


class RateLimited(MediaError):
    """The service refused for quota (429; Kinopoisk's small daily quota)."""
