"""The whole product in containers, built and run from docker-compose.yml: `make compose-test`.

Every image is built (services/Dockerfile for api, bot, worker and sandbox; nginx with
the Mini App), the `sandbox` profile is started with podman-compose, and the stack is
used the way a person would use it: through nginx on its published port, through the
sandbox's chat, by killing a container, by stopping and starting it all again. Figures
(build and start times, image sizes, stop times) are printed and written to
test-artifacts/compose/figures.txt; every container's log to test-artifacts/compose/.
Everything the project created (containers, network, volumes) is removed at the end,
also when a test fails; the images stay, as the build cache.

Not part of `make test`: pytest collects test_*.py, and infra/compose-test.sh names this
file. It needs root, podman, podman-compose and, where no registry is reachable, the
stand-in base images (infra/compose-test.sh sees to all three). Where this machine has
torch's CPU wheel on disk (pip's find-links), the worker's build gets it from a PEP 503
index served here, with the build on the host's network; elsewhere it comes from the
PyTorch index the Dockerfile names.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from PIL import Image

from concierge.bot.main import SECRET_HEADER
from concierge.common.settings import SANDBOX_BOT_TOKEN
from concierge.sandbox.telegram.webapp import build_init_data
from tests.deploy.compose_project import (
    ComposeProject,
    Container,
    HealthChecks,
    podman,
    report,
)
from tests.deploy.shipped import ROOT, env_example

pytestmark = pytest.mark.timeout(3600)

PROJECT = "concierge-compose-test"
# Not the compose file's default, so a stack a developer runs here is left alone.
SUBNET, IP_RANGE, NGINX_ADDRESS = "10.231.68.0/24", "10.231.68.0/25", "10.231.68.250"
BUILT = ("sandbox", "userbot", "avito", "bot", "api", "worker", "nginx")  # the smaller first
ARTIFACTS = ROOT / "test-artifacts" / "compose"
MIGRATIONS = ROOT / "services" / "api" / "concierge" / "api" / "migrations"
USER_ID = 610_001  # talks to the bot
SELLER_ID = 610_002  # sells through the Mini App
RATE_LIMIT_PER_MINUTE = 60
TORCH_INDEX_PORT = 47811
KILLED_BY_SIGKILL = 137


@dataclass
class Stack:
    project: ComposeProject
    env: dict[str, str]
    http: str  # nginx, as browsers and Telegram reach it
    sandbox: str  # the sandbox's published port
    kept: dict[str, Any] = field(default_factory=dict)  # what later tests check again


def figure(line: str) -> None:
    report(line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "figures.txt").open("a") as figures:
        figures.write(line + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))  # noqa: S104 (the published port listens on all addresses)
        return int(sock.getsockname()[1])


def stack_env(http_port: int, sandbox_port: int) -> dict[str, str]:
    """.env.example as a person fills it in: every change-me replaced, our own ports."""
    env = env_example(commented=False)
    for name, value in env.items():
        if value == "change-me":
            env[name] = secrets.token_hex(16)
    env.update(
        PUBLIC_URL=f"http://localhost:{http_port}",
        HTTP_PORT=str(http_port),
        SANDBOX_HOST_PORT=str(sandbox_port),
        SANDBOX_PUBLIC_URL=f"http://localhost:{sandbox_port}",
        COMPOSE_SUBNET=SUBNET,
        COMPOSE_IP_RANGE=IP_RANGE,
        NGINX_ADDRESS=NGINX_ADDRESS,
        API_RATE_LIMIT_PER_IP=f"{RATE_LIMIT_PER_MINUTE}/minute",
    )
    return env


def local_torch_wheel() -> Path | None:
    """torch's wheel at the pinned version, where pip's find-links has it on this machine."""
    pin = re.search(r"^torch==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    if pin is None:
        return None
    config = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    folders = re.findall(r"find-links='([^']+)'", config)
    folders += os.environ.get("PIP_FIND_LINKS", "").split()
    for folder in folders:
        for wheel in sorted(Path(folder).glob(f"torch-{pin[1]}*-cp311-*.whl")):
            return wheel
    return None


@contextlib.contextmanager
def torch_index() -> Iterator[tuple[dict[str, str], tuple[str, ...]]]:
    """(env, podman build options) giving the worker's build this machine's torch wheel."""
    wheel = local_torch_wheel()
    if wheel is None:
        yield {}, ()
        return
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "torch").mkdir()
        (Path(folder) / "torch" / wheel.name).symlink_to(wheel)
        link = wheel.name.replace("+", "%2B")
        page = f'<!DOCTYPE html><html><body><a href="{link}">{wheel.name}</a></body></html>\n'
        (Path(folder) / "torch" / "index.html").write_text(page)
        handler = partial(QuietHandler, directory=folder)
        with index_server(handler) as server:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            report(f"torch for the worker image: {wheel.name}, served from this machine")
            try:
                yield (
                    {"TORCH_INDEX_URL": f"http://127.0.0.1:{server.server_port}/"},
                    ("--podman-build-args=--network=host",),
                )
            finally:
                server.shutdown()


def index_server(handler: Callable[..., SimpleHTTPRequestHandler]) -> ThreadingHTTPServer:
    """On TORCH_INDEX_PORT when it is free: the index URL is a build argument, and the
    same URL keeps the worker's dependency layer cached from one run to the next."""
    try:
        return ThreadingHTTPServer(("127.0.0.1", TORCH_INDEX_PORT), handler)
    except OSError:
        report(f"port {TORCH_INDEX_PORT} is taken: the worker's dependencies are reinstalled")
        return ThreadingHTTPServer(("127.0.0.1", 0), handler)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def image_sizes() -> dict[str, int]:
    sizes = {}
    for service in BUILT:
        size = podman("image", "inspect", "--format", "{{.Size}}", f"concierge/{service}")
        sizes[service] = int(size.strip())
    return sizes


def save_logs(project: ComposeProject) -> None:
    folder = ARTIFACTS / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for service in project.services():
        with contextlib.suppress(Exception):
            (folder / f"{service}.log").write_text(project.logs(service))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if ARTIFACTS.exists():
        for old in [*ARTIFACTS.glob("*.log"), *ARTIFACTS.glob("*.txt")]:
            old.unlink()
    http_port, sandbox_port = free_port(), free_port()
    with torch_index() as (torch_env, build_options):
        env = {**stack_env(http_port, sandbox_port), **torch_env}
        env_file = tmp_path_factory.mktemp("compose") / "env"
        env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
        project = ComposeProject(PROJECT, env_file, ("sandbox",), ARTIFACTS, build_options)
        project.remove_everything()  # what a killed run may have left
        try:
            with HealthChecks(project).running():
                took = {}
                for service in BUILT:
                    took[service] = project.build(service)
                    figure(f"build concierge/{service}: {took[service]:.0f} s")
                figure(f"build of all {len(BUILT)} images: {sum(took.values()):.0f} s")
                for service, size in image_sizes().items():
                    figure(f"image concierge/{service}: {size / 1e6:.0f} MB")
                started_s = project.up()
                figure(f"start (up -d until every healthcheck is healthy): {started_s:.0f} s")
                yield Stack(
                    project,
                    env,
                    f"http://localhost:{http_port}",
                    f"http://127.0.0.1:{sandbox_port}",
                )
        finally:
            save_logs(project)
            project.remove_everything()
    leftovers = project.leftovers()
    assert leftovers == {"containers": [], "volumes": [], "networks": []}


# --- helpers -------------------------------------------------------------------------------


def eventually(check: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.5) -> Any:
    """The first truthy result of check(), or an AssertionError naming what was awaited."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def podman_time(text: str) -> datetime:
    """Podman's timestamps (nanoseconds, Z or an offset) as an aware datetime."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", text)
    assert match, text
    fraction = (match[2] or ".0")[:7]
    zone = "+00:00" if match[3] in (None, "Z") else match[3]
    return datetime.fromisoformat(f"{match[1]}{fraction}{zone}")


def psql(stack: Stack, sql: str) -> str:
    user, database = stack.env["POSTGRES_USER"], stack.env["POSTGRES_DB"]
    return stack.project.exec("postgres", "psql", "-U", user, "-d", database, "-tAc", sql).strip()


def bot_messages(stack: Stack, chat_id: int) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.sandbox}/sandbox/chats/{chat_id}/messages", timeout=10)
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return [m for m in response.json() if m["from"] == "bot"]


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def post_update(stack: Stack, update_id: int, command: str) -> httpx.Response:
    """A command from USER_ID, posted to nginx's /tg/webhook as Telegram posts it."""
    user = {"id": USER_ID, "is_bot": False, "first_name": "Ann", "language_code": "en"}
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000,
            "date": int(time.time()),
            "chat": {"id": USER_ID, "type": "private", "first_name": "Ann"},
            "from": user,
            "text": command,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }
    secret = {SECRET_HEADER: stack.env["BOT_WEBHOOK_SECRET"]}
    return httpx.post(f"{stack.http}/tg/webhook", json=update, headers=secret, timeout=10)


def sign_in(client: httpx.Client, telegram_id: int) -> None:
    """A Mini App session, signed in with sandbox-signed launch data."""
    user = {"id": telegram_id, "first_name": "Seller", "language_code": "en"}
    init_data = build_init_data(SANDBOX_BOT_TOKEN, user)
    response = client.post("/api/v1/auth/telegram", headers={"Authorization": f"tma {init_data}"})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def long_running(stack: Stack) -> list[str]:
    return sorted(set(stack.project.services()) - stack.project.one_shots())


# --- the tests, in the order a person would go ---------------------------------------------


class TestStart:
    def test_migrate_ran_once_and_the_services_waited_for_it(self, stack: Stack) -> None:
        migrate = stack.project.container("migrate")
        assert (migrate.status, migrate.exit_code, migrate.restarts) == ("exited", 0, 0)
        assert stack.project.logs("migrate").count("database is at the latest revision") == 1
        assert "Running upgrade" in stack.project.logs("migrate")
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert psql(stack, "SELECT version_num FROM alembic_version") == head
        migrated = podman_time(migrate.finished_at)
        for service in ("api", "bot", "worker"):
            for container in stack.project.containers(service):
                assert podman_time(container.started_at) > migrated, container.name

    def test_every_healthcheck_turns_healthy(self, stack: Stack) -> None:
        for service in long_running(stack):
            assert stack.project.has_healthcheck(service), service
            for container in stack.project.containers(service):
                assert (container.status, container.health) == ("running", "healthy"), service


class TestThroughNginx:
    def test_start_posted_to_tg_reaches_the_bot_and_the_chat_gets_the_menu(
        self, stack: Stack
    ) -> None:
        created = httpx.post(
            f"{stack.sandbox}/sandbox/users",
            json={"ids": [USER_ID], "first_name": "Ann", "language_code": "en"},
            timeout=10,
        )
        assert created.status_code == 200, created.text
        answer = post_update(stack, 900_000_001, "/start")
        assert answer.status_code == 200, answer.text
        (menu,) = eventually(lambda: bot_messages(stack, USER_ID), 30, "the bot's menu")
        assert "menu:help" in buttons(menu)

    def test_a_wrong_webhook_secret_is_refused(self, stack: Stack) -> None:
        wrong = {SECRET_HEADER: "not-the-secret"}
        answer = httpx.post(f"{stack.http}/tg/webhook", json={}, headers=wrong, timeout=10)
        assert answer.status_code in (401, 403)

    def test_api_docs(self, stack: Stack) -> None:
        docs = httpx.get(f"{stack.http}/api/docs", timeout=10)
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        schema = httpx.get(f"{stack.http}/api/openapi.json", timeout=10)
        assert "/api/v1/listings" in schema.json()["paths"]

    def test_the_mini_app(self, stack: Stack) -> None:
        page = httpx.get(f"{stack.http}/app/", timeout=10)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        scripts = re.findall(r'src="(/app/assets/[^"]+\.js)"', page.text)
        assert scripts, page.text
        script = httpx.get(f"{stack.http}{scripts[0]}", timeout=10)
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]

    def test_a_listing_photo_goes_to_the_stacks_storage_and_back(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.http, timeout=30) as seller:
            sign_in(seller, SELLER_ID)
            new = {"title": "A bicycle", "category": "hobby", "price": 100, "city": "Moscow"}
            listing = seller.post("/api/v1/listings", json=new)
            assert listing.status_code == 201, listing.text
            listing_id = listing.json()["id"]
            ticket = seller.post(f"/api/v1/listings/{listing_id}/photos")
            assert ticket.status_code == 201, ticket.text
            form = ticket.json()
            bucket = stack.env.get("STORAGE_S3_BUCKET", "media")
            assert form["url"].startswith(f"{stack.http}/{bucket}"), form["url"]

            upload = httpx.post(
                form["url"],
                data=form["fields"],
                files={"file": ("photo.jpg", jpeg(640, 480), "image/jpeg")},
                timeout=30,
            )
            assert upload.status_code in (200, 201, 204), upload.text

            complete = f"/api/v1/listings/{listing_id}/photos/{form['photo_id']}/complete"

            def thumbnail_made() -> dict[str, Any] | None:
                response = seller.post(complete)
                assert response.status_code == 200, response.text
                photo: dict[str, Any] = response.json()
                return photo if photo["ready"] else None

            photo = eventually(thumbnail_made, 90, "the worker's thumbnail", every_s=3)
        assert (photo["width"], photo["height"]) == (640, 480)
        for url in (photo["url"], photo["thumbnail_url"]):
            assert url.startswith(f"{stack.http}/{bucket}/"), url
            image = httpx.get(url, timeout=30)
            assert image.status_code == 200, image.text
            assert Image.open(io.BytesIO(image.content)).format in ("JPEG", "WEBP", "PNG")
        stack.kept["photo"] = (photo["url"], httpx.get(photo["url"], timeout=30).content)


class TestClientAddresses:
    """Only nginx's X-Forwarded-For counts (FORWARDED_ALLOW_IPS = NGINX_ADDRESS): the api's
    per-IP limit is kept per real client, and nobody else can pick their address."""

    SPOOF = """
import urllib.error, urllib.request
codes = []
for n in range({count}):
    claimed = f"198.51.100.{{n % 250 + 1}}"
    request = urllib.request.Request(
        "http://api:8000/api/v1/listings", headers={{"X-Forwarded-For": claimed}}
    )
    try:
        codes.append(urllib.request.urlopen(request, timeout=5).status)
    except urllib.error.HTTPError as exc:
        codes.append(exc.code)
print(" ".join(map(str, codes)))
"""

    def test_forwarded_for_from_another_container_is_ignored(self, stack: Stack) -> None:
        # Another container on the network (the sandbox's) claims a new address each time;
        # the api counts every call against the container's own.
        script = self.SPOOF.format(count=RATE_LIMIT_PER_MINUTE + 10)
        codes = stack.project.exec("sandbox", "python", "-c", script).split()
        assert set(codes) <= {"401", "429"}, codes
        assert "429" in codes

    def test_nginx_names_the_client_and_is_not_the_client(self, stack: Stack) -> None:
        with httpx.Client(base_url=stack.http, timeout=10) as client:
            codes = [
                client.get("/api/v1/listings").status_code
                for _ in range(RATE_LIMIT_PER_MINUTE + 10)
            ]
        assert "429" in map(str, codes), codes
        # The calls counted against the address nginx saw (this machine, through the
        # published port), not against nginx: nginx's own calls still go through.
        seen = stack.project.exec(
            "nginx", "sh", "-c", "wget -S -O /dev/null http://api:8000/api/v1/listings 2>&1 || true"
        )
        status = re.findall(r"HTTP/1\.1 (\d{3})", seen)
        assert status == ["401"], seen


class TestImages:
    @pytest.mark.parametrize("service", BUILT)
    def test_runs_as_a_numeric_non_root_user(self, stack: Stack, service: str) -> None:
        user = podman("image", "inspect", "--format", "{{.Config.User}}", f"concierge/{service}")
        assert re.fullmatch(r"[1-9]\d*:\d+", user.strip()), user
        for container in stack.project.containers(service):
            status = podman("exec", container.name, "cat", "/proc/1/status")
            uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.MULTILINE)
            assert uids, status
            assert "0" not in (uids[1], uids[2]), status

    @pytest.mark.parametrize("service", BUILT)
    def test_holds_no_compilers_or_caches(self, stack: Stack, service: str) -> None:
        look = (
            "for tool in gcc cc c++ g++ clang make; do command -v $tool; done; "
            "ls -d /root/.cache/* /home/*/.cache/* /root/.npm /var/lib/apt/lists/*_Packages "
            "/var/cache/apt/archives/*.deb /var/cache/apk/*.tar.gz /tmp/* 2>/dev/null; true"
        )
        found = podman(
            "run", "--rm", "--user", "0", "--entrypoint", "sh", f"concierge/{service}", "-c", look
        )
        assert found.split() == [], found

    def test_the_worker_embeds_on_the_engine_its_build_made(self, stack: Stack) -> None:
        """libs/embedding's engine, built in the builder stage, loads in the runtime image
        (which has no compiler: its OpenMP runtime came along in the venv)."""
        embed = (
            "from concierge.embedding import EmbeddingSpec, load_embedder; "
            "model = load_embedder(EmbeddingSpec()); "
            "print(model.engine.name, model.encode_queries(['снять квартиру']).shape)"
        )
        found = podman("run", "--rm", "--entrypoint", "python", "concierge/worker", "-c", embed)
        name, shape = found.strip().splitlines()[-1].split(" ", 1)
        assert name.startswith("_e5_engine"), found
        assert shape == "(1, 384)", found

    def test_sizes_are_within_the_readme_budgets(self, stack: Stack) -> None:
        readme = (ROOT / "README.md").read_text()
        budgets = {
            name: int(mb) * 1_000_000
            for name, mb in re.findall(r"^\| `concierge/(\w+)` \| (\d+) MB \|", readme, re.M)
        }
        assert set(budgets) == set(BUILT)
        sizes = image_sizes()
        over = {s: f"{sizes[s] / 1e6:.0f} MB" for s in BUILT if sizes[s] > budgets[s]}
        assert over == {}, over


class TestFailures:
    def test_a_killed_bot_restarts_and_answers_what_was_sent_meanwhile(self, stack: Stack) -> None:
        before = stack.project.container("bot")
        answered = len(bot_messages(stack, USER_ID))
        os.kill(before.pid, signal.SIGKILL)  # a crash, not a stop: the restart policy applies
        sent = httpx.post(
            f"{stack.sandbox}/sandbox/users/{USER_ID}/messages",
            json={"text": "/help", "first_name": "Ann", "language_code": "en"},
            timeout=10,
        )
        assert sent.status_code == 200, sent.text

        def restarted_bot() -> Container | None:
            bot = stack.project.container("bot")
            return bot if bot.restarts > before.restarts and bot.status == "running" else None

        restarted = eventually(restarted_bot, 60, "the bot's restart")
        assert restarted.pid != before.pid
        eventually(lambda: len(bot_messages(stack, USER_ID)) > answered, 120, "the bot's answer")
        figure(f"bot after kill -9: restarted ({restarted.restarts} restart), update answered")
        # nginx still finds the restarted bot.
        answered = len(bot_messages(stack, USER_ID))
        answer = post_update(stack, 900_000_002, "/help")
        assert answer.status_code == 200, answer.text
        eventually(lambda: len(bot_messages(stack, USER_ID)) > answered, 30, "the answer via nginx")


class TestLifecycle:
    def test_every_service_stops_on_its_own_before_the_kill(self, stack: Stack) -> None:
        # Something for the next test to find in Redis's append-only file.
        stack.project.exec("redis", "redis-cli", "SET", "compose-test:kept", "yes")
        slow = {}
        for service in stack.project.stop_order():  # dependents first, as compose stops
            elapsed, exit_code = stack.project.stop(service)
            figure(f"stop {service}: {elapsed:.1f} s, exit code {exit_code}")
            if elapsed >= 9 or exit_code == KILLED_BY_SIGKILL:
                slow[service] = (round(elapsed, 1), exit_code)
        assert slow == {}  # each one left on its stop signal, before stop_grace_period (9 s)

    def test_down_then_up_keeps_the_data(self, stack: Stack) -> None:
        volumes = stack.project.volumes()
        assert len(volumes) >= 3, volumes
        stack.project.down(volumes=False)
        assert stack.project.container_names() == []
        assert stack.project.volumes() == volumes
        started_s = stack.project.up()
        figure(f"start again on the kept volumes: {started_s:.0f} s")
        # Postgres: the user who pressed /start and the seller's listing.
        users = f"SELECT count(*) FROM users WHERE telegram_id = {USER_ID:d}"  # noqa: S608
        assert psql(stack, users) == "1"
        assert psql(stack, "SELECT count(*) FROM listings WHERE title = 'A bicycle'") == "1"
        # Redis: the append-only file.
        assert stack.project.exec("redis", "redis-cli", "GET", "compose-test:kept").strip() == "yes"
        # The photo storage, through nginx.
        url, content = stack.kept["photo"]
        image = httpx.get(url, timeout=30)
        assert image.status_code == 200
        assert image.content == content
        # The migration did not run again: the schema was already there.
        assert stack.project.container("migrate").exit_code == 0
        assert "Running upgrade" not in stack.project.logs("migrate")
