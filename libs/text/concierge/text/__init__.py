"""Text processing shared by ingest and search."""
