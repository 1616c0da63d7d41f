"""Congruence: the same files and queries rank alike on Qdrant Edge and on qdrant-client.

qdrant-client's local mode stands in for a Qdrant server here; it speaks the same API as the
server, so the server back end's schema, filters and scoring are checked against Edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.access import ANONYMOUS, SYSTEM, Principal, Role, access_conditions
from core.filters import FieldExclude, FieldMatch, SearchFilters
from evaluation.datasets import load_demo_set
from ingest.runner import run_ingest
from pipelines.stores import EdgeChunkStore, QdrantClientChunkStore
from pipelines.stores.base import ChunkRecord
from search_service.context import ServiceContext, build_service_context
from search_service.schemas import SearchRequest
from tests.support.helpers import demo_files, make_settings, search_response
from tests.support.registry_sql import sql_execute

FILES = (
    "vr1-protokoll-2022-ukraine",
    "vr5-protokoll-2023-buergergeld",
    "praxisbeispiel-emsland-arbeitgeber-gefluechtete",
    "tagungsbericht-tag-der-kommunalen-jobcenter-2022",
)
FILTERS = [
    None,
    SearchFilters(kind=["protokoll"]),
    SearchFilters(ring=["vr1"], year_from=2022),
    SearchFilters(year_to=2022, topic=["Arbeitgeberservice"]),
]


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServiceContext]]:
    root = tmp_path_factory.mktemp("congruence")
    corpus = demo_files(root / "corpus", FILES)
    edge_settings = make_settings(root / "edge")
    client_settings = make_settings(root / "client")
    run_ingest(edge_settings, [corpus])
    client_store_path = root / "client" / "qdrant-local"
    run_ingest(
        client_settings, [corpus], store=QdrantClientChunkStore.local(client_store_path, "c")
    )
    built = {
        "edge": build_service_context(edge_settings, EdgeChunkStore(edge_settings.edge_store_dir)),
        "client": build_service_context(
            client_settings, QdrantClientChunkStore.local(client_store_path, "c")
        ),
    }
    yield built
    for context in built.values():
        context.close()


def queries() -> list[str]:
    return [q.query for q in load_demo_set().questions][:12]


@pytest.mark.model
@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_both_back_ends_rank_alike(contexts: dict[str, ServiceContext], mode: str) -> None:
    compared = 0
    for query in queries():
        for filters in FILTERS:
            request = SearchRequest(query=query, top_k=10, filters=filters)
            edge, client = (
                search_response(
                    contexts[name].searcher,
                    request,
                    mode=mode,  # type: ignore[arg-type]
                ).results
                for name in ("edge", "client")
            )
            assert [hit.chunk_id for hit in edge] == [hit.chunk_id for hit in client], query
            for edge_hit, client_hit in zip(edge, client, strict=True):
                assert edge_hit.score == pytest.approx(client_hit.score, abs=1e-4)
            compared += len(edge)
    assert compared > 50


@pytest.mark.model
def test_both_back_ends_count_alike(contexts: dict[str, ServiceContext]) -> None:
    for filters in FILTERS:
        conditions = (filters or SearchFilters()).conditions()
        assert contexts["edge"].store.count(conditions) == contexts["client"].store.count(
            conditions
        )
    assert contexts["edge"].store.count() > 0


@pytest.mark.model
def test_both_back_ends_exclude_alike(contexts: dict[str, ServiceContext]) -> None:
    document_ids = sorted(
        r.document_id for r in contexts["edge"].registry.documents.list_documents()
    )
    assert document_ids == sorted(
        r.document_id for r in contexts["client"].registry.documents.list_documents()
    )
    for excluded in (document_ids[:1], document_ids[1:3], document_ids):
        for extra in ([], [FieldMatch("kind", ("protokoll",))]):
            conditions = [FieldExclude("document_id", tuple(excluded)), *extra]
            counts = [contexts[name].store.count(conditions) for name in ("edge", "client")]
            assert counts[0] == counts[1]
    assert contexts["edge"].store.count([FieldExclude("document_id", tuple(document_ids))]) == 0


@pytest.mark.model
def test_both_back_ends_leave_out_documents_being_written(
    contexts: dict[str, ServiceContext],
) -> None:
    hidden = sorted(r.document_id for r in contexts["edge"].registry.documents.list_documents())[0]
    request = SearchRequest(query=queries()[0], top_k=10, facets=True)
    results = {}
    for name, context in contexts.items():
        sql_execute(
            context.registry,
            "UPDATE documents SET status = 'pending' WHERE document_id = ?",
            (hidden,),
        )
        try:
            results[name] = search_response(context.searcher, request).results
        finally:
            sql_execute(
                context.registry,
                "UPDATE documents SET status = 'indexed' WHERE document_id = ?",
                (hidden,),
            )
    assert [hit.chunk_id for hit in results["edge"]] == [hit.chunk_id for hit in results["client"]]
    assert results["edge"] and hidden not in {hit.document_id for hit in results["edge"]}


PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "reader-vr1": Principal("r", "account", frozenset({Role.READER}), frozenset({"vr1"})),
    "reader-vr9": Principal("r", "account", frozenset({Role.READER}), frozenset({"vr9"})),
    "office": SYSTEM,
}


@pytest.mark.model
@pytest.mark.parametrize("caller", sorted(PRINCIPALS))
def test_both_back_ends_apply_access_alike(
    contexts: dict[str, ServiceContext], caller: str
) -> None:
    principal = PRINCIPALS[caller]
    conditions = access_conditions(principal)
    assert contexts["edge"].store.count(conditions) == contexts["client"].store.count(conditions)
    rings_seen: set[str | None] = set()
    for query in queries()[:6]:
        request = SearchRequest(query=query, top_k=10)
        edge = search_response(contexts["edge"].searcher, request, principal=principal).results
        client = search_response(contexts["client"].searcher, request, principal=principal).results
        assert [hit.chunk_id for hit in edge] == [hit.chunk_id for hit in client], query
        rings_seen |= {hit.ring for hit in edge}
    # The public documents have no ring; vr1 and vr5 protocols are ring-internal.
    expected = {"anonymous": {None}, "reader-vr1": {None, "vr1"}, "reader-vr9": {None}}
    assert rings_seen == expected.get(caller, {None, "vr1", "vr5"})


def test_deleting_a_document_leaves_no_chunk(tmp_path: Path) -> None:
    for store in (
        EdgeChunkStore(tmp_path / "edge"),
        QdrantClientChunkStore.local(tmp_path / "c", "c"),
    ):
        store.ensure_collection(3)
        store.upsert(
            [
                ChunkRecord(
                    f"00000000-0000-0000-0000-00000000000{i}",
                    [1.0, 0.0, float(i)],
                    [1],
                    [1.0],
                    {"document_id": "a" if i < 3 else "b"},
                )
                for i in range(5)
            ]
        )
        store.delete_document("a")
        assert store.count([FieldMatch("document_id", ("a",))]) == 0
        assert store.count() == 2
        store.close()


def test_setting_a_payload_keeps_the_vectors(tmp_path: Path) -> None:
    """Both back ends change the fields of one document's chunks alike, vectors untouched."""
    answers = []
    for store in (
        EdgeChunkStore(tmp_path / "edge"),
        QdrantClientChunkStore.local(tmp_path / "c", "c"),
    ):
        store.ensure_collection(3)
        store.upsert(
            [
                ChunkRecord(
                    f"00000000-0000-0000-0000-00000000000{i}",
                    [1.0, float(i), 0.5],
                    [1, 2 + i],
                    [1.0, 0.5],
                    {"document_id": "a" if i < 3 else "b", "kind": "protokoll", "ring": "vr1"},
                )
                for i in range(5)
            ]
        )

        def ranking(store: EdgeChunkStore | QdrantClientChunkStore) -> list[tuple[str, float]]:
            dense = store.query_dense([1.0, 0.2, 0.4], [], 10)
            sparse = store.query_sparse([1, 3], [1.0, 1.0], [], 10)
            return [(hit.chunk_id, round(hit.score, 6)) for hit in dense + sparse]

        before = ranking(store)
        store.set_payload("a", {"kind": "praxisbeispiel", "ring": None, "superseded_by": "b"})
        assert ranking(store) == before
        assert store.count([FieldMatch("kind", ("praxisbeispiel",))]) == 3
        assert store.count([FieldMatch("ring", ("vr1",))]) == 2
        assert store.count([FieldMatch("document_id", ("a",))]) == 3
        payloads = {hit.chunk_id: hit.payload for hit in store.query_dense([1.0, 0.2, 0.4], [], 10)}
        answers.append(payloads)
        store.set_payload("nobody", {"kind": "sonstiges"})  # no chunk: nothing changes
        assert store.count([FieldMatch("kind", ("sonstiges",))]) == 0
        store.close()
    assert answers[0] == answers[1]
    changed = answers[0]["00000000-0000-0000-0000-000000000000"]
    # A null value reads as an absent field on both back ends.
    assert changed == {"document_id": "a", "kind": "praxisbeispiel", "superseded_by": "b"}
