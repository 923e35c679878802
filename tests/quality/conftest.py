"""The quality suite's shared pieces: each backend's model and the corpus's vectors,
computed once per run (the scale test reuses the default backend's), and the report
at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from concierge.embedding import Embedder, EmbeddingSpec, Vectors, load_embedder
from concierge.sandbox.feeds import load_documents
from tests.quality.corpus import embed_passages
from tests.quality.report import REPORT, REPORT_FILE


@dataclass
class EmbeddedCorpus:
    backend: str
    embedder: Embedder
    vectors: Vectors  # the corpus's passages, in load_documents() order

    @property
    def model(self) -> str:
        return self.embedder.name


class Models:
    """Each backend loaded and the corpus embedded on first use, kept for the run."""

    def __init__(self) -> None:
        self._loaded: dict[str, EmbeddedCorpus] = {}

    def corpus(self, backend: str) -> EmbeddedCorpus:
        if backend not in self._loaded:
            embedder = load_embedder(EmbeddingSpec(backend=backend))  # type: ignore[arg-type]
            vectors = np.asarray(embed_passages(embedder, load_documents()), dtype=np.float32)
            self._loaded[backend] = EmbeddedCorpus(backend, embedder, vectors)
        return self._loaded[backend]

    def close(self) -> None:
        for loaded in self._loaded.values():
            loaded.embedder.close()


@pytest.fixture(scope="session")
def models() -> Iterator[Models]:
    loaded = Models()
    yield loaded
    loaded.close()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(REPORT, [])
    if lines:
        terminalreporter.section("search quality")
        for line in lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(also in {REPORT_FILE})")
