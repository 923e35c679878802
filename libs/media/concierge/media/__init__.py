"""The media desk's outside clients.

- :mod:`concierge.media.metadata`: movie and TV metadata behind one interface
  (:class:`~concierge.media.metadata.base.MetadataProvider`): TMDB v3 and Kinopoisk
  (api.kinopoisk.dev), cached in Redis (:class:`~concierge.media.metadata.cache.CachedMetadata`).
- :mod:`concierge.media.indexers`: the person's own Torznab indexers (Jackett, Prowlarr):
  caps, search, releases ranked by their preferences; the indexer's API key never leaves
  the client.
- :mod:`concierge.media.seedbox`: the person's seedbox behind one interface
  (:class:`~concierge.media.seedbox.base.Seedbox`): Transmission, qBittorrent, Deluge.

Every client takes user-supplied URLs and goes through the SSRF guard of
``concierge.common.safe_http``; a seedbox the person marked as theirs on a LAN is the one
documented exception (``allow_private=True`` allows that one ``host:port`` only).
Failures are :mod:`concierge.media.errors` (typed, with messages safe to show).
"""
