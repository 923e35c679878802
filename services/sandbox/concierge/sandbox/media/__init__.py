"""The media desk's outside services as stand-ins: TMDB, Kinopoisk, a Torznab indexer and
the seedboxes (Transmission, qBittorrent, Deluge) with their handshakes; controls at
``/sandbox/media``."""
