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
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import redis

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, wait_for_http
from tests.deploy.shipped import NGINX_TEMPLATE, ROOT, render_nginx
from tests.support.infra import migrated_database
from tests.support.stack import SERVICE_TOKEN, WEBHOOK_SECRET, Stack

DEPLOY_REDIS_DB = 2  # other tests flush db 0 and the e2e stack uses db 1
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NGINX_NOT_FOUND = {"detail": "Not Found", "status_code": 404}
NGINX_TOO_LARGE = {"detail": "Request body is too large", "status_code": 413}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
BUCKET = "media"
NOT_A_PEER = "192.0.2.1"  # TEST-NET: the tunnel nginx would trust; never the test's address

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
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body_bytes: int


@dataclass
class FakeS3:
    """Stands in for MinIO behind nginx: records what reaches it, answers 204."""

    port: int = 0
    seen: list[Seen] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.seen.append(Seen(self.command, self.path, headers, len(body)))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _record  # http.server calls do_<METHOD>

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = server.server_address[1]
        return server


@dataclass
class Nginx:
    binary: str
    home: Path
    port: int
    storage_port: int = 0

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
                "NGINX_AVITO_UPSTREAM": f"127.0.0.1:{stack.ports['avito']}",
                "NGINX_STORAGE_UPSTREAM": f"127.0.0.1:{self.storage_port}",
                "NGINX_STORAGE_BUCKET": BUCKET,
                "NGINX_REAL_IP_FROM": NOT_A_PEER,
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
def s3() -> Iterator[FakeS3]:
    fake = FakeS3()
    server = fake.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def nginx(stack: Stack, s3: FakeS3, scratch: Path) -> Iterator[Nginx]:
    server = Nginx(nginx_binary(), scratch / "nginx", free_port(), storage_port=s3.port)
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

    def test_avito_webhooks_reach_the_gateway_and_nothing_else_of_it(self, client):
        # a forged token: the gateway's 404 in the services' error shape
        response = client.post("/avito/webhook/1.forged", json={"id": "e"})
        assert response.status_code == 404
        assert response.json()["status_code"] == 404
        assert response.headers.get("X-Request-ID")
        # the gateway's own routes are for our services, never published
        assert client.get("/avito/v1/accounts/1/self").status_code == 404
        assert client.post("/v1/check", json={}).status_code == 404


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

    @pytest.mark.parametrize("path", ["/app/", "/app/index.html"])
    def test_the_page_is_revalidated_on_every_load(self, client, path):
        response = client.get(path)
        assert response.status_code == 200
        assert "<title>Concierge</title>" in response.text
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Cache-Control"] == "no-cache"

    @pytest.mark.parametrize("path", ["/app/listings/42", "/app/nope.html", "/app/assets/"])
    def test_other_paths_are_404_the_app_routes_with_the_fragment(self, client, path):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == NGINX_NOT_FOUND

    @pytest.mark.parametrize("path", ["/app/", "/app/assets/index-3f2a1b.js"])
    def test_the_app_gets_its_content_security_policy(self, client, path):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "object-src 'none'" in policy
        assert "frame-ancestors" not in policy  # Telegram Web and the sandbox frame it
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"

    def test_the_policy_matches_the_builds_meta_tag(self):
        vite = (ROOT / "webapp" / "vite.config.ts").read_text()
        template = NGINX_TEMPLATE.read_text()
        for directive in re.findall(r'^  "([a-z-]+ [^"]+)",$', vite, flags=re.MULTILINE):
            assert directive in template, directive

    @pytest.mark.parametrize("path", ["/api/v1/users/1", "/health"])
    def test_other_answers_get_no_policy(self, client, path):
        assert "Content-Security-Policy" not in client.get(path).headers

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


class TestClientAddress:
    """The api counts anonymous calls per client IP and believes nginx's X-Forwarded-For
    (FORWARDED_ALLOW_IPS): nginx must overwrite a header the client sent, not append."""

    @pytest.fixture
    def fresh_counters(self, stack: Stack) -> Iterator[None]:
        def clear() -> None:
            with redis.Redis.from_url(stack.redis_url) as store:
                for key in store.scan_iter("ratelimit*"):
                    store.delete(key)

        clear()
        yield
        clear()  # the other tests here call anonymously from the same address

    def test_a_forged_forwarded_for_does_not_change_the_counted_address(
        self, client, fresh_counters
    ):
        statuses = [
            client.get("/api/v1/users/1", headers={"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(101)
        ]
        assert {r.status_code for r in statuses[:100]} == {401}
        # Had nginx appended, each forged address would have had a budget of its own.
        assert statuses[100].status_code == 429
        assert int(statuses[100].headers["Retry-After"]) >= 1

    def test_the_template_overwrites_the_header(self):
        template = NGINX_TEMPLATE.read_text()
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in template
        assert "$proxy_add_x_forwarded_for" not in template


class TestPhotoStorage:
    def test_uploads_reach_minio_with_the_browsers_host(self, client, nginx, s3):
        photo = b"\xff\xd8" + b"x" * (5 * 1024 * 1024)  # a 5 MB photo in a presigned POST
        response = client.post(f"/{BUCKET}", files={"file": ("a.jpg", photo, "image/jpeg")})
        assert response.status_code == 204
        seen = s3.seen[-1]
        assert (seen.method, seen.path) == ("POST", f"/{BUCKET}")
        assert seen.headers["host"] == f"127.0.0.1:{nginx.port}"  # what the URL was signed for
        assert seen.body_bytes > 5 * 1024 * 1024

    def test_signed_image_urls_pass_unchanged(self, client, s3):
        path = f"/{BUCKET}/listings/7/a.webp?X-Amz-Signature=abc&X-Amz-Expires=900"
        assert client.get(path).status_code == 204
        assert s3.seen[-1].path == path

    def test_oversize_uploads_are_refused(self, client):
        response = client.post(f"/{BUCKET}/", content=b"x" * (10 * 1024 * 1024 + 1))
        assert response.status_code == 413

    @pytest.mark.parametrize("path", [f"/{BUCKET}x/a.jpg", "/other-bucket/a.jpg"])
    def test_only_the_photo_bucket_is_reachable(self, client, path):
        assert client.get(path).json() == NGINX_NOT_FOUND
