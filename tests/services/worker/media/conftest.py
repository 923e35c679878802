"""The download watcher in-process against the sandbox's seedboxes (a process, over real
HTTP) and the real api (ASGI, for the outbox), on a committed database of its own: the
watcher opens its own transactions, as in production."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text

from concierge.api.main import create_app as create_api
from concierge.api.settings import ApiSettings
from concierge.common.http_client import ServiceClient
from concierge.common.safe_http import host_port
from concierge.db import Database
from concierge.domain.media.downloads.repository import DownloadRepository
from concierge.embedded import EmbeddedPostgres, ServiceProcess
from concierge.media.seedbox import SeedboxConfig, SeedboxKind, open_seedbox
from concierge.streams import JobQueue
from concierge.worker.media.watcher import DownloadWatcher
from concierge.worker.settings import WorkerSettings
from tests.support.infra import emptied_database, migrated_database, worker_name
from tests.support.media import media_sandbox_process

SERVICE_TOKEN = "test-service-token-0123456789"
TABLES = "media_downloads, outbox, users"


@pytest.fixture(scope="session")
def media_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with media_sandbox_process(tmp_path_factory.mktemp("media-sandbox")) as process:
        yield process


@pytest.fixture(scope="session")
def media_database_url(postgres: EmbeddedPostgres) -> str:
    return migrated_database(postgres, f"media_{worker_name()}")


@pytest.fixture
async def database(media_database_url: str) -> AsyncIterator[Database]:
    async with emptied_database(media_database_url, TABLES) as database:
        yield database


@dataclass
class Directory:
    """The person's seedbox connections, as the media desk's api would hand them over."""

    boxes: dict[tuple[int, int], SeedboxConfig] = field(default_factory=dict)
    asked: int = 0

    async def config(self, user_id: int, seedbox_id: int) -> SeedboxConfig | None:
        self.asked += 1
        return self.boxes.get((user_id, seedbox_id))


@dataclass
class World:
    database: Database
    service: ServiceClient
    directory: Directory
    sandbox: ServiceProcess
    control: httpx.AsyncClient

    def settings(self, **values: Any) -> WorkerSettings:
        defaults: dict[str, Any] = {
            "service_token": SecretStr(SERVICE_TOKEN),
            "media_allowed_private_hosts": frozenset({host_port("127.0.0.1", self.sandbox.port)}),
            "media_check_every_s": 0.1,
        }
        return WorkerSettings(**{**defaults, **values})

    def watcher(self, **settings: Any) -> DownloadWatcher:
        return DownloadWatcher(
            self.database, self.settings(**settings), api=self.service, directory=self.directory
        )

    def seedbox(
        self,
        user_id: int,
        seedbox_id: int,
        instance: str,
        password: str = "sandbox",  # noqa: S107 (the stand-in's)
    ) -> SeedboxConfig:
        kind = SeedboxKind(instance.split("/")[0])
        config = SeedboxConfig(
            kind=kind,
            url=f"{self.sandbox.url}/media/{instance}",
            username=None if kind is SeedboxKind.DELUGE else "admin",
            password=SecretStr(password),
        )
        self.directory.boxes[(user_id, seedbox_id)] = config
        return config

    async def person(self, telegram_id: int, language: str = "en") -> int:
        async with self.database.transaction() as session:
            user_id = await session.scalar(
                text(
                    "INSERT INTO users (telegram_id, first_name, language, role, status) "
                    "VALUES (:t, 'P', :l, 'user', 'active') RETURNING id"
                ),
                {"t": telegram_id, "l": language},
            )
        assert user_id is not None
        return int(user_id)

    async def connection(self, user_id: int, seedbox_id: int) -> None:
        """The person's seedbox connection row the download points at (its credentials
        come from the directory above, as the api's service call would give them)."""
        async with self.database.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO media_seedboxes (id, user_id, kind, url) "
                    "VALUES (:id, :u, 'transmission', 'http://seedbox.invalid') "
                    "ON CONFLICT (id) DO NOTHING"
                ),
                {"id": seedbox_id, "u": user_id},
            )

    async def add(
        self, user_id: int, seedbox_id: int, magnet: str, name: str, title_id: int | None = None
    ) -> int:
        """What the media desk does on Add: the seedbox takes it, the row is recorded."""
        await self.connection(user_id, seedbox_id)
        config = self.directory.boxes[(user_id, seedbox_id)]
        async with open_seedbox(config, allowed=self.settings().media_allowed_private_hosts) as box:
            infohash = await box.add(magnet)
        async with self.database.transaction() as session:
            row = await DownloadRepository(session).record(
                user_id=user_id,
                seedbox_id=seedbox_id,
                infohash=infohash,
                name=name,
                title_id=title_id,
                title_kind="movie" if title_id else None,
            )
            return row.id

    async def outbox(self) -> list[dict[str, Any]]:
        async with self.database.transaction() as session:
            rows = await session.execute(
                text("SELECT dedup_key, chat_id, kind, payload FROM outbox ORDER BY id")
            )
            return [dict(r._mapping) for r in rows]

    async def download(self, download_id: int) -> dict[str, Any]:
        async with self.database.transaction() as session:
            row = (
                await session.execute(
                    text("SELECT * FROM media_downloads WHERE id = :id"), {"id": download_id}
                )
            ).first()
            assert row is not None
            return dict(row._mapping)


@pytest.fixture
async def world(
    database: Database, redis: Redis, media_sandbox: ServiceProcess
) -> AsyncIterator[World]:
    api = create_api(ApiSettings(service_token=SecretStr(SERVICE_TOKEN)))
    api.state.database, api.state.redis = database, redis
    api.state.jobs = JobQueue(redis, api.state.settings.jobs_stream)
    service = ServiceClient(
        "http://api", SERVICE_TOKEN, transport=httpx.ASGITransport(app=api), attempts=1
    )
    async with httpx.AsyncClient(
        base_url=f"{media_sandbox.url}/sandbox/media", timeout=10
    ) as control:
        (await control.post("/reset")).raise_for_status()
        yield World(database, service, Directory(), media_sandbox, control)
    await service.aclose()
