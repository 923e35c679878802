"""infra/k8s: each overlay renders with kustomize (kubectl's, or the standalone one),
every object it makes is
valid against the Kubernetes 1.32 schema (kubernetes-validate, strict: unknown fields
fail), and the rules of tests/infra/kubernetes_rules.py hold; each rule is also shown
catching its fault in an overlay broken on purpose."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes_validate import utils as schema  # type: ignore[import-untyped]

from tests.infra.kubernetes_rules import (
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    Obj,
    containers,
    named,
    render,
    rule_problems,
)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Obj]]:
    return {overlay: render(K8S / "overlays" / overlay) for overlay in OVERLAYS}


def schema_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for obj in objects:
        try:
            schema.validate(obj, KUBERNETES_VERSION, strict=True)
        except schema.ValidationError as error:
            problems.append(f"{obj['kind']} {obj['metadata']['name']}: {error.message}")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_kubernetes(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    kinds = {obj["kind"] for obj in objects}
    assert {"Deployment", "Service", "Job", "CronJob", "HorizontalPodAutoscaler"} <= kinds
    assert schema_problems(objects) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_rules_hold(rendered: dict[str, list[Obj]], overlay: str) -> None:
    assert rule_problems(rendered[overlay]) == []


def test_the_overlays_differ_as_documented(rendered: dict[str, list[Obj]]) -> None:
    def bounds(overlay: str, name: str) -> tuple[int, int]:
        spec = named(rendered[overlay], "HorizontalPodAutoscaler")[name]["spec"]
        return spec["minReplicas"], spec["maxReplicas"]

    assert bounds("small", "api") == (2, 3)
    assert bounds("large", "api") == (4, 12)
    assert bounds("small", "worker") == (1, 2)
    assert bounds("large", "worker") == (2, 8)
    assert "sandbox" not in named(rendered["small"], "Deployment")
    assert "sandbox" not in named(rendered["large"], "Deployment")
    staging = rendered["staging"]
    assert "sandbox" in named(staging, "Deployment")
    assert {obj["metadata"].get("namespace") for obj in staging} == {"concierge-staging"}
    config = named(staging, "ConfigMap")["concierge-config"]["data"]
    assert config["SANDBOX_URL"] == "http://sandbox:8010"
    # the Avito gateway calls the sandbox's emulator, never Avito, and the emulator's
    # webhooks reach the gateway inside the cluster
    assert config["AVITO_BASE_URL"] == "http://sandbox:8010/avito"
    assert config["AVITO_PUBLIC_URL"] == "http://avito:8004"
    for overlay in ("small", "large"):
        data = named(rendered[overlay], "ConfigMap")["concierge-config"]["data"]
        assert data["AVITO_BASE_URL"] == "https://api.avito.ru"


def test_the_backup_job_runs_the_script_it_ships(rendered: dict[str, list[Obj]]) -> None:
    objects = rendered["small"]
    job = named(objects, "CronJob")["backup"]
    volumes = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
    script_map = next(v["configMap"]["name"] for v in volumes if v["name"] == "script")
    script = named(objects, "ConfigMap")[script_map]["data"]["backup.sh"]
    assert script == (K8S / "base" / "backup.sh").read_text()
    commands = [" ".join(c.get("command", []) + c.get("args", [])) for c in containers(job)]
    assert "/scripts/backup.sh dump" in commands[0]
    assert "/scripts/backup.sh upload" in commands[1]


# --- each rule catches its fault --------------------------------------------------------


def _deployment(objects: list[Obj], name: str) -> Obj:
    return named(objects, "Deployment")[name]


def _container(objects: list[Obj], name: str) -> Any:
    return _deployment(objects, name)["spec"]["template"]["spec"]["containers"][0]


def _env(objects: list[Obj], name: str, var: str) -> Any:
    return next(e for e in _container(objects, name)["env"] if e["name"] == var)


BREAKAGES: dict[str, tuple[Callable[[list[Obj]], None], str]] = {
    "readiness on /health": (
        lambda o: _container(o, "api")["readinessProbe"]["httpGet"].update(path="/health"),
        "api/api: readiness is not on /ready",
    ),
    "no liveness probe": (
        lambda o: _container(o, "worker").pop("livenessProbe"),
        "worker/worker: liveness is not on /health",
    ),
    "no memory limit": (
        lambda o: _container(o, "bot")["resources"]["limits"].pop("memory"),
        "Deployment bot/bot: no memory request and limit",
    ),
    "request over limit": (
        lambda o: _container(o, "api")["resources"]["requests"].update(cpu="4"),
        "Deployment api/api: cpu request over its limit",
    ),
    "two bots": (
        lambda o: _deployment(o, "bot")["spec"].update(replicas=2),
        "bot: not exactly one replica",
    ),
    "rolling bot": (
        lambda o: _deployment(o, "bot")["spec"].update(strategy={"type": "RollingUpdate"}),
        "bot: strategy is not Recreate",
    ),
    "two userbots": (
        lambda o: _deployment(o, "userbot")["spec"].update(replicas=2),
        "userbot: not exactly one replica",
    ),
    "rolling userbot": (
        lambda o: _deployment(o, "userbot")["spec"].update(strategy={"type": "RollingUpdate"}),
        "userbot: strategy is not Recreate",
    ),
    "userbot session on an emptyDir": (
        lambda o: _deployment(o, "userbot")["spec"]["template"]["spec"].update(
            volumes=[{"name": "session", "emptyDir": {}}]
        ),
        "userbot: its session is not on a PersistentVolumeClaim",
    ),
    "userbot claim missing": (
        lambda o: o.remove(named(o, "PersistentVolumeClaim")["userbot-session"]),
        "userbot: its session's PersistentVolumeClaim is not deployed",
    ),
    "no api budget": (
        lambda o: o.remove(named(o, "PodDisruptionBudget")["api"]),
        "api: no PodDisruptionBudget",
    ),
    "worker on cpu": (
        lambda o: named(o, "HorizontalPodAutoscaler")["worker"]["spec"].update(
            metrics=named(o, "HorizontalPodAutoscaler")["api"]["spec"]["metrics"]
        ),
        "worker autoscaler: not on the job backlog and lag (['cpu'])",
    ),
    "a token in the manifest": (
        lambda o: _env(o, "bot", "TELEGRAM_BOT_TOKEN").update(value="123:abc"),
        "Deployment bot: TELEGRAM_BOT_TOKEN has a value in the manifest",
    ),
    "credentials in a config value": (
        lambda o: named(o, "ConfigMap")["concierge-config"]["data"].update(
            API_URL="http://admin:hunter2@api:8000"
        ),
        "ConfigMap concierge-config: API_URL holds credentials",
    ),
    "an undocumented secret key": (
        lambda o: _env(o, "api", "API_JWT_SECRET")["valueFrom"]["secretKeyRef"].update(key="JWT"),
        "Deployment api: API_JWT_SECRET from an undocumented secret",
    ),
    "a Secret object": (
        lambda o: o.append(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {}}
        ),
        "Secret x: a Secret in the manifests",
    ),
}


@pytest.mark.parametrize("fault", BREAKAGES)
def test_each_rule_catches_its_fault(rendered: dict[str, list[Obj]], fault: str) -> None:
    objects = copy.deepcopy(rendered["small"])
    breaks, expected = BREAKAGES[fault]
    breaks(objects)
    problems = rule_problems(objects)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_the_schema_check_catches_a_bad_object(rendered: dict[str, list[Obj]]) -> None:
    objects = copy.deepcopy(rendered["small"])
    _deployment(objects, "api")["spec"]["replicas"] = "two"
    _container(objects, "worker")["livenesProbe"] = {"httpGet": {"path": "/health"}}
    problems = schema_problems(objects)
    assert len(problems) == 2, problems
    assert problems[0].startswith("Deployment api: 'two' is not of type 'integer'")


def test_a_broken_overlay_fails_to_render_with_kustomizes_reason(tmp_path: Any) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    with pytest.raises(RuntimeError, match=r"missing\.yaml"):
        render(tmp_path)
