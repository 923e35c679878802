"""The media desk's tables (downloads.py: what the person added to their seedbox)."""
