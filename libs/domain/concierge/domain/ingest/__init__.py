"""Ingest tables: sources (feeds, pages, channels) and the documents taken from them."""
