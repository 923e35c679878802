"""One polite poll of one target, reported to the api.

The ``watch.poll`` schedule claims due targets (each claimed once per interval over
every replica) and enqueues one ``watch.poll_target`` per target; so however many
people watch an office, it is asked once per interval. A poll:

1. skips the request when the host's circuit breaker is open, or its token bucket is
   empty (the target is postponed, nothing is sent);
2. asks the provider for the slots in the dates its watchers cover, with a User-Agent
   that names the deployment's contact;
   never sooner than the provider's floor after the target's last request (a Redis
   key per target, whichever replica asked);
3. reports the outcome to the api (``POST /api/v1/watch/service/targets/<id>/polls``),
   which diffs slots and tells people; a 403/418/429 or ``rateLimitExceeded`` also
   opens the breaker and postpones the target by its backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

import httpx
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis

from concierge.common.http_client import ServiceClient
from concierge.common.safe_http import safe_client
from concierge.contracts.watch import CatalogUpdate, PollOutcome, PollReport, PollSummary
from concierge.db import Database
from concierge.worker.settings import WorkerSettings
from concierge.worker.watch.politeness import CircuitBreaker, TokenBucket, next_interval
from concierge.worker.watch.providers import (
    CaptchaDemanded,
    ProviderError,
    Query,
    RateLimited,
    build_provider,
)
from concierge.worker.watch.repository import DueTarget, TargetToPoll, WatchPollRepository

log = logging.getLogger(__name__)

POLLS = Counter(
    "watch_polls_total",
    "Polls of appointment-slot targets, by provider and outcome",
    ["provider", "outcome"],
)
SKIPPED = Counter(
    "watch_polls_skipped_total",
    "Polls not sent to spare the provider: breaker_open or throttled",
    ["provider", "reason"],
)
BREAKER_TRIPS = Counter("watch_breaker_trips_total", "Circuit breaker openings, by host", ["host"])
FAILURES = Gauge(
    "watch_target_failures_in_row", "Failed polls in a row, per target", ["target", "provider"]
)
LAST_SUCCESS = Gauge(
    "watch_target_last_success_timestamp_seconds",
    "When the target last answered (unix time)",
    ["target", "provider"],
)
HEALTHY = Gauge(
    "watch_target_healthy", "1 when the target's last poll answered", ["target", "provider"]
)

POLLS_PATH = "/api/v1/watch/service/targets/{id}/polls"
CATALOG_PATH = "/api/v1/watch/service/providers/{slug}/catalog"


class Polled(StrEnum):
    GONE = "gone"  # the target no longer exists
    BREAKER_OPEN = "breaker_open"
    TOO_SOON = "too_soon"  # the last request to this target was less than the floor ago
    THROTTLED = "throttled"
    REPORTED = "reported"


def user_agent(contact: str) -> str:
    return (
        f"ConciergeSlotWatcher/0.1 (notifies people of free slots; never books; contact: {contact})"
    )


def provider_client(settings: WorkerSettings) -> httpx.AsyncClient:
    """The SSRF-guarded client every provider request goes through."""
    return safe_client(
        allowed=settings.ingest_allowed_private_hosts,
        timeout=settings.watch_timeout_s,
        headers={
            "User-Agent": user_agent(settings.watch_contact),
            "Accept": "application/json, text/html;q=0.9",
        },
    )


def host_of(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


class WatchPoller:
    def __init__(
        self,
        database: Database,
        redis: Redis,
        settings: WorkerSettings,
        *,
        http: httpx.AsyncClient,
        api: ServiceClient,
        jitter: Callable[[float], float] = next_interval,
    ) -> None:
        self.database = database
        self.redis = redis
        self.settings = settings
        self.http = http
        self.api = api
        self.jitter = jitter
        self.bucket = TokenBucket(
            redis, per_minute=settings.watch_host_rate_per_min, burst=settings.watch_host_burst
        )
        self.breaker = CircuitBreaker(
            redis, base_s=settings.watch_breaker_base_s, max_s=settings.watch_breaker_max_s
        )

    async def claim_due(self, limit: int = 500) -> list[DueTarget]:
        async with self.database.transaction() as session:
            return await WatchPollRepository(session).claim_due(limit, self.jitter)

    async def _postpone(self, target_id: int, seconds: float) -> None:
        async with self.database.transaction() as session:
            await WatchPollRepository(session).postpone(target_id, seconds)

    async def poll(self, target_id: int) -> Polled:
        async with self.database.transaction() as session:
            target = await WatchPollRepository(session).target(target_id)
        if target is None:
            return Polled.GONE
        host = host_of(target.base_url)
        open_s = await self.breaker.open_for(host)
        if open_s > 0:
            SKIPPED.labels(target.provider_slug, Polled.BREAKER_OPEN.value).inc()
            await self._postpone(target.id, open_s)
            return Polled.BREAKER_OPEN
        if not await self._floor_passed(target):
            SKIPPED.labels(target.provider_slug, Polled.TOO_SOON.value).inc()
            return Polled.TOO_SOON
        wait_s = await self.bucket.take(host)
        if wait_s > 0:
            await self.redis.delete(f"watch:floor:{target.id}")  # nothing was sent
            SKIPPED.labels(target.provider_slug, Polled.THROTTLED.value).inc()
            await self._postpone(target.id, wait_s)
            return Polled.THROTTLED
        report = await self._ask(target, host)
        POLLS.labels(target.provider_slug, report.outcome.value).inc()
        response = await self.api.request(
            "POST",
            POLLS_PATH.format(id=target.id),
            json=report.model_dump(mode="json"),
            idempotent=True,
        )
        self._record(target, PollSummary.model_validate(response.json()))
        return Polled.REPORTED

    async def _floor_passed(self, target: TargetToPoll) -> bool:
        """Take the target's floor (a Redis key living the floor): held, it is too soon,
        however a job was delayed or repeated, on whichever replica."""
        key = f"watch:floor:{target.id}"
        if await self.redis.set(key, "1", px=max(1, int(target.floor_s * 1000)), nx=True):
            return True
        await self._postpone(target.id, max(0.0, await self.redis.pttl(key) / 1000.0))
        return False

    async def _ask(self, target: TargetToPoll, host: str) -> PollReport:
        query = Query(target.office, target.service, target.start, target.end)
        try:
            provider = build_provider(target.kind, target.base_url, target.config, target.timezone)
            slots = await provider.slots(self.http, query)
        except RateLimited as exc:
            backoff = await self.breaker.trip(host, exc.retry_after_s)
            BREAKER_TRIPS.labels(host).inc()
            await self._postpone(target.id, backoff)
            log.warning(
                "watch: %s asked us to slow down (%s); backing off %.0f s", host, exc, backoff
            )
            return PollReport(
                outcome=PollOutcome.RATE_LIMITED, error=f"{exc}; backing off {backoff:.0f} s"
            )
        except CaptchaDemanded as exc:
            return PollReport(outcome=PollOutcome.CAPTCHA, error=str(exc)[:500])
        except ProviderError as exc:
            return PollReport(outcome=PollOutcome.FAILED, error=str(exc)[:500])
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            # An answer (or a provider's config) of a shape the adapter did not expect.
            error = f"unreadable answer or config: {type(exc).__name__}: {exc}"
            return PollReport(outcome=PollOutcome.FAILED, error=error[:500])
        await self.breaker.succeeded(host)
        return PollReport(outcome=PollOutcome.OK, slots=slots)

    def _record(self, target: TargetToPoll, summary: PollSummary) -> None:
        labels = (str(target.id), target.provider_slug)
        FAILURES.labels(*labels).set(summary.failures_in_row)
        HEALTHY.labels(*labels).set(1 if summary.state == "healthy" else 0)
        if summary.state == "healthy":
            LAST_SUCCESS.labels(*labels).set_to_current_time()

    async def refresh_catalogs(self, stale_after_s: float) -> int:
        """Read the offices and services of every provider whose catalog is stale."""
        async with self.database.transaction() as session:
            providers = await WatchPollRepository(session).providers_for_catalog(stale_after_s)
        done = 0
        for slug, kind, base_url, config, timezone in providers:
            try:
                catalog = await build_provider(kind, base_url, config, timezone).catalog(self.http)
            except ProviderError as exc:
                log.warning("watch: the catalog of %s could not be read: %s", slug, exc)
                continue
            update = CatalogUpdate.model_validate(
                {
                    "offices": [vars(o) for o in catalog.offices],
                    "services": [vars(s) for s in catalog.services],
                }
            )
            await self.api.request(
                "PUT", CATALOG_PATH.format(slug=slug), json=update.model_dump(mode="json")
            )
            done += 1
        return done
