"""The DDL of a model's vector index, shared by the migration and the worker that
registers a model.

A model's vectors are indexed on their own: a partial HNSW index over
``embedding::vector(<dimensions>)`` where ``model_id`` is the model's. A query that
names the model (``model_id = :id``, planned for the actual value) and orders by the
same expression uses it. Names and numbers here are integers formatted by us, never
user input.
"""

from __future__ import annotations

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64


def vector_index_name(model_id: int) -> str:
    return f"ix_document_vectors_model_{int(model_id)}"


def vector_expression(dimensions: int, column: str = "embedding") -> str:
    """The expression every query on a model's vectors orders by (as the index has it)."""
    return f"(CAST({column} AS vector({int(dimensions)})))"


def create_vector_index(model_id: int, dimensions: int, *, concurrently: bool) -> str:
    return (
        f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS "
        f"{vector_index_name(model_id)} ON document_vectors USING hnsw "
        f"({vector_expression(dimensions)} vector_cosine_ops) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
        f"WHERE model_id = {int(model_id)}"
    )


def drop_vector_index(model_id: int) -> str:
    return f"DROP INDEX CONCURRENTLY IF EXISTS {vector_index_name(model_id)}"
