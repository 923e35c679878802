"""The media desk for one person: preferences, connections tested before they are stored,
history, the button flow (titles → releases → proposals), Add / Other options / Cancel,
and the conversation's sources.

Every URL is the person's: clients go through ``safe_http``'s guard; a seedbox they mark
as on their LAN may be private (that one ``host:port``). Secrets are sealed with the
deployment's key ring before they are stored and never answered back (the worker's
service call is the one exception, for the watcher)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import cast

from pydantic import SecretStr
from redis.asyncio import Redis

from concierge.api.media.conversation.proposals import Proposal, ProposalStore
from concierge.api.media.conversation.tools import MediaSources, quality_label
from concierge.api.media.recommend import Seen, recommend
from concierge.api.media.repository import MediaRepository
from concierge.common.errors import Conflict, Invalid, NotFound, Unavailable
from concierge.common.secret_box import SecretBox, SecretUnreadable
from concierge.contracts.errors import ErrorCode
from concierge.contracts.media import (
    AddResult,
    GenreRead,
    IndexerCreate,
    MediaPreferencesRead,
    MediaPreferencesUpdate,
    ProposalRead,
    RecommendationRead,
    SeedboxCreate,
    TitleRead,
    WatchedCreate,
)
from concierge.domain.identity.models import User
from concierge.domain.media.downloads.models import MediaDownload
from concierge.domain.media.downloads.repository import DownloadRepository
from concierge.domain.media.people.models import (
    MediaIndexer,
    MediaPreferences,
    MediaSeedbox,
    MediaWatched,
)
from concierge.media.errors import AddressRefused, AuthFailed, MediaError, ProtocolUnsupported
from concierge.media.errors import NotFound as NoSuchTitle
from concierge.media.indexers.models import (
    Quality,
    Release,
    ReleasePreferences,
    SearchRequest,
    SearchType,
)
from concierge.media.indexers.ranking import rank
from concierge.media.indexers.torznab import TorznabIndexer
from concierge.media.metadata.base import MetadataProvider
from concierge.media.metadata.cache import CachedMetadata
from concierge.media.metadata.models import Language, MediaKind, SearchKind
from concierge.media.metadata.tmdb import TmdbClient
from concierge.media.seedbox.factory import open_seedbox
from concierge.media.seedbox.models import SeedboxConfig, SeedboxKind

RELEASES_SHOWN = 5
HISTORY_SEEDS = 200  # the newest watched titles the recommendations read
SOURCE_FAILED = ErrorCode.MEDIA_SOURCE_FAILED
MAX_INDEXERS = 10
MAX_SEEDBOXES = 3
_TITLE_END = re.compile(r"[\s.(\[]+(19|20)\d\d\b|[\s.]+(480|720|1080|2160)p", re.IGNORECASE)


@dataclass(frozen=True)
class MediaConfig:
    """What the deployment gives the desk (from the api's settings)."""

    box: SecretBox | None
    tmdb_url: str
    tmdb_key: str | None
    allowed: frozenset[str]
    timeout_s: float


def release_query(release: Release) -> str:
    """A search for more releases of the same title: the release title up to its year or
    quality (``Arrival.2016.1080p…`` → ``Arrival``)."""
    return title_of(release.title)


def title_of(name: str) -> str:
    match = _TITLE_END.search(name)
    head = name[: match.start()] if match else name
    return re.sub(r"[._]+", " ", head).strip()[:200] or name[:200]


def release_kind(release: Release) -> str:
    """A release in a TV category (5000–5999) is of a series; any other, of a film."""
    return "tv" if any(5000 <= c < 6000 for c in release.category) else "movie"


def proposal_read(proposal: Proposal) -> ProposalRead:
    release = proposal.release
    return ProposalRead(
        token=proposal.token,
        title=release.title,
        size=release.size,
        quality=quality_label(release.quality),
        seeders=release.seeders,
        indexer=release.indexer,
    )


def _test_failed(what: str, exc: MediaError) -> Invalid:
    if isinstance(exc, AuthFailed):
        return Invalid(f"The test connection failed: {what} refused the credentials. Nothing saved")
    if isinstance(exc, AddressRefused):
        return Invalid(
            f"The test connection failed: {what} is on a private address. If it is yours on "
            "your network, mark it as on your LAN. Nothing saved"
        )
    if isinstance(exc, ProtocolUnsupported):
        return Invalid(f"The test connection failed: {exc}. Nothing saved")
    return Invalid(f"The test connection failed: {exc}. Nothing saved")


class MediaDesk:
    def __init__(
        self,
        repository: MediaRepository,
        downloads: DownloadRepository,
        redis: Redis,
        config: MediaConfig,
    ) -> None:
        self.repository = repository
        self.downloads_repo = downloads
        self.redis = redis
        self.config = config
        self.proposals = ProposalStore(redis)

    # --- preferences --------------------------------------------------------------------

    async def preferences(self, user: User) -> MediaPreferencesRead:
        row = await self.repository.preferences(user.id)
        if row is None:
            row = MediaPreferences(
                quality=1080, audio=["ru"], genres=[], notify_done=True, onboarded=False
            )
        return MediaPreferencesRead.model_validate(row, from_attributes=True)

    async def update_preferences(
        self, user: User, data: MediaPreferencesUpdate
    ) -> MediaPreferencesRead:
        values = data.model_dump(exclude_none=True)
        if "audio" in values:
            values["audio"] = list(dict.fromkeys(values["audio"]))
        if "genres" in values:
            values["genres"] = list(dict.fromkeys(g.lower() for g in values["genres"]))
        row = await self.repository.save_preferences(user.id, **values, onboarded=True)
        return MediaPreferencesRead.model_validate(row, from_attributes=True)

    async def release_preferences(self, user_id: int) -> ReleasePreferences:
        row = await self.repository.preferences(user_id)
        if row is None:
            return ReleasePreferences()
        return ReleasePreferences(
            quality=Quality(row.quality) if row.quality else None, audio=list(row.audio)
        )

    # --- connections ----------------------------------------------------------------------

    def _box(self) -> SecretBox:
        if self.config.box is None:
            raise Unavailable(
                "This deployment stores no media credentials (API_MEDIA_SECRET_KEYS is not set)"
            )
        return self.config.box

    def _open_secret(self, token: str) -> str:
        try:
            return self._box().open(token)
        except SecretUnreadable as exc:
            raise Unavailable("A stored credential cannot be read with the current keys") from exc

    def _indexer(self, row: MediaIndexer) -> TorznabIndexer:
        return TorznabIndexer(
            row.name,
            row.url,
            self._open_secret(row.apikey_secret),
            redis=self.redis,
            allowed=self.config.allowed,
            timeout=self.config.timeout_s,
        )

    def seedbox_config(self, row: MediaSeedbox) -> SeedboxConfig:
        password = self._open_secret(row.password_secret) if row.password_secret else None
        return SeedboxConfig(
            kind=SeedboxKind(row.kind),
            url=row.url,
            username=row.username,
            password=SecretStr(password) if password is not None else None,
            allow_private=row.on_my_lan,
            deluge_host_id=row.deluge_host_id,
        )

    async def indexers(self, user: User) -> Sequence[MediaIndexer]:
        return await self.repository.indexers(user.id)

    async def add_indexer(self, user: User, data: IndexerCreate) -> MediaIndexer:
        box = self._box()
        existing = await self.repository.indexers(user.id)
        if any(row.name == data.name for row in existing):
            raise Conflict(f"You have an indexer named {data.name!r}")
        if len(existing) >= MAX_INDEXERS:
            raise Conflict(f"You have {MAX_INDEXERS} indexers; delete one first")
        apikey = data.apikey.get_secret_value()
        indexer = TorznabIndexer(
            data.name,
            data.url,
            apikey,
            redis=self.redis,
            allowed=self.config.allowed,
            timeout=self.config.timeout_s,
        )
        try:
            async with indexer:
                await indexer.caps()
        except MediaError as exc:
            raise _test_failed(f"the indexer {data.name!r}", exc) from exc
        return await self.repository.add_indexer(user.id, data.name, data.url, box.seal(apikey))

    async def delete_indexer(self, user: User, indexer_id: int) -> None:
        if not await self.repository.delete_indexer(user.id, indexer_id):
            raise NotFound(f"You have no indexer {indexer_id}")

    async def seedboxes(self, user: User) -> Sequence[MediaSeedbox]:
        return await self.repository.seedboxes(user.id)

    async def add_seedbox(self, user: User, data: SeedboxCreate) -> MediaSeedbox:
        box = self._box()
        if len(await self.repository.seedboxes(user.id)) >= MAX_SEEDBOXES:
            raise Conflict(f"You have {MAX_SEEDBOXES} seedboxes; delete one first")
        config = SeedboxConfig(
            kind=SeedboxKind(data.kind),
            url=data.url,
            username=data.username,
            password=data.password,
            allow_private=data.on_my_lan,
            deluge_host_id=data.deluge_host_id,
        )
        try:
            async with open_seedbox(
                config, allowed=self.config.allowed, timeout=self.config.timeout_s
            ) as client:
                version = await client.test()
        except MediaError as exc:
            raise _test_failed(f"the {data.kind} seedbox", exc) from exc
        password = data.password.get_secret_value() if data.password else None
        row = MediaSeedbox(
            user_id=user.id,
            kind=data.kind,
            url=data.url,
            username=data.username,
            password_secret=box.seal(password) if password is not None else None,
            on_my_lan=data.on_my_lan,
            deluge_host_id=data.deluge_host_id,
            version=version[:100] if version else None,
        )
        return await self.repository.add_seedbox(row)

    async def delete_seedbox(self, user: User, seedbox_id: int) -> None:
        if not await self.repository.delete_seedbox(user.id, seedbox_id):
            raise NotFound(f"You have no seedbox {seedbox_id}")

    async def service_seedbox(self, user_id: int, seedbox_id: int) -> dict[str, object]:
        row = await self.repository.seedbox(user_id, seedbox_id)
        if row is None:
            raise NotFound(f"User {user_id} has no seedbox {seedbox_id}")
        return self.seedbox_config(row).service_payload()

    # --- history --------------------------------------------------------------------------

    async def watched(self, user: User) -> Sequence[MediaWatched]:
        return await self.repository.watched(user.id)

    async def mark_watched(self, user: User, data: WatchedCreate) -> None:
        """With TMDB configured, a TMDB id it does not know is refused (404); TMDB being
        away does not stop the person's rating."""
        if data.source == "tmdb" and self.config.tmdb_key:
            metadata = self.metadata()
            try:
                await metadata.details(
                    data.title_id, kind=MediaKind(data.kind), language=language_of(user)
                )
            except NoSuchTitle as exc:
                raise NotFound(f"TMDB has no {data.kind} {data.title_id}") from exc
            except MediaError:
                pass
            finally:
                await _aclose(metadata)
        await self.repository.mark_watched(
            user.id, data.source, data.title_id, data.kind, data.title, data.rating
        )

    async def rate_download(self, user: User, download_id: int, rating: int) -> MediaWatched:
        """Rate what a finished (or any) download of the person's was: the title it named
        goes to their history with the rating."""
        row = await self.downloads_repo.get_for_user(user.id, download_id)
        if row is None:
            raise NotFound(f"You have no download {download_id}")
        if row.title_id is None or row.title_kind is None:
            raise Conflict("This download names no title: rate the title from a search instead")
        name = title_of(row.name)
        if self.config.tmdb_key:
            metadata = self.metadata()
            try:
                details = await metadata.details(
                    row.title_id, kind=MediaKind(row.title_kind), language=language_of(user)
                )
                name = details.title
            except MediaError:
                pass  # the release's own name will do
            finally:
                await _aclose(metadata)
        return await self.repository.mark_watched(
            user.id, "tmdb", row.title_id, row.title_kind, name[:500], rating
        )

    async def history_seeds(self, user_id: int) -> tuple[list[Seen], list[str]]:
        """What recommendations read: the person's TMDB history and preferred genres."""
        rows = await self.repository.watched(user_id, limit=HISTORY_SEEDS)
        seen = [Seen(r.kind, r.title_id, r.title, r.rating) for r in rows if r.source == "tmdb"]
        prefs = await self.repository.preferences(user_id)
        return seen, list(prefs.genres) if prefs else []

    async def recommendations(self, user: User, limit: int) -> list[RecommendationRead]:
        history, genres = await self.history_seeds(user.id)
        metadata = self.metadata()
        try:
            return await recommend(metadata, language_of(user), history, genres, limit)
        except MediaError as exc:
            raise Unavailable(f"Recommendations failed: {exc}", code=SOURCE_FAILED) from exc
        finally:
            await _aclose(metadata)

    async def genres(self, user: User) -> list[GenreRead]:
        """TMDB's movie and series genres; ``key`` is the English name in lower case."""
        metadata = self.metadata()
        language = language_of(user)
        found: dict[int, GenreRead] = {}
        try:
            for kind in MediaKind:
                english = await metadata.genres(kind=kind, language=Language.EN)
                local = {g.id: g.name for g in await metadata.genres(kind=kind, language=language)}
                for genre in english:
                    found.setdefault(
                        genre.id,
                        GenreRead(
                            id=genre.id,
                            key=genre.name.lower()[:40],
                            name=local.get(genre.id) or genre.name,
                        ),
                    )
        except MediaError as exc:
            raise Unavailable(f"The genre list failed: {exc}", code=SOURCE_FAILED) from exc
        finally:
            await _aclose(metadata)
        return list(found.values())

    async def downloads(self, user: User, limit: int, offset: int) -> Sequence[MediaDownload]:
        return await self.downloads_repo.for_user(user.id, limit=limit, offset=offset)

    # --- titles and releases (the button flow) ---------------------------------------------

    def metadata(self) -> MetadataProvider:
        if not self.config.tmdb_key:
            raise Unavailable("No title metadata is configured (API_MEDIA_TMDB_KEY)")
        client = TmdbClient(
            self.config.tmdb_key, base_url=self.config.tmdb_url, allowed=self.config.allowed
        )
        return CachedMetadata(client, self.redis)

    async def titles(self, user: User, query: str) -> list[TitleRead]:
        metadata = self.metadata()
        try:
            page = await metadata.search(query, kind=SearchKind.MULTI, language=language_of(user))
        except MediaError as exc:
            raise Unavailable(f"The title search failed: {exc}", code=SOURCE_FAILED) from exc
        finally:
            await _aclose(metadata)
        return [
            TitleRead.model_validate(title.model_dump(mode="json")) for title in page.results[:10]
        ]

    async def releases(
        self,
        user: User,
        query: str,
        *,
        tmdb_id: int | None = None,
        kind: str = "movie",
        quality: int | None = None,
        exclude: str | None = None,
    ) -> list[ProposalRead]:
        rows = await self.repository.indexers(user.id)
        if not rows:
            raise Conflict("Connect an indexer first")
        request = SearchRequest(
            query=query[:200],
            type=SearchType.MOVIE if kind == "movie" else SearchType.TV,
            tmdb_id=tmdb_id,
            limit=50,
        )
        found: list[Release] = []
        failures: list[str] = []
        for row in rows:
            async with self._indexer(row) as indexer:
                try:
                    found.extend(await indexer.search(request))
                except MediaError as exc:
                    failures.append(f"{row.name}: {exc}")
        if not found and failures:
            raise Unavailable("; ".join(failures), code=SOURCE_FAILED)
        prefs = await self.release_preferences(user.id)
        if quality:
            prefs = prefs.model_copy(update={"quality": Quality(quality)})
        shown = [r for r in rank(found, prefs) if r.addable and r.guid != exclude]
        return [
            proposal_read(await self.proposals.save(user.id, release))
            for release in shown[:RELEASES_SHOWN]
        ]

    # --- Add / Other options / Cancel ------------------------------------------------------

    async def _proposal(self, user: User, token: str) -> Proposal:
        proposal = await self.proposals.get(user.id, token)
        if proposal is None:
            raise NotFound("This proposal has expired or is not yours")
        return proposal

    async def add(self, user: User, token: str, seedbox_id: int | None) -> AddResult:
        proposal = await self._proposal(user, token)
        release = proposal.release
        if seedbox_id is not None:
            row = await self.repository.seedbox(user.id, seedbox_id)
            if row is None:
                raise NotFound(f"You have no seedbox {seedbox_id}")
        else:
            boxes = await self.repository.seedboxes(user.id)
            row = boxes[0] if boxes else None
        if row is None:
            if not release.magnet:
                raise Conflict(
                    "This release has no magnet link: connect a seedbox or pick another release"
                )
            await self.proposals.drop(user.id, token)
            return AddResult(status="magnet", name=release.title, magnet=release.magnet)
        infohash = await self._send(user, row, release)
        download = await self.downloads_repo.record(
            user_id=user.id,
            seedbox_id=row.id,
            infohash=infohash,
            name=release.title,
            size=release.size,
            title_id=release.tmdb_id,
            title_kind=release_kind(release) if release.tmdb_id else None,
        )
        await self.proposals.drop(user.id, token)
        return AddResult(
            status="added", download_id=download.id, seedbox_id=row.id, name=release.title
        )

    async def _send(self, user: User, row: MediaSeedbox, release: Release) -> str:
        async with AsyncExitStack() as stack:
            try:
                client = await stack.enter_async_context(
                    open_seedbox(
                        self.seedbox_config(row),
                        allowed=self.config.allowed,
                        timeout=self.config.timeout_s,
                    )
                )
                if release.magnet:
                    return await client.add(release.magnet)
                indexer_row = next(
                    (
                        i
                        for i in await self.repository.indexers(user.id)
                        if i.name == release.indexer
                    ),
                    None,
                )
                if indexer_row is None:
                    raise Conflict("The indexer of this release is no longer connected")
                indexer = await stack.enter_async_context(self._indexer(indexer_row))
                torrent = await indexer.fetch_torrent(release)
                return await client.add_file(torrent)
            except AuthFailed as exc:
                raise Invalid(f"Your seedbox refused the stored credentials: {exc}") from exc
            except MediaError as exc:
                raise Unavailable(
                    f"Your seedbox did not take the torrent: {exc}", code=SOURCE_FAILED
                ) from exc

    async def other(self, user: User, token: str) -> list[ProposalRead]:
        proposal = await self._proposal(user, token)
        await self.proposals.drop(user.id, token)
        release = proposal.release
        return await self.releases(
            user, release_query(release), tmdb_id=release.tmdb_id, exclude=release.guid
        )

    async def cancel(self, user: User, token: str) -> None:
        await self._proposal(user, token)
        await self.proposals.drop(user.id, token)

    # --- the conversation's sources -----------------------------------------------------------

    async def sources(self, user: User) -> AbstractAsyncContextManager[MediaSources]:
        """The person's sources for one turn, as a context that opens their clients. Everything
        is read from the database here: nothing touches it while the turn streams."""
        indexers = [
            (row.name, row.url, self._open_secret(row.apikey_secret))
            for row in await self.repository.indexers(user.id)
        ]
        boxes = await self.repository.seedboxes(user.id)
        seedbox = self.seedbox_config(boxes[0]) if boxes else None
        prefs = await self.release_preferences(user.id)
        history, genres = await self.history_seeds(user.id)
        return self._open_sources(
            user.id, language_of(user), indexers, seedbox, prefs, history, genres
        )

    @asynccontextmanager
    async def _open_sources(
        self,
        user_id: int,
        language: Language,
        indexer_specs: list[tuple[str, str, str]],
        seedbox_config: SeedboxConfig | None,
        prefs: ReleasePreferences,
        history: list[Seen],
        genres: list[str],
    ) -> AsyncIterator[MediaSources]:
        metadata = self.metadata() if self.config.tmdb_key else cast(MetadataProvider, NoMetadata())
        async with AsyncExitStack() as stack:
            stack.push_async_callback(_aclose, metadata)
            indexers = [
                await stack.enter_async_context(
                    TorznabIndexer(
                        name,
                        url,
                        apikey,
                        redis=self.redis,
                        allowed=self.config.allowed,
                        timeout=self.config.timeout_s,
                    )
                )
                for name, url, apikey in indexer_specs
            ]
            seedbox = None
            if seedbox_config is not None:
                seedbox = await stack.enter_async_context(
                    open_seedbox(
                        seedbox_config, allowed=self.config.allowed, timeout=self.config.timeout_s
                    )
                )
            yield MediaSources(
                user_id=user_id,
                metadata=metadata,
                indexers=indexers,
                seedbox=seedbox,
                proposals=self.proposals,
                prefs=prefs,
                language=language,
                history=history,
                genres=genres,
            )


def language_of(user: User) -> Language:
    return Language.EN if (user.language or "ru") == "en" else Language.RU


async def _aclose(metadata: object) -> None:
    inner = getattr(metadata, "provider", metadata)
    close = getattr(inner, "aclose", None)
    if close is not None:
        await close()


class NoMetadata:
    """No TMDB key configured: every title call says so (the tools pass it on)."""

    async def search(self, *args: object, **kwargs: object) -> object:
        raise MediaError("no title metadata is configured")

    async def details(self, *args: object, **kwargs: object) -> object:
        raise MediaError("no title metadata is configured")

    async def recommendations(self, *args: object, **kwargs: object) -> object:
        raise MediaError("no title metadata is configured")

    async def images(self, *args: object, **kwargs: object) -> object:
        raise MediaError("no title metadata is configured")

    async def genres(self, *args: object, **kwargs: object) -> object:
        raise MediaError("no title metadata is configured")

    async def discover(self, *args: object, **kwargs: object) -> object:
        raise MediaError("no title metadata is configured")
