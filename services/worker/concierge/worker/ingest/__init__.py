"""Ingest: sources are polled, fetched, parsed, cleaned, de-duplicated, embedded and
stored as documents, one job per source and check."""
