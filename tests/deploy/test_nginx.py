"""The shipped nginx config, run by a real nginx in front of the real services.

The template is rendered the way the nginx image renders it, with local upstream
addresses instead of the compose service names, and served on a free port. nginx
comes from the Debian package (CI installs it); its pid, logs and temp files stay in
the test's scratch folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, wait_for_http
from tests.deploy.shipped import render_nginx
from tests.support.infra import migrated_database
from tests.support.stack import SERVICE_TOKEN, WEBHOOK_SECRET, Stack

DEPLOY_REDIS_DB = 2  # other tests flush db 0 and the e2e stack uses db 1
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NGINX_NOT_FOUND = {"detail": "Not Found", "status_code": 404}
NGINX_TOO_LARGE = {"detail": "Request body is too large", "status_code": 413}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")

# Stands in for the nginx image's own nginx.conf, which includes conf.d/*.conf in http {}.
MAIN_CONFIG = """\
{user}
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log notice;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {home}/temp/client_body;
    proxy_temp_path {home}/temp/proxy;
    fastcgi_temp_path {home}/temp/fastcgi;
    uwsgi_temp_path {home}/temp/uwsgi;
    scgi_temp_path {home}/temp/scgi;
    include {home}/conf.d/*.conf;
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail("nginx is not installed: run `apt-get install -y nginx` (.ci/run does)")
    return found


@dataclass
class Nginx:
    binary: str
    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return [self.binary, "-p", str(self.home), "-c", str(self.home / "nginx.conf")]

    @property
    def access_log(self) -> Path:
        return self.home / "stdout.log"

    def write_config(self, stack: Stack) -> None:
        """The shipped template, with what compose sets replaced by local addresses."""
        (self.home / "conf.d").mkdir(parents=True)
        (self.home / "temp").mkdir()
        rendered = render_nginx(
            {
                "NGINX_PORT": f"127.0.0.1:{self.port}",
                "NGINX_API_UPSTREAM": f"127.0.0.1:{stack.ports['api']}",
                "NGINX_BOT_UPSTREAM": f"127.0.0.1:{stack.ports['bot']}",
                "NGINX_WEB_ROOT": str(self.home / "www"),
            }
        )
        (self.home / "conf.d" / "default.conf").write_text(rendered)
        # As root, workers would run as "nobody" and could not read the scratch folder.
        user = "user root;" if os.geteuid() == 0 else ""
        (self.home / "nginx.conf").write_text(MAIN_CONFIG.format(user=user, home=self.home))

    def write_mini_app(self) -> None:
        app = self.home / "www" / "app"
        (app / "assets").mkdir(parents=True)
        (app / "index.html").write_text("<!doctype html><title>Concierge</title>")
        (app / "assets" / "index-3f2a1b.js").write_text("console.log('concierge');\n" * 200)


@pytest.fixture(scope="module")
def stack(
    postgres: EmbeddedPostgres, redis_server: EmbeddedRedis, scratch: Path
) -> Iterator[Stack]:
    running = Stack(
        migrated_database(postgres, "deploy"),
        f"{redis_server.url}?db={DEPLOY_REDIS_DB}",
        scratch / "deploy-logs",
    )
    try:
        try:
            running.start()
        except (RuntimeError, TimeoutError) as exc:
            logs = "\n".join(f"--- {s}\n{running.log_text(s)[-3000:]}" for s in running.processes)
            pytest.fail(f"the services did not start: {exc}\n{logs}")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def nginx(stack: Stack, scratch: Path) -> Iterator[Nginx]:
    server = Nginx(nginx_binary(), scratch / "nginx", free_port())
    server.write_config(stack)
    server.write_mini_app()
    with server.access_log.open("wb") as output:
        process = subprocess.Popen(
            [*server.command, "-g", "daemon off;"], stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for_http(f"{server.url}/health", 10, process)
            yield server
        finally:
            process.send_signal(signal.SIGQUIT)  # graceful, as `docker stop` does
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def client(nginx: Nginx) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=nginx.url, timeout=10) as http:
        yield http


def logged_request_ids(text: str) -> set[str]:
    ids = set()
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("request_id"):
            ids.add(entry["request_id"])
    return ids


def wait_for_log(read: Callable[[], str], request_id: str, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if request_id in logged_request_ids(read()):
            return True
        time.sleep(0.05)
    return False


class TestConfig:
    def test_nginx_accepts_the_rendered_config(self, nginx):
        check = subprocess.run([*nginx.command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        assert "test is successful" in check.stderr

    def test_every_template_variable_was_filled_in(self, nginx):
        rendered = (nginx.home / "conf.d" / "default.conf").read_text()
        assert "${" not in rendered


class TestApi:
    def test_v1_reaches_the_api(self, client):
        response = client.get("/api/v1/users/1")
        assert response.status_code == 401
        assert response.json() == {"detail": "Missing or wrong service token", "status_code": 401}

    def test_headers_and_body_reach_the_api(self, client):
        response = client.post(
            "/api/v1/users",
            json={"telegram_id": 7_770_001, "first_name": "Nginx"},
            headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
        )
        assert response.status_code == 200, response.text
        assert response.json()["telegram_id"] == 7_770_001

    def test_docs(self, client):
        docs = client.get("/api/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        schema = client.get("/api/openapi.json")
        assert schema.status_code == 200
        assert "/api/v1/users/{telegram_id}" in schema.json()["paths"]

    def test_api_errors_pass_through_unchanged(self, client):
        response = client.get("/api/v1/no-such-route")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"


class TestWebhook:
    def test_a_wrong_secret_is_refused_by_the_bot(self, client):
        response = client.post("/tg/webhook", json={"update_id": 1}, headers={SECRET_HEADER: "x"})
        assert response.status_code == 403
        assert response.json()["status_code"] == 403

    def test_the_secret_header_reaches_the_bot(self, client):
        response = client.post(
            "/tg/webhook", json={"not": "an update"}, headers={SECRET_HEADER: WEBHOOK_SECRET}
        )
        assert response.status_code == 400  # past the secret check, refused as no update


class TestLimits:
    @pytest.mark.parametrize(
        ("path", "limit"), [("/api/v1/users", 10 * 1024 * 1024), ("/tg/webhook", 1024 * 1024)]
    )
    def test_nginx_refuses_an_oversize_body(self, client, path, limit):
        response = client.post(
            path, content=b"x" * (limit + 1), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json() == NGINX_TOO_LARGE

    def test_the_service_keeps_its_own_lower_limit(self, client):
        response = client.post(
            "/api/v1/users",
            content=b"x" * (2 * 1024 * 1024),
            headers={"content-type": "application/json", SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
        )
        assert response.status_code == 413
        assert response.json() != NGINX_TOO_LARGE  # the api's own answer


class TestUnknownPaths:
    @pytest.mark.parametrize("path", ["/", "/nope", "/metrics", "/ready", "/docs", "/mcp"])
    def test_are_404_in_the_services_error_shape(self, client, path):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == NGINX_NOT_FOUND

    def test_nginx_answers_its_own_health(self, client):
        response = client.get("/health")
        assert response.status_code == 200
        assert response.text == "ok\n"


class TestRequestId:
    def test_a_callers_id_goes_through_and_comes_back(self, client, stack):
        response = client.get("/api/v1/users/1", headers={"X-Request-ID": "deploy-test-0001"})
        assert response.headers.get_list("X-Request-ID") == ["deploy-test-0001"]
        assert wait_for_log(lambda: stack.log_text("api"), "deploy-test-0001")

    def test_nginx_makes_one_up_when_there_is_none(self, client, stack):
        response = client.get("/api/v1/users/1")
        (request_id,) = response.headers.get_list("X-Request-ID")
        assert GENERATED_ID.match(request_id)
        assert wait_for_log(lambda: stack.log_text("api"), request_id)

    def test_a_malformed_id_is_replaced(self, client):
        response = client.get("/api/v1/users/1", headers={"X-Request-ID": "not ok; <script>"})
        assert GENERATED_ID.match(response.headers["X-Request-ID"])

    def test_nginx_own_answers_carry_one_too(self, client):
        assert GENERATED_ID.match(client.get("/nope").headers["X-Request-ID"])

    def test_the_access_log_is_json_with_the_id(self, client, nginx):
        client.get("/api/v1/users/1", headers={"X-Request-ID": "deploy-test-0002"})
        assert wait_for_log(nginx.access_log.read_text, "deploy-test-0002")


class TestResponseHeaders:
    @pytest.mark.parametrize("path", ["/api/v1/users/1", "/tg/webhook", "/app/", "/nope"])
    def test_security_headers_on_every_answer(self, client, path):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["Server"] == "nginx"  # no version
        assert "X-Frame-Options" not in headers  # Telegram Web frames the Mini App


class TestMiniApp:
    def test_app_without_a_slash_redirects(self, client):
        response = client.get("/app")
        assert response.status_code == 301
        assert response.headers["Location"].endswith("/app/")

    @pytest.mark.parametrize("path", ["/app/", "/app/index.html", "/app/listings/42"])
    def test_pages_get_the_single_page_app(self, client, path):
        response = client.get(path)
        assert response.status_code == 200
        assert "<title>Concierge</title>" in response.text
        assert response.headers["Cache-Control"] == "no-cache"

    def test_hashed_assets_are_cached_and_compressed(self, client):
        response = client.get("/app/assets/index-3f2a1b.js", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Cache-Control"] == "max-age=31536000"
        assert response.text.startswith("console.log")

    def test_a_missing_asset_is_404(self, client):
        response = client.get("/app/assets/missing.js")
        assert response.status_code == 404
        assert response.json() == NGINX_NOT_FOUND
