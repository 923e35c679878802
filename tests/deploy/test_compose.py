"""docker-compose.yml, .env.example and the Prometheus config agree with the code.

No Docker engine is needed: the files are read as Compose reads them and checked
against the settings classes the services really use.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from concierge.bot.settings import UpdateSource
from concierge.common.runner import GRACEFUL_SHUTDOWN_S
from concierge.common.settings import PLACEHOLDER_SECRETS
from concierge.embedded.postgres import server_options
from concierge.worker.settings import WorkerSettings
from tests.deploy.shipped import (
    COMPOSE_FILE,
    NGINX_DOCKERFILE,
    NGINX_TEMPLATE,
    NGINX_VARIABLE,
    ROOT,
    SERVICE_SETTINGS,
    container_env,
    default_port,
    duration_s,
    env_example,
    env_names,
    interpolated,
    load_compose,
    load_prometheus,
)

# Tuning knobs compose leaves at the code's defaults (they are in .env.example, commented).
LEFT_TO_DEFAULTS = {
    "api": {
        "max_body_bytes",
        "media_secret_keys",  # no media credentials stored until the operator sets a key ring
        "media_tmdb_url",
        "media_tmdb_key",
        "media_timeout_s",
        "media_allowed_private_hosts",
        "listing_lifetime_s",
        "listing_reminder_s",
        "conversation_idle_s",
        "rentals_draft_ttl_h",
        "watch_failing_after",
        "watch_captcha_pause_s",
        "feed_training_per_channel",
        "feed_explore",
        "feed_ratings_per_minute",
        "feed_nudge_after_days",
        "feed_nudge_max_ignored",
        "userbot_url",
        "jwt_lifetime_s",
        "jobs_stream",  # the worker's stream name, also left at its default there
        "upload_signing_key",  # derived from API_JWT_SECRET
        "storage_local_dir",  # compose stores in MinIO
        "search_candidates",
        "search_fts_rank_limit",
        "search_fts_budget",
        "search_min_coverage",
        "search_fts_weight",
        "search_vector_depth",
        "search_ef_search",
        "search_exact_max",
        "search_typo_similarity",
        "search_parallel_workers",
        "search_embed_timeout_s",
        "search_rerank_model",
        "search_rerank_depth",
        "llm_timeout_s",
        "llm_max_tokens",
        "llm_max_concurrency",
    },
    "bot": {
        "max_body_bytes",
        "update_stream",
        "consumer_name",
        "dedup_ttl_s",
        "update_lifetime_s",
        "handling_max_backoff_s",
        "tap_window_s",
        "instance_lock_ttl_s",
        "messages_per_second",
        "private_chat_interval_s",
        "group_chat_interval_s",
        "notify_enabled",
        "notify_batch_size",
        "notify_lease_s",
        "notify_poll_interval_s",
        "notify_report_interval_s",
        "notify_outage_first_pause_s",
        "notify_outage_max_pause_s",
        "flood_limit",
        "flood_window_s",
    },
    "sandbox": {
        "max_body_bytes",
        "default_bot_token",
        "bot_username",
        "bot_first_name",
        "private_chat_burst",
        "private_chat_per_second",
        "group_chat_limit",
        "group_chat_window_s",
        "global_limit",
        "global_window_s",
        "webhook_retry_base_s",
        "webhook_retry_cap_s",
        "webhook_retry_after_cap_s",
        "webhook_timeout_s",
        "callback_answer_window_s",
        "media_torrent_seconds",
        "avito_token_ttl_s",
    },
    "avito": {
        "max_body_bytes",
        "event_stream",
        "consumer_name",
        "dedup_ttl_s",
        "token_refresh_margin_s",
        "request_timeout_s",
        "attempts",
        "max_backoff_s",
        "forward_batch",
    },
    "worker": {
        "max_body_bytes",
        "market_expiry_every_s",
        "watch_enabled",
        "watch_poll_every_s",
        "watch_host_rate_per_min",
        "watch_host_burst",
        "watch_breaker_base_s",
        "watch_breaker_max_s",
        "watch_timeout_s",
        "watch_catalog_every_s",
        "watch_deliver_every_s",
        "media_watch_enabled",
        "media_watch_every_s",
        "media_check_every_s",
        "media_stall_after_s",
        "media_seedbox_timeout_s",
        "media_allowed_private_hosts",
        "feed_enabled",
        "feed_nudge_every_s",
        "feed_min_ratings",
        "rentals_poll_every_s",
        "storage_local_dir",
        "stream",
        "group",
        "consumer_name",  # unset on purpose: each replica names itself
        "concurrency",
        "reclaim_after_s",
        "max_deliveries",
        "retry_base_s",
        "retry_max_s",
        "job_timeout_s",
        "stop_grace_s",
        "job_modules",
        "dedup_ttl_s",
        "dead_max_len",
        "scheduler_enabled",
        "scheduler_poll_s",
        "scheduler_batch",
        "state_gauges_every_s",
        "embedding_backend",
        "embedding_model",
        "embedding_query_prefix",
        "embedding_passage_prefix",
        "embedding_base_url",
        "embedding_api_key",
        "embedding_input_type",
        "embedding_dimensions",
        "embedding_window_chars",
        "embedding_timeout_s",
        "embedding_similarity_floor",
        "embedding_cross_language_floor",
        "embedding_batch_size",
        "embedding_threads",
        "embedding_preload",
        "vectors_enabled",
        "vectors_batch",
        "vectors_idle_s",
        "vectors_retire_after_s",
        "ingest_enabled",
        "ingest_poll_every_s",
        "ingest_min_interval_s",
        "ingest_max_interval_s",
        "ingest_fetch_timeout_s",
        "ingest_max_bytes",
        "ingest_per_host_limit",
        "ingest_semantic_threshold",
        "ingest_semantic_window_h",
        "ingest_telegram_enabled",
        "ingest_telegram_read_limit",
        "ingest_telegram_recheck",
        "ingest_telegram_recheck_window_h",
        "ingest_telegram_logged_out_pause_s",
    },
    "userbot": {
        "max_body_bytes",
        "flood_sleep_threshold_s",
        "join_interval_s",
        "read_chunk",
    },
}
# Secrets that must be set, with no usable default.
REQUIRED_SECRETS = {
    "SERVICE_TOKEN",
    "BOT_WEBHOOK_SECRET",
    "POSTGRES_PASSWORD",
    "API_JWT_SECRET",
    "STORAGE_S3_SECRET_KEY",
    "MINIO_ROOT_PASSWORD",
    "AVITO_WEBHOOK_SECRET",
    "API_RENTALS_CREDENTIALS_KEYS",
}
# Variables only Compose itself reads.
COMPOSE_VARIABLES = {"COMPOSE_PROFILES"}
ONE_SHOT = {"migrate", "minio-setup"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in (service.get("environment") or {}).items()}


def default_of(value: str, variable: str) -> str:
    """The default of a ``${VARIABLE:-default}`` value (and that it is one)."""
    match = re.fullmatch(rf"\$\{{{variable}:-([^}}]+)\}}", value)
    assert match, f"{value!r} is not ${{{variable}:-default}}"
    return match[1]


def long_running(services: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name in services if name not in ONE_SHOT]


class TestComposeFile:
    def test_uses_the_compose_spec_without_a_version_key(self, compose):
        assert "version" not in compose
        assert set(compose) <= {"name", "services", "volumes", "networks"} | {
            key for key in compose if key.startswith("x-")
        }

    def test_has_the_whole_product(self, services):
        expected = {"postgres", "redis", "minio", "migrate", "api", "bot", "worker", "sandbox"}
        expected |= {"userbot"}
        expected |= {"nginx", "minio-setup"}
        assert expected <= set(services)

    @pytest.mark.parametrize(
        ("service", "profile"),
        [
            ("sandbox", "sandbox"),
            ("ollama", "llm"),
            ("prometheus", "observability"),
            ("grafana", "observability"),
        ],
    )
    def test_optional_parts_are_profiles(self, services, service, profile):
        assert services[service]["profiles"] == [profile]

    @pytest.mark.parametrize(
        "service",
        ["postgres", "redis", "minio", "minio-setup", "migrate", "api", "bot", "worker", "nginx"],
    )
    def test_the_core_runs_without_profiles(self, services, service):
        assert "profiles" not in services[service]

    def test_named_volumes_are_declared(self, compose, services):
        for name, service in services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if not source.startswith((".", "/")):
                    assert source in compose["volumes"], f"{name} uses undeclared {source}"

    def test_bind_mounts_exist(self, services):
        for name, service in services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("./"):
                    assert (ROOT / source).exists(), f"{name} mounts missing {source}"


class TestBuilds:
    def test_every_build_has_a_context_and_a_dockerfile(self, services):
        built = {name: service for name, service in services.items() if "build" in service}
        assert set(built) == {"migrate", "nginx", *SERVICE_SETTINGS}
        for name, service in built.items():
            context = ROOT / service["build"]["context"]
            assert context.resolve() == ROOT, f"{name} must build from the repository root"
            assert (context / service["build"]["dockerfile"]).is_file()

    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_each_service_builds_the_shared_dockerfile_for_its_folder(self, services, service):
        build = services[service]["build"]
        assert build["dockerfile"] == "services/Dockerfile"
        assert build["args"]["SERVICE"] == service
        assert (ROOT / "services" / service / "pyproject.toml").is_file()
        assert build["args"]["PORT"] == str(default_port(service))
        assert services[service]["image"] == f"concierge/{service}"

    def test_there_is_one_service_dockerfile(self):
        assert list(ROOT.glob("services/*/Dockerfile")) == []

    def test_the_worker_gets_torch_from_an_index_that_can_be_changed(self, services):
        index = services["worker"]["build"]["args"]["TORCH_INDEX_URL"]
        assert index == "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"

    def test_migrate_runs_the_api_image(self, services):
        migrate, api = services["migrate"], services["api"]
        assert migrate["build"] == api["build"]
        assert migrate["image"] == api["image"]
        assert migrate["command"] == ["python", "-m", "concierge.api.migrate"]
        assert migrate["environment"] == api["environment"]


class TestLifecycle:
    def test_every_long_running_service_restarts_and_has_a_healthcheck(self, services):
        for name in long_running(services):
            assert services[name]["restart"] == "unless-stopped", name
            assert services[name]["healthcheck"]["test"], name

    def test_every_service_stops_before_docker_would_kill_it(self, services):
        for name in long_running(services):
            assert duration_s(services[name]["stop_grace_period"]) < 10, name

    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_our_services_have_time_to_drain(self, services, service):
        assert duration_s(services[service]["stop_grace_period"]) > GRACEFUL_SHUTDOWN_S

    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_healthcheck_asks_the_service_on_its_port(self, services, service):
        test = services[service]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"]
        assert f"'http://127.0.0.1:{default_port(service)}/health'" in test[3]

    def test_migrate_is_one_shot(self, services):
        assert services["migrate"]["restart"] == "no"
        assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"

    @pytest.mark.parametrize("service", ["api", "bot", "worker"])
    def test_services_wait_for_the_migration(self, services, service):
        waits_for = services[service]["depends_on"]["migrate"]
        assert waits_for["condition"] == "service_completed_successfully"

    def test_the_worker_stops_running_jobs_before_docker_kills_it(self, services):
        grace = WorkerSettings.model_fields["stop_grace_s"].default
        stop = duration_s(services["worker"]["stop_grace_period"])
        assert GRACEFUL_SHUTDOWN_S + grace < stop < 10

    def test_the_bot_waits_for_the_sandbox_only_when_it_runs(self, services):
        sandbox = services["bot"]["depends_on"]["sandbox"]
        assert sandbox == {"condition": "service_healthy", "required": False}


class TestDataStores:
    def test_postgres_runs_with_make_devs_server_settings(self, services):
        assert services["postgres"]["command"] == ["postgres", *server_options()]

    def test_postgres_has_pgvector_a_volume_and_a_readiness_check(self, services):
        postgres = services["postgres"]
        assert postgres["image"].startswith("pgvector/pgvector:pg16")
        assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
        assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])

    def test_redis_keeps_an_append_only_file(self, services):
        redis = services["redis"]
        assert redis["image"].startswith("redis:7")
        command = " ".join(redis["command"])
        assert "--appendonly yes" in command
        assert any(v.endswith(":/data") for v in redis["volumes"])


class TestEnvironment:
    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_every_setting_is_passed_or_left_to_its_default(self, services, service):
        names = env_names(SERVICE_SETTINGS[service])
        passed = set(environment(services[service]))
        missing = {env for env, field in names.items() if field not in LEFT_TO_DEFAULTS[service]}
        assert missing - passed == set()

    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_nothing_is_passed_that_the_service_does_not_read(self, services, service):
        passed = set(environment(services[service]))
        assert passed - set(env_names(SERVICE_SETTINGS[service])) == set()

    def test_the_allow_list_names_real_settings(self):
        for service, fields in LEFT_TO_DEFAULTS.items():
            assert fields <= set(SERVICE_SETTINGS[service].model_fields), service

    def test_required_secrets_cannot_be_left_out(self):
        uses = interpolated(COMPOSE_FILE.read_text())
        for name in REQUIRED_SECRETS:
            assert uses.get(name), f"{name} is not used"
            assert set(uses[name]) <= {"?", ":?"}, f"{name} must be ${{{name}:?message}}"

    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_secret_settings_come_from_required_variables(self, services, service):
        settings = SERVICE_SETTINGS[service]
        env = environment(services[service])
        for name, field in env_names(settings).items():
            if settings.model_fields[field].annotation is SecretStr:
                assert name in REQUIRED_SECRETS, f"{name} has a placeholder default"
                assert re.fullmatch(rf"\$\{{{name}:?\?.+\}}", env[name]), env[name]

    @pytest.mark.parametrize("service", [*SERVICE_SETTINGS, "migrate"])
    def test_production_mode_and_reachable_address(self, services, service):
        env = environment(services[service])
        prefix = "API" if service == "migrate" else service.upper()
        assert env["CONCIERGE_ENV"] == "${CONCIERGE_ENV:-prod}"
        assert env[f"{prefix}_HOST"] == "0.0.0.0"  # noqa: S104 (inside a container)

    @pytest.mark.parametrize("service", list(SERVICE_SETTINGS))
    def test_port_is_the_settings_default(self, services, service):
        env = environment(services[service])
        assert env[f"{service.upper()}_PORT"] == str(default_port(service))

    def test_urls_between_containers_use_the_right_ports(self, services):
        for name, service in services.items():
            for value in environment(service).values():
                for host, port in re.findall(r"https?://([a-z][a-z0-9-]*):(\d+)", value):
                    if host in SERVICE_SETTINGS:
                        assert int(port) == default_port(host), f"{name}: {value}"

    def test_the_sandbox_delivers_updates_to_the_bot_webhook(self, services):
        webhook = environment(services["bot"])["BOT_WEBHOOK_URL"]
        assert webhook == f"http://bot:{default_port('bot')}/tg/webhook"


class TestWorkerReplicas:
    def test_can_be_scaled(self, services):
        worker = services["worker"]
        assert "container_name" not in worker  # names must be unique per container
        assert "ports" not in worker  # a host port can be bound once
        assert worker["deploy"]["replicas"] == "${WORKER_REPLICAS:-1}"

    def test_waits_for_its_stores_and_the_schema(self, services):
        waits_for = services["worker"]["depends_on"]
        assert waits_for["postgres"]["condition"] == "service_healthy"
        assert waits_for["redis"]["condition"] == "service_healthy"


class TestNetwork:
    """One bridge network with a fixed subnet, nginx at a fixed address in it."""

    @pytest.fixture
    def ipam(self, compose) -> dict[str, str]:
        (config,) = compose["networks"]["default"]["ipam"]["config"]
        return dict(config)

    @pytest.fixture
    def subnet(self, ipam) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(default_of(ipam["subnet"], "COMPOSE_SUBNET"))

    @pytest.fixture
    def nginx_address(self, services) -> ipaddress.IPv4Address:
        address = services["nginx"]["networks"]["default"]["ipv4_address"]
        return ipaddress.ip_address(default_of(address, "NGINX_ADDRESS"))

    def test_nginx_has_a_fixed_address_inside_the_subnet(self, subnet, nginx_address):
        assert subnet.is_private
        assert nginx_address in subnet
        # Not the network or the gateway (the bridge takes the first address).
        assert nginx_address not in (subnet.network_address, next(subnet.hosts()))

    def test_no_other_container_can_be_given_that_address(self, ipam, subnet, nginx_address):
        # Engines hand out addresses from the start of ip_range; nginx's is outside it.
        dynamic = ipaddress.ip_network(default_of(ipam["ip_range"], "COMPOSE_IP_RANGE"))
        assert dynamic.subnet_of(subnet)
        assert nginx_address not in dynamic

    @pytest.mark.parametrize("service", [*SERVICE_SETTINGS, "migrate"])
    def test_forwarded_for_is_trusted_from_nginx_only(self, services, nginx_address, service):
        allowed = environment(services[service])["FORWARDED_ALLOW_IPS"]
        assert default_of(allowed, "NGINX_ADDRESS") == str(nginx_address)

    def test_every_container_is_on_that_network(self, services):
        for name, service in services.items():
            assert set(service.get("networks", {"default": None})) == {"default"}, name
            assert service.get("network_mode") is None, name


class TestNginx:
    def test_is_the_only_published_entry_besides_local_tools(self, services):
        assert services["nginx"]["ports"] == ["${HTTP_PORT:-8080}:8080"]
        for name, service in services.items():
            for port in service.get("ports", []):
                assert name == "nginx" or port.startswith("127.0.0.1:"), f"{name}: {port}"

    def test_renders_the_shipped_template(self, services):
        nginx = services["nginx"]
        assert nginx["image"] == "concierge/nginx"
        assert nginx["build"] == {"context": ".", "dockerfile": "nginx/Dockerfile"}
        assert "COPY nginx/templates/ /etc/nginx/templates/" in NGINX_DOCKERFILE.read_text()
        assert NGINX_TEMPLATE.name.endswith(".conf.template")
        env = environment(nginx)
        wanted = set(NGINX_VARIABLE.findall(NGINX_TEMPLATE.read_text()))
        assert wanted <= set(env)
        assert re.match(env["NGINX_ENVSUBST_FILTER"], "NGINX_PORT")
        assert env["NGINX_PORT"] == services["nginx"]["ports"][0].split(":")[-1]

    @pytest.mark.parametrize("service", ["api", "bot"])
    def test_upstreams_are_the_services_ports(self, services, service):
        env = environment(services["nginx"])
        assert env[f"NGINX_{service.upper()}_UPSTREAM"] == f"{service}:{default_port(service)}"

    def test_serves_the_mini_app_build(self, services):
        nginx = services["nginx"]
        root = environment(nginx)["NGINX_WEB_ROOT"]
        assert "volumes" not in nginx  # everything is in the image
        assert f"COPY --from=webapp /build/dist/ {root}/app/" in NGINX_DOCKERFILE.read_text()

    def test_the_image_builds_the_mini_app_in_a_node_stage(self):
        text = NGINX_DOCKERFILE.read_text()
        assert "ARG NODE_IMAGE=node:20-" in text
        assert "ARG NGINX_IMAGE=nginx:1.27-alpine" in text
        assert "FROM ${NODE_IMAGE} AS webapp" in text
        # npm ci from the lock before the sources, so the dependency layer is cached.
        lock = text.index("COPY webapp/package.json webapp/package-lock.json ./")
        assert lock < text.index("RUN npm ci") < text.index("COPY webapp/ ./")
        assert text.index("COPY webapp/ ./") < text.index("RUN npm run build")

    def test_the_build_context_holds_only_what_the_image_needs(self):
        ignore = (NGINX_DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().split()
        assert ignore[ignore.index("*") :][:3] == ["*", "!webapp", "!nginx/templates"]
        assert {"**/node_modules", "webapp/dist", "**/.env"} <= set(ignore)

    def test_proxies_the_photo_bucket(self, services):
        env = environment(services["nginx"])
        assert env["NGINX_STORAGE_UPSTREAM"] == "minio:9000"
        assert env["NGINX_STORAGE_BUCKET"] == "${STORAGE_S3_BUCKET:-media}"
        assert env["NGINX_REAL_IP_FROM"] == "${NGINX_REAL_IP_FROM:-127.0.0.1}"
        assert services["nginx"]["depends_on"]["minio"] == {"condition": "service_healthy"}


class TestMinio:
    def test_is_pinned_private_and_keeps_its_data(self, services):
        minio = services["minio"]
        assert re.fullmatch(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT[\d-]+Z", minio["image"])
        assert "ports" not in minio  # reached through nginx only
        assert "minio-data:/data" in minio["volumes"]
        assert minio["command"] == ["server", "/data"]
        assert environment(minio)["MINIO_BROWSER"] == "off"
        assert minio["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]

    def test_setup_is_one_shot_after_minio(self, services):
        setup = services["minio-setup"]
        assert re.fullmatch(r"minio/mc:RELEASE\.[\dT-]+Z", setup["image"])
        assert setup["restart"] == "no"
        assert setup["depends_on"]["minio"] == {"condition": "service_healthy"}
        script = setup["command"][0]
        assert 'mc mb --ignore-existing "minio/$$BUCKET"' in script
        assert "mc admin user add" in script
        assert "mc admin policy attach" in script

    def test_setup_script_is_valid_shell(self, services):
        script = services["minio-setup"]["command"][0].replace("$$", "$")
        check = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr

    def test_setup_makes_the_bucket_and_user_the_services_use(self, services):
        setup = environment(services["minio-setup"])
        for service in ("api", "worker"):
            env = environment(services[service])
            assert env["STORAGE_BACKEND"] == "s3"
            assert env["STORAGE_S3_ENDPOINT_URL"] == "http://minio:9000"
            assert setup["BUCKET"] == env["STORAGE_S3_BUCKET"]
            assert setup["ACCESS_KEY"] == env["STORAGE_S3_ACCESS_KEY"]
            assert setup["SECRET_KEY"] == env["STORAGE_S3_SECRET_KEY"]
            waits_for = services[service]["depends_on"]["minio-setup"]
            assert waits_for == {"condition": "service_completed_successfully"}

    def test_browsers_reach_the_bucket_through_nginx(self, services):
        api, nginx = environment(services["api"]), environment(services["nginx"])
        assert api["STORAGE_S3_PUBLIC_URL"] == api["API_PUBLIC_URL"]
        assert api["WEBAPP_URL"] == api["API_PUBLIC_URL"] + "/app/"
        assert environment(services["bot"])["WEBAPP_URL"] == api["WEBAPP_URL"]
        assert api["STORAGE_S3_BUCKET"] == nginx["NGINX_STORAGE_BUCKET"]
        assert (
            environment(services["minio"])["MINIO_API_CORS_ALLOW_ORIGIN"] == (api["API_PUBLIC_URL"])
        )


class TestPrometheus:
    def test_scrapes_every_service(self):
        config = load_prometheus()
        targets = {
            job["job_name"]: target
            for job in config["scrape_configs"]
            for static in job.get("static_configs", [])
            for target in static["targets"]
        }
        for service in SERVICE_SETTINGS:
            if service != "worker":  # replicas: see the next test
                assert targets[service] == f"{service}:{default_port(service)}"

    def test_scrapes_every_worker_replica(self):
        jobs = {job["job_name"]: job for job in load_prometheus()["scrape_configs"]}
        (discovery,) = jobs["worker"]["dns_sd_configs"]
        assert discovery["names"] == ["worker"]
        assert (discovery["type"], discovery["port"]) == ("A", default_port("worker"))


class TestEnvExample:
    def test_lists_every_variable_the_services_read(self):
        listed = set(env_example())
        for service, settings in SERVICE_SETTINGS.items():
            assert set(env_names(settings)) - listed == set(), service

    def test_lists_every_variable_compose_fills_in(self):
        assert set(interpolated(COMPOSE_FILE.read_text())) - set(env_example()) == set()

    def test_lists_nothing_else(self):
        known = set(interpolated(COMPOSE_FILE.read_text())) | COMPOSE_VARIABLES
        for settings in SERVICE_SETTINGS.values():
            known |= set(env_names(settings))
        assert set(env_example()) - known == set()

    def test_secrets_are_known_placeholders(self):
        listed = env_example()
        for name in [*REQUIRED_SECRETS, "GRAFANA_ADMIN_PASSWORD"]:
            assert listed[name] in PLACEHOLDER_SECRETS, name

    def test_starts_in_sandbox_mode(self):
        listed = env_example()
        assert listed["TELEGRAM_BOT_TOKEN"] == ""
        assert "sandbox" in listed["COMPOSE_PROFILES"].split(",")


REAL_SECRETS = {
    "SERVICE_TOKEN": "5f0c1d9e8a7b6c5d4e3f2a1b0c9d8e7f",
    "BOT_WEBHOOK_SECRET": "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
    "POSTGRES_PASSWORD": "c2f9e8d7b6a5948372615049",
    "API_JWT_SECRET": "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
    "STORAGE_S3_SECRET_KEY": "7e6d5c4b3a291807f6e5d4c3",
    "MINIO_ROOT_PASSWORD": "1a2b3c4d5e6f7a8b9c0d1e2f",
    "AVITO_WEBHOOK_SECRET": "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
    "API_RENTALS_CREDENTIALS_KEYS": "7J7Tt0pQ3m0fK1b5v9hSx1tq3M2m0r1n3XgQxJv2b0U=",
}


class TestContainerEnvironment:
    """The settings classes read the environment compose gives each container.

    ``.env`` is a copy of .env.example with the change-me values replaced, the way the
    compose file's header says to start.
    """

    @pytest.fixture
    def dotenv(self) -> dict[str, str]:
        return {**env_example(commented=False), **REAL_SECRETS}

    @pytest.fixture
    def settings_for(self, services, monkeypatch):
        def build(service: str, dotenv: dict[str, str]) -> Any:
            settings = SERVICE_SETTINGS[service]
            for name in env_names(settings):
                monkeypatch.delenv(name, raising=False)
            for name, value in container_env(services[service], dotenv).items():
                monkeypatch.setenv(name, value)
            return settings(_env_file=None)

        return build

    def test_placeholder_secrets_are_refused(self, settings_for):
        with pytest.raises(ValidationError, match="placeholder or short secrets"):
            settings_for("bot", env_example(commented=False))

    def test_required_secrets_stop_compose_when_missing(self, services):
        with pytest.raises(ValueError, match="set SERVICE_TOKEN"):
            container_env(services["api"], {})

    def test_api(self, settings_for, dotenv):
        api = settings_for("api", dotenv)
        password = REAL_SECRETS["POSTGRES_PASSWORD"]
        assert (
            api.database_url == f"postgresql+asyncpg://concierge:{password}@postgres:5432/concierge"
        )
        assert api.environment == "prod"
        assert api.migrate_on_start is False
        assert api.admin_telegram_ids == frozenset()
        assert api.redis_url == "redis://redis:6379/0"
        assert api.webapp_dir == ""  # nginx serves the Mini App
        assert api.webapp_url == "http://localhost:8080/app/"  # the sandbox allows http
        assert (api.rate_limit_enabled, api.rate_limit_per_ip, api.rate_limit_per_user) == (
            True,
            "100/minute",
            "200/minute",
        )
        assert api.storage_backend == "s3"
        assert (api.storage_s3_endpoint_url, api.storage_s3_public_url) == (
            "http://minio:9000",
            "http://localhost:8080",
        )

    def test_sandbox_mode_by_default(self, settings_for, dotenv):
        bot = settings_for("bot", dotenv)
        assert bot.uses_sandbox
        assert bot.update_source == UpdateSource.WEBHOOK
        assert bot.resolved_webhook_url == "http://bot:8001/tg/webhook"
        assert bot.bot_api_base_url == "http://sandbox:8010/bot"
        assert (bot.api_url, bot.redis_url) == ("http://api:8000", "redis://redis:6379/0")
        assert bot.webapp_url == "http://localhost:8080/app/"  # nginx; the sandbox allows http

    def test_a_real_token_and_a_public_url_get_a_telegram_webhook(self, settings_for, dotenv):
        real = {"TELEGRAM_BOT_TOKEN": "123456:real-token"}
        bot = settings_for("bot", {**dotenv, **real, "BOT_PUBLIC_URL": "https://bot.example.org"})
        assert not bot.uses_sandbox
        assert bot.update_source == UpdateSource.WEBHOOK
        assert bot.resolved_webhook_url == "https://bot.example.org/tg/webhook"

    def test_a_real_token_alone_polls(self, settings_for, dotenv):
        real = {"TELEGRAM_BOT_TOKEN": "123456:real-token"}
        bot = settings_for("bot", {**dotenv, **real})
        assert bot.update_source == UpdateSource.POLLING

    def test_worker(self, settings_for, dotenv):
        worker = settings_for("worker", dotenv)
        password = REAL_SECRETS["POSTGRES_PASSWORD"]
        assert (
            worker.database_url
            == f"postgresql+asyncpg://concierge:{password}@postgres:5432/concierge"
        )
        assert worker.redis_url == "redis://redis:6379/0"
        assert (worker.environment, worker.host, worker.port) == ("prod", "0.0.0.0", 8002)  # noqa: S104
        assert worker.consumer_name  # hostname-pid: a name of its own per replica
        assert worker.job_modules == ()

    def test_sandbox(self, settings_for, dotenv):
        sandbox = settings_for("sandbox", dotenv)
        assert (sandbox.host, sandbox.port) == ("0.0.0.0", 8010)  # noqa: S104
        assert sandbox.base_url == "http://localhost:8010"
