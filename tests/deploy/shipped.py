"""What the deployment files say, read the way Docker, Compose and nginx read them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from concierge.api.settings import ApiSettings
from concierge.avito.settings import AvitoSettings
from concierge.bot.settings import BotSettings
from concierge.sandbox.settings import SandboxSettings
from concierge.worker.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
NGINX_TEMPLATE = ROOT / "nginx" / "templates" / "default.conf.template"
NGINX_DOCKERFILE = ROOT / "nginx" / "Dockerfile"
SERVICE_DOCKERFILE = ROOT / "services" / "Dockerfile"
STAND_INS = ROOT / "infra" / "stand-ins"
PROMETHEUS_CONFIG = ROOT / "infra" / "prometheus" / "prometheus.yml"

# Our HTTP services: compose service name -> the settings class its process reads.
SERVICE_SETTINGS: dict[str, type[BaseSettings]] = {
    "api": ApiSettings,
    "avito": AvitoSettings,
    "bot": BotSettings,
    "sandbox": SandboxSettings,
    "worker": WorkerSettings,
}

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(:?[-?])?([^}]*)\}")
NGINX_VARIABLE = re.compile(r"\$\{(NGINX_[A-Z_]+)\}")


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load_prometheus() -> dict[str, Any]:
    return yaml.safe_load(PROMETHEUS_CONFIG.read_text())


def interpolated(text: str) -> dict[str, list[str]]:
    """Each variable compose fills in, with the operator of every use ("", ":-", "?"...)."""
    uses: dict[str, list[str]] = {}
    for name, operator, _ in INTERPOLATION.findall(text.replace("$$", "")):
        uses.setdefault(name, []).append(operator)
    return uses


def env_names(settings: type[BaseSettings]) -> dict[str, str]:
    """Environment variable -> field name, as pydantic-settings looks them up."""
    prefix = settings.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for field_name, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            choices = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            choices = [alias]
        else:
            choices = [f"{prefix}{field_name}"]
        for choice in choices:
            names[choice.upper()] = field_name
    return names


def default_port(service: str) -> int:
    return int(SERVICE_SETTINGS[service].model_fields["port"].default)


def duration_s(value: str) -> float:
    """A compose duration such as "9s", "1m30s" or "500ms", in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"not a compose duration: {value!r}")
    return sum(float(number) * units[unit] for number, unit in parts)


def env_example(*, commented: bool = True) -> dict[str, str]:
    """Variables .env.example sets (KEY=value) and, unless told not to, shows (# KEY=value)."""
    pattern = r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$" if commented else r"^([A-Z][A-Z0-9_]*)=(.*)$"
    listed: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(pattern, line)
        if match:
            listed[match[1]] = match[2]
    return listed


def container_env(service: dict[str, Any], dotenv: dict[str, str]) -> dict[str, str]:
    """A service's environment as its container gets it, with compose's ${...} filled in."""

    def fill(match: re.Match[str]) -> str:
        name, operator, argument = match[1], match[2], match[3]
        value = dotenv.get(name)
        if operator in ("?", ":?"):
            if value is None or (operator == ":?" and not value):
                raise ValueError(f"compose refuses to start: {argument}")
            return value
        if operator == ":-":
            return value or argument
        if operator == "-":
            return argument if value is None else value
        return value or ""

    environment = service.get("environment") or {}
    return {name: INTERPOLATION.sub(fill, str(value)) for name, value in environment.items()}


def render_nginx(values: dict[str, str]) -> str:
    """What the nginx image's entrypoint makes of the template (envsubst on NGINX_*)."""
    return NGINX_VARIABLE.sub(lambda match: values[match[1]], NGINX_TEMPLATE.read_text())


@dataclass
class Instruction:
    stage: str
    keyword: str
    arguments: str


def dockerfile(path: Path = SERVICE_DOCKERFILE) -> list[Instruction]:
    """The instructions of a Dockerfile, each with the stage it is in.

    As Docker reads it: comment lines go first (also inside continued lines), then
    continued lines are joined.
    """
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions: list[Instruction] = []
    stage = ""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stage = arguments.split(" AS ")[-1].strip() if " AS " in arguments else arguments
        instructions.append(Instruction(stage, keyword.upper(), " ".join(arguments.split())))
    return instructions


def exec_form(arguments: str) -> list[str] | None:
    """The JSON array of an exec-form CMD/ENTRYPOINT, or None for shell form."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None
