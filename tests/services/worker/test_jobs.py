from __future__ import annotations

import pytest

from concierge.worker.jobs import load_jobs


class TestLoadJobs:
    def test_the_platform_jobs_and_the_modules_named(self) -> None:
        assert "platform.ping" in load_jobs().types
        assert {"test.effect", "test.poison"} <= set(load_jobs(["tests.support.jobs"]).types)

    def test_a_module_without_a_registry_stops_the_start(self) -> None:
        with pytest.raises(RuntimeError, match="no `jobs` registry"):
            load_jobs(["tests.support.infra"])
