"""The feed desk's rules.

A reader's status (``users.status``, moved and logged by identity's rules; an illegal move
is a 409): ``new`` → ``onboarding`` (they opened the feed and pick channels) →
``training`` (they rate ``per_channel`` posts of each channel, one at a time) → ``trained``
(the round is over; the worker trains their model) → ``active`` (the first post of their
feed) → ``churned`` (``API_FEED_NUDGE_MAX_IGNORED`` nudges left unanswered) → ``active``
again when they come back (a rating or ``/feed``).

Ratings: one per reader and post (a second one changes it), only of posts of the
reader's channels (another post is a 404), at most ``API_FEED_RATINGS_PER_MINUTE`` a
minute (a Redis counter per reader and minute; more is a 429 with Retry-After). A like
or dislike asks the worker to retrain the reader's model (``feed.train``).

The feed: the best unseen post by the reader's model (newest first before there is one),
or with probability ``API_FEED_EXPLORE`` a random one; it is marked seen, so posts shown
or rated never come back.
"""

from __future__ import annotations

import logging
import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redis.asyncio import Redis
from redis.exceptions import RedisError

from concierge.api.after_commit import AfterCommit
from concierge.api.feed import notifications
from concierge.api.feed.repository import ChannelRow, FeedRepository, PostRow
from concierge.api.feed.userbot import normalised_ref, resolve
from concierge.api.identity.service import IdentityService
from concierge.api.notify.service import NotifyService
from concierge.common.errors import Conflict, Invalid, NotFound, TooManyRequests
from concierge.contracts.feed import (
    VERDICT_VALUE,
    ChannelAdd,
    ChannelRead,
    FeedNext,
    FeedPost,
    FeedState,
    ModelKind,
    NudgeSummary,
    RatingCreate,
    RatingRead,
    ReaderSettings,
    TrainingPost,
    TrainingStep,
    Verdict,
)
from concierge.contracts.identity import UserStatus
from concierge.contracts.jobs import FEED_TRAIN, ReaderPayload
from concierge.domain.feed.models import FeedModel
from concierge.domain.identity.models import User

log = logging.getLogger(__name__)

SUGGESTIONS = 10
MAX_CHANNELS = 50
NUDGE_BATCH = 500
FEEDABLE = frozenset({UserStatus.TRAINED, UserStatus.ACTIVE, UserStatus.CHURNED})


def channel_read(row: ChannelRow) -> ChannelRead:
    source = row.source
    title = source.title or (f"@{source.handle}" if source.handle else source.url or "")
    return ChannelRead(
        source_id=source.id, kind=source.kind, title=title, handle=source.handle, posts=row.posts
    )


def training_post(post: PostRow) -> TrainingPost:
    return TrainingPost(
        document_id=post.document_id,
        source_id=post.source_id,
        channel=post.channel,
        title=post.title,
        text=post.text,
        url=post.url,
        published_at=post.published_at,
    )


def in_quiet_hours(
    moment: datetime, quiet_from: int | None, quiet_to: int | None, zone: str
) -> bool:
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return False
    try:
        hour = moment.astimezone(ZoneInfo(zone)).hour
    except (ZoneInfoNotFoundError, ValueError):
        hour = moment.hour
    if quiet_from < quiet_to:
        return quiet_from <= hour < quiet_to
    return hour >= quiet_from or hour < quiet_to  # a window over midnight


class FeedDesk:
    def __init__(
        self,
        repository: FeedRepository,
        identity: IdentityService,
        notify: NotifyService,
        redis: Redis,
        after_commit: AfterCommit | None,
        *,
        per_channel: int,
        explore: float,
        ratings_per_minute: int,
        userbot_url: str | None = None,
        service_token: str = "",
        rng: random.Random | None = None,
    ) -> None:
        self.repository = repository
        self.identity = identity
        self.notify = notify
        self.redis = redis
        self.after_commit = after_commit
        self.per_channel = per_channel
        self.explore = explore
        self.ratings_per_minute = ratings_per_minute
        self.userbot_url = userbot_url
        self.service_token = service_token
        self.rng = rng or random.Random()

    async def _move(self, user: User, target: UserStatus) -> None:
        await self.identity.change_status(user.telegram_id, target)

    # --- state and onboarding ----------------------------------------------------------

    async def state(self, user: User) -> FeedState:
        await self.repository.reader(user.id)
        progress = await self.repository.training_progress(user.id, self.per_channel)
        model = await self.repository.model(user.id)
        return FeedState(
            status=UserStatus(user.status),
            channels=await self.repository.channel_count(user.id),
            ratings=await self.repository.labelled_ratings(user.id),
            training_done=progress.done,
            training_total=progress.total,
            model=ModelKind(model.kind) if model else ModelKind.NONE,
            model_ratings=model.ratings_used if model else 0,
            trained_at=model.trained_at if model else None,
        )

    async def start(self, user: User) -> FeedState:
        """Open the feed: a new reader starts onboarding, a churned one is back."""
        status = UserStatus(user.status)
        if status == UserStatus.NEW:
            await self._move(user, UserStatus.ONBOARDING)
        elif status == UserStatus.CHURNED:
            await self._move(user, UserStatus.ACTIVE)
        await self.repository.touch(user.id, await self.repository.now())
        return await self.state(user)

    async def suggestions(self, user: User) -> list[ChannelRead]:
        return [
            channel_read(row) for row in await self.repository.suggestions(user.id, SUGGESTIONS)
        ]

    async def channels(self, user: User) -> list[ChannelRead]:
        return [channel_read(row) for row in await self.repository.channels(user.id)]

    async def add_channel(self, user: User, data: ChannelAdd) -> ChannelRead:
        if (data.source_id is None) == (data.ref is None):
            raise Invalid("Name either source_id or ref")
        if UserStatus(user.status) == UserStatus.NEW:
            await self._move(user, UserStatus.ONBOARDING)
        if data.source_id is not None:
            source = await self.repository.source(data.source_id)
            if source is None:
                raise NotFound(f"No source {data.source_id}")
        else:
            assert data.ref is not None
            ref = normalised_ref(data.ref)
            handle = ref if not ref.startswith(("http", "t.me", "telegram.me")) else None
            known = await self.repository.telegram_source(handle) if handle else None
            if known is not None and known.enabled:
                source = known
            else:
                resolved = await resolve(self.userbot_url, self.service_token, ref)
                name = (resolved.username or handle or "").lower()
                if not name:
                    raise Invalid("The channel has no public username to follow")
                source = await self.repository.add_telegram_source(name, resolved.title)
        if await self.repository.channel_count(user.id) >= MAX_CHANNELS:
            raise Conflict(f"A reader follows at most {MAX_CHANNELS} channels")
        await self.repository.add_channel(user.id, source.id)
        for row in await self.repository.channels(user.id):
            if row.source.id == source.id:
                return channel_read(row)
        raise NotFound(f"No source {source.id}")  # pragma: no cover - deleted meanwhile

    async def remove_channel(self, user: User, source_id: int) -> None:
        if not await self.repository.remove_channel(user.id, source_id):
            raise NotFound(f"You do not follow source {source_id}")

    # --- the training round --------------------------------------------------------------

    async def begin_training(self, user: User) -> TrainingStep:
        if await self.repository.channel_count(user.id) == 0:
            raise Conflict("Pick at least one channel first")
        await self._move(user, UserStatus.TRAINING)
        return await self.training_step(user)

    async def training_step(self, user: User) -> TrainingStep:
        """The next post to rate; when none is left the round is over (trained)."""
        if UserStatus(user.status) != UserStatus.TRAINING:
            raise Conflict(f"The training round is not running (status {user.status})")
        await self.repository.reader(user.id)
        per_channel = self.per_channel
        progress = await self.repository.training_progress(user.id, per_channel)
        post = await self.repository.next_training_post(user.id, per_channel)
        if post is None:
            await self._move(user, UserStatus.TRAINED)
            self._retrain(user)
        return TrainingStep(
            post=training_post(post) if post else None,
            done=progress.done,
            total=progress.total,
            status=UserStatus(user.status),
        )

    # --- ratings ---------------------------------------------------------------------------

    async def _flood_control(self, user: User) -> None:
        now = await self.repository.now()
        minute = int(now.timestamp() // 60)
        key = f"feed:ratings:{user.id}:{minute}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            log.warning("feed flood control skipped: Redis unavailable", exc_info=True)
            return
        if int(count) > self.ratings_per_minute:
            retry = max(1, math.ceil(60 - now.timestamp() % 60))
            raise TooManyRequests(
                f"Too many ratings: at most {self.ratings_per_minute} a minute",
                headers={"Retry-After": str(retry)},
            )

    async def rate(self, user: User, data: RatingCreate) -> RatingRead:
        await self._flood_control(user)
        post = await self.repository.visible_post(user.id, data.document_id)
        if post is None:
            raise NotFound(f"No post {data.document_id} in your channels")
        status = UserStatus(user.status)
        if status in (UserStatus.NEW, UserStatus.ONBOARDING):
            raise Conflict("Start the training round first")
        phase = "training" if status == UserStatus.TRAINING else "feed"
        await self.repository.rate(user.id, post.document_id, VERDICT_VALUE[data.verdict], phase)
        await self.repository.mark_seen(user.id, post.document_id)
        await self.repository.reader(user.id)
        await self.repository.touch(user.id, await self.repository.now())
        if status in (UserStatus.TRAINED, UserStatus.CHURNED):
            await self._move(user, UserStatus.ACTIVE)
        if phase == "feed" and data.verdict != Verdict.SKIP:
            self._retrain(user)
        return RatingRead(
            document_id=post.document_id,
            verdict=data.verdict,
            status=UserStatus(user.status),
            ratings=await self.repository.labelled_ratings(user.id),
        )

    def _retrain(self, user: User) -> None:
        if self.after_commit is not None:
            self.after_commit.enqueue(FEED_TRAIN, ReaderPayload(user_id=user.id))

    # --- the feed ----------------------------------------------------------------------------

    async def _model(self, user: User) -> tuple[FeedModel | None, int | None, ModelKind]:
        model = await self.repository.model(user.id)
        embedding_model = await self.repository.active_embedding_model()
        usable = model is not None and model.model_id == embedding_model
        kind = ModelKind(model.kind) if usable and model is not None else ModelKind.NONE
        return (model if usable else None), embedding_model, kind

    async def best(self, user: User, *, explore: bool) -> tuple[PostRow | None, bool, ModelKind]:
        model, embedding_model, kind = await self._model(user)
        now = await self.repository.now()
        at_random = explore and self.rng.random() < self.explore
        posts = await self.repository.ranked(
            user.id,
            model,
            embedding_model,
            now,
            limit=1,
            at_random=at_random,
        )
        return (posts[0] if posts else None), at_random, kind

    async def next_post(self, user: User) -> FeedNext:
        status = UserStatus(user.status)
        if status not in FEEDABLE:
            raise Conflict(f"Finish the training round first (status {status})")
        if status != UserStatus.ACTIVE:
            await self._move(user, UserStatus.ACTIVE)
        await self.repository.touch(user.id, await self.repository.now())
        post, explored, kind = await self.best(user, explore=True)
        if post is not None:
            await self.repository.mark_seen(user.id, post.document_id)
        return FeedNext(
            post=_feed_post(post, explored) if post else None,
            model=kind,
            status=UserStatus(user.status),
        )

    async def browse(self, user: User, limit: int) -> list[FeedPost]:
        """The reader's best unseen posts in order (nothing is marked seen)."""
        model, embedding_model, _ = await self._model(user)
        posts = await self.repository.ranked(
            user.id,
            model,
            embedding_model,
            await self.repository.now(),
            limit=limit,
        )
        return [_feed_post(post, False) for post in posts]

    async def save_settings(self, user: User, data: ReaderSettings) -> ReaderSettings:
        if (data.quiet_from is None) != (data.quiet_to is None):
            raise Invalid("Quiet hours come as a pair (quiet_from and quiet_to) or not at all")
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid(f"Unknown time zone {data.timezone}") from exc
        reader = await self.repository.save_settings(user.id, data.model_dump())
        return ReaderSettings(
            quiet_from=reader.quiet_from, quiet_to=reader.quiet_to, timezone=reader.timezone
        )

    async def settings(self, user: User) -> ReaderSettings:
        reader = await self.repository.reader(user.id)
        return ReaderSettings(
            quiet_from=reader.quiet_from, quiet_to=reader.quiet_to, timezone=reader.timezone
        )

    # --- nudges ---------------------------------------------------------------------------------

    async def nudge(self, *, after_days: float, max_ignored: int) -> NudgeSummary:
        """Readers idle for ``after_days`` get their best unseen post, once per period of
        their idleness (``feed_nudges`` unique on reader and period, the outbox's dedup key
        too), never in
        their quiet hours; after ``max_ignored`` unanswered nudges they are churned."""
        now = await self.repository.now()
        period_s = after_days * 86400
        nudged = churned = held = 0
        for reader, user in await self.repository.readers_to_nudge(
            now - timedelta(seconds=period_s), NUDGE_BATCH
        ):
            if reader.ignored_nudges >= max_ignored:
                await self._move(user, UserStatus.CHURNED)
                churned += 1
                continue
            if in_quiet_hours(now, reader.quiet_from, reader.quiet_to, reader.timezone):
                held += 1
                continue
            # The period: which stretch of ``after_days`` since their last activity.
            idle = int((now - reader.last_active_at).total_seconds() // period_s)
            period = f"{int(reader.last_active_at.timestamp())}:{idle}"
            post, _, _ = await self.best(user, explore=False)
            if post is None or not await self.repository.record_nudge(
                user.id, period, post.document_id
            ):
                continue
            await self.repository.mark_seen(user.id, post.document_id)
            await self.repository.nudged(user.id, now)
            await self.notify.enqueue(notifications.nudge(user, post, period))
            nudged += 1
        return NudgeSummary(nudged=nudged, churned=churned, held_quiet=held)


def _feed_post(post: PostRow, explored: bool) -> FeedPost:
    return FeedPost(
        **training_post(post).model_dump(),
        score=None if explored or post.score is None else float(post.score),
        explored=explored,
    )
