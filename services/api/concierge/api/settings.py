from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from concierge.common.safe_http import AllowedHosts
from concierge.common.settings import (
    DatabaseSettingsMixin,
    RedisSettingsMixin,
    ServiceSettings,
    StorageSettingsMixin,
    TelegramBotSettingsMixin,
    shared,
)

# OpenAI-compatible: Ollama on this machine (llama.cpp and vLLM serve the same /v1 paths).
DEFAULT_LLM_BASE_URLS = {
    "openai": "http://127.0.0.1:11434/v1",
    "anthropic": "https://api.anthropic.com",
}


class ApiSettings(
    StorageSettingsMixin,
    TelegramBotSettingsMixin,
    RedisSettingsMixin,
    DatabaseSettingsMixin,
    ServiceSettings,
):
    model_config = SettingsConfigDict(
        env_prefix="API_", env_file=".env", extra="ignore", populate_by_name=True
    )

    port: int = 8000
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), description="Telegram ids that get the admin role on registration"
    )
    migrate_on_start: bool = False
    worker_url: str = Field(
        "http://127.0.0.1:8002",
        validation_alias=shared("WORKER_URL"),
        description="Where the api finds the worker (query embeddings)",
    )
    ingest_allowed_private_hosts: AllowedHosts = Field(
        frozenset(),
        validation_alias=shared("INGEST_ALLOWED_PRIVATE_HOSTS"),
        description="host:port pairs a source may point at even though private (the sandbox)",
    )

    jobs_stream: str = Field(
        "jobs",
        validation_alias=shared("WORKER_STREAM"),
        description="The worker's job stream (the variable the worker reads)",
    )

    # --- Mini App (market) ------------------------------------------------------------
    jwt_secret: SecretStr = Field(
        SecretStr("dev-jwt-secret-for-local-development-only"),
        description="HS256 key of the Mini App's session tokens (32+ bytes)",
    )
    jwt_lifetime_s: int = Field(900, ge=60, le=900, description="Session token lifetime")

    # --- rate limits (concierge.api.ratelimit) --------------------------------------------
    rate_limit_enabled: bool = Field(True, description="Limit /api/v1 calls per IP and per user")
    rate_limit_per_ip: str = Field(
        "100/minute", description="Calls without a session token, per client IP (moving window)"
    )
    rate_limit_per_user: str = Field(
        "200/minute", description="Calls with a Mini App session token, per user (moving window)"
    )

    # --- the Mini App's files (make dev; nginx serves them in compose) --------------------
    webapp_dir: str | None = Field(
        None, description="The built Mini App served at /app/; unset: webapp/dist; empty: off"
    )

    # --- the feed desk (concierge.api.feed) ---------------------------------------------
    feed_training_per_channel: int = Field(
        5, ge=1, le=50, description="Posts of each channel rated in the training round"
    )
    feed_explore: float = Field(
        0.07, ge=0.0, le=0.5, description="Share of feed posts picked at random (exploration)"
    )
    feed_ratings_per_minute: int = Field(
        60, ge=1, le=100_000, description="Ratings one reader may give in a minute"
    )
    feed_nudge_after_days: float = Field(
        3.0, gt=0, le=365, description="Days of inactivity after which a reader is nudged"
    )
    feed_nudge_max_ignored: int = Field(
        3, ge=1, le=100, description="Nudges left unanswered in a row before a reader churns"
    )
    userbot_url: str | None = Field(
        None, description="The user-bot service (resolves channels); unset: own refs refused"
    )

    # --- the market desk ---------------------------------------------------------------
    watch_failing_after: int = Field(
        3, ge=1, le=1000, description="Failed polls in a row after which admins hear of a target"
    )
    watch_captcha_pause_s: float = Field(
        6 * 3600.0,
        ge=60,
        le=7 * 86_400,
        description="How long a target that demanded a captcha rests before it is polled again",
    )
    listing_lifetime_s: float = Field(
        30 * 86_400, ge=60, le=366 * 86_400, description="A published listing's time in search"
    )
    listing_reminder_s: float = Field(
        3 * 86_400,
        ge=0,
        le=30 * 86_400,
        description="How long before it runs out the seller is asked to renew",
    )
    conversation_idle_s: float = Field(
        1800,
        ge=10,
        le=86_400,
        description="A user's plain text goes to the buyer or seller they were writing to "
        "until this long after their last message there; then it is a search again",
    )

    # --- rentals (Avito) ----------------------------------------------------------------
    avito_url: str = Field(
        "http://127.0.0.1:8004",
        validation_alias=shared("AVITO_URL"),
        description="Where the api finds the Avito gateway",
    )
    rentals_credentials_keys: SecretStr = Field(
        SecretStr(""),
        description="Fernet keys (comma-separated, newest first) that encrypt landlords' Avito "
        "secrets; empty: derived from API_JWT_SECRET (dev only). Rotate: put a new key first, "
        "run `python -m concierge.api.rentals.rotate_keys`, then drop the old one",
    )
    rentals_draft_ttl_h: int = Field(
        24,
        ge=1,
        le=720,
        description="A guest assistant's draft not sent, edited or skipped within this many "
        "hours expires: its Send button then says so instead of sending a stale reply",
    )

    # --- uploads (listing photos; the backend itself: STORAGE_*, shared with the worker) --
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The api as browsers reach it: signed upload and image URLs (local storage)",
    )
    upload_signing_key: SecretStr | None = Field(
        None,
        description="HMAC key of signed upload and image URLs; unset: derived from API_JWT_SECRET",
    )

    @field_validator("upload_signing_key", mode="before")
    @classmethod
    def _no_empty_signing_key(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def upload_signing_secret(self) -> bytes:
        if self.upload_signing_key is not None:
            return self.upload_signing_key.get_secret_value().encode()
        jwt_key = self.jwt_secret.get_secret_value().encode()
        return hmac.new(jwt_key, b"concierge.uploads", hashlib.sha256).digest()

    # --- the MCP surface (/mcp) ----------------------------------------------------------
    mcp_allowed_hosts: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"localhost", "127.0.0.1", "::1"}),
        description="Host names /mcp answers to (comma-separated, no ports; * for any); "
        "another Host header gets 421 (DNS rebinding)",
    )

    @field_validator("mcp_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    # --- search ---------------------------------------------------------------------
    # Measured on the labelled queries (tests/quality): 20 per arm gives the best top
    # results (deep, weak candidates that appear in both lists outscore strong ones); the
    # rest of each arm's matches still come, on later pages.
    search_candidates: int = Field(
        20, ge=5, le=200, description="The top of each arm (full text, vector) fusion ranks first"
    )
    search_fts_rank_limit: int = Field(
        1000,
        ge=50,
        le=100_000,
        description="The most full-text matches ranked (the newest, when more match)",
    )
    search_fts_budget: int = Field(
        800,
        ge=10,
        description="Documents the full-text arm's match words may hold (rarest words first)",
    )
    search_min_coverage: float = Field(
        0.5, ge=0, le=1, description="Share of the query's words (by rarity) a text match holds"
    )
    search_fts_weight: float = Field(
        0.5, gt=0, le=1, description="What a full-text rank counts in the fusion (a vector rank 1)"
    )
    search_vector_depth: int = Field(
        100, ge=10, le=1000, description="Nearest vectors looked at; those above the floor match"
    )
    search_ef_search: int = Field(
        100, ge=10, le=1000, description="hnsw.ef_search for the vector arm (recall against speed)"
    )
    search_exact_max: int = Field(
        2500,
        ge=0,
        description="A filtered vector search over at most this many documents is exact",
    )
    search_parallel_workers: int = Field(
        0,
        ge=0,
        le=8,
        description="Postgres parallel workers one search statement may start (0: none; "
        "the arms already run side by side with the query's embedding)",
    )
    search_typo_similarity: float = Field(
        0.5, gt=0, le=1, description="How alike a title must be to a short query with a typo"
    )
    search_embed_timeout_s: float = Field(
        3.0, gt=0, description="How long a search waits for the worker's query embedding"
    )
    search_rerank_model: str = Field(
        "", description="A cross-encoder (local path) that reorders the first results; empty: off"
    )
    search_rerank_depth: int = Field(
        30, ge=2, le=200, description="How many fused results the cross-encoder reorders"
    )

    # --- media: people's indexer keys and seedbox passwords, encrypted at rest -----------
    media_secret_keys: SecretStr | None = Field(
        None,
        description="Fernet keys, comma-separated, newest first; empty: nobody can connect "
        "an indexer or seedbox. Rotate: put a new key first, run "
        "`python -m concierge.api.media.rotate_keys`, then drop the old key",
    )

    media_tmdb_url: str = Field(
        "https://api.themoviedb.org/3", description="TMDB's v3 API (make dev: the sandbox's)"
    )
    media_tmdb_key: SecretStr | None = Field(
        None, description="The deployment's TMDB key (v3 key or v4 token); empty: no titles"
    )
    media_allowed_private_hosts: AllowedHosts = Field(
        frozenset(),
        validation_alias=shared("MEDIA_ALLOWED_PRIVATE_HOSTS"),
        description="host:port pairs of seedboxes and indexers reached even though private "
        "(the sandbox in dev; a person's own LAN seedbox needs no entry: they mark it)",
    )
    media_timeout_s: float = Field(
        15.0, gt=0, le=120, description="One call to a person's indexer or seedbox"
    )

    # --- LLM (answers) --------------------------------------------------------------------
    llm_provider: Literal["none", "openai", "anthropic"] = Field(
        "none", description="none: extractive answers; openai: any OpenAI-compatible server"
    )
    llm_base_url: str = Field("", description="Empty: the provider's default address")
    llm_model: str = ""
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(
        20.0, gt=0, description="Longest wait for an answer before falling back to extracts"
    )
    llm_max_tokens: int = Field(600, ge=16, le=8192)
    llm_max_concurrency: int = Field(
        4, ge=1, description="LLM calls at once; more questions get the extractive answer"
    )

    @field_validator("llm_api_key", "media_tmdb_key", mode="before")
    @classmethod
    def _no_empty_key(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _webapp_is_https_outside_dev(self) -> ApiSettings:
        # The sandbox (compose's sandbox profile) opens http:// Mini Apps; Telegram does not.
        if not self.is_dev and self.webapp_buttons_url is None:
            raise ValueError("WEBAPP_URL must be https:// (Telegram opens only https Mini Apps)")
        return self

    @model_validator(mode="after")
    def _llm_needs_a_model(self) -> ApiSettings:
        if self.llm_provider != "none" and not self.llm_model.strip():
            raise ValueError(f"API_LLM_PROVIDER={self.llm_provider} needs API_LLM_MODEL")
        return self

    @property
    def resolved_llm_base_url(self) -> str:
        if self.llm_base_url:
            return self.llm_base_url.rstrip("/")
        return DEFAULT_LLM_BASE_URLS.get(self.llm_provider, "")

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value
