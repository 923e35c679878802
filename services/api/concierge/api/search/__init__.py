"""Hybrid search over the knowledge store: full text and vectors, fused by rank."""
