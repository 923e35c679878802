"""The media desk's tables (downloads/: what the person added to their seedbox)."""
