"""A changed file replaces its old version atomically; a document being written is not served.

The searches run in the same process as the ingest, on the same embedded store, while the
file's content changes under them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from core.filters import FieldMatch
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.runner import IngestRunner
from pipelines.stores import EdgeChunkStore
from search_service.context import ServiceContext, build_service_context
from search_service.schemas import SearchRequest
from tests.support.helpers import make_settings, search_response
from tests.support.old_registry import FIRST_RELEASE_TABLES
from tests.support.registry_sql import sql_execute

QUERY = "Wie arbeitet das Jobcenter Musterstadt mit Arbeitgebern zusammen?"


def version_text(version: int) -> str:
    """A protocol whose every paragraph names its version (`Fassung N`)."""
    paragraphs = [
        f"Fassung {version}: Das Jobcenter Musterstadt arbeitet eng mit Arbeitgebern zusammen. "
        f"Fassung {version}: Der Arbeitgeberservice besucht Betriebe und vermittelt Bewerber. "
        f"Fassung {version}: Im Abschnitt {part} wurden {version * 10 + part} Stellen besetzt."
        for part in range(1, 5)
    ]
    return "\n\n".join(paragraphs) + "\n"


@dataclass
class World:
    """One store, the ingest runner and the service context that share it."""

    settings: Settings
    corpus: Path
    store: EdgeChunkStore
    registry: Registry
    runner: IngestRunner
    context: ServiceContext

    def write(self, version: int, name: str = "protokoll.txt") -> None:
        (self.corpus / name).write_text(version_text(version), encoding="utf-8")

    def ingest(self) -> None:
        report = self.runner.run([self.corpus])
        assert not report.count("skipped"), report.render()

    def versions_found(self) -> set[str]:
        """The `Fassung N` markers of every hit of the query."""
        request = SearchRequest(query=QUERY, top_k=20, facets=True)
        results = search_response(self.context.searcher, request).results
        return {hit.text.split(":")[0] for hit in results}

    def fast_search(self) -> Callable[[], set[str]]:
        """The searcher's own retriever with the query's vectors computed once: many per second."""
        outputs = self.context.searcher.query_pipeline.run(
            {
                "query_expander": {"query": QUERY},
                "query_filters": {"query": QUERY, "infer": False},
                "retriever": {"top_k": 20},
            },
            include_outputs_from={"dense_embedder", "sparse_embedder"},
        )
        retriever = self.context.searcher.query_pipeline.get_component("retriever")
        inputs = {
            "query_embedding": outputs["dense_embedder"]["embedding"],
            "query_sparse_embedding": outputs["sparse_embedder"]["sparse_embedding"],
            "top_k": 20,
            "facets": True,
        }

        def search() -> set[str]:
            found = retriever.run(**inputs)
            assert sum(count for _, count in found["facets"]["kind"]) == 1  # one document
            return {str(doc.content).split(":")[0] for doc in found["documents"]}

        return search


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = make_settings(tmp_path / "data")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    store = EdgeChunkStore(settings.edge_store_dir)
    registry = Registry.open(settings)
    runner = IngestRunner(settings, store, registry)
    built = World(settings, corpus, store, registry, runner, None)  # type: ignore[arg-type]
    built.write(0)
    built.ingest()  # creates the collection before the context opens it
    built.context = build_service_context(settings, store=store)
    yield built
    runner.close()  # its page-reader process
    built.context.close()  # closes the shared store too
    registry.close()


@pytest.mark.model
@pytest.mark.slow
def test_searches_during_replacements_see_exactly_one_version(world: World) -> None:
    seen: list[set[str]] = []
    done = threading.Event()
    failures: list[BaseException] = []

    search = world.fast_search()

    def search_until_done() -> None:
        try:
            while not done.is_set():
                seen.append(search())
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    searcher = threading.Thread(target=search_until_done)
    searcher.start()
    try:
        for version in range(1, 9):
            world.write(version)
            world.ingest()
    finally:
        done.set()
        searcher.join(timeout=120)
    assert not failures, failures
    assert len(seen) >= 100, "too few searches ran during the replacements"
    assert all(len(versions) == 1 for versions in seen), [v for v in seen if len(v) != 1]
    assert len(set().union(*seen)) >= 2, "the searches never saw a second version"
    assert world.versions_found() == {"Fassung 8"}
    assert [r.status for r in world.registry.documents.list_documents()] == ["indexed"]


@pytest.mark.model
@pytest.mark.slow
def test_a_document_being_written_is_not_found(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    found_while_pending: list[set[str]] = []
    chunks_while_pending: list[int] = []
    mark_indexed = world.registry.documents.mark_indexed

    def search_then_mark(document_id: str, *args: Any, **kwargs: Any) -> None:
        chunks_while_pending.append(world.store.count([FieldMatch("document_id", (document_id,))]))
        found_while_pending.append(world.versions_found())
        mark_indexed(document_id, *args, **kwargs)

    monkeypatch.setattr(world.registry.documents, "mark_indexed", search_then_mark)
    world.write(7, "neu.txt")  # a new document next to version 0
    world.ingest()
    world.write(8)  # a new version of the first one
    world.ingest()
    assert chunks_while_pending[0] > 0 and chunks_while_pending[1] > 0  # written, not served
    assert found_while_pending == [{"Fassung 0"}, {"Fassung 0", "Fassung 7"}]
    assert world.versions_found() == {"Fassung 7", "Fassung 8"}


@pytest.mark.model
def test_a_query_overlapping_the_swap_is_repeated(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap commits and the old chunks go between a query's exclusion and its store read."""
    search = world.fast_search()
    mark_indexed = world.registry.documents.mark_indexed
    query_dense = world.store.query_dense
    store_reads: list[int] = []
    found: list[set[str]] = []

    def search_across_the_swap(document_id: str, *args: Any, **kwargs: Any) -> None:
        def swap_then_read(*query: Any) -> Any:
            if not store_reads:  # the hidden set of this attempt still names the new version
                mark_indexed(document_id, *args, **kwargs)
                for old_id in kwargs["replaces"]:
                    world.store.delete_document(old_id)
            store_reads.append(1)
            return query_dense(*query)

        monkeypatch.setattr(world.store, "query_dense", swap_then_read)
        found.append(search())
        monkeypatch.setattr(world.store, "query_dense", query_dense)

    monkeypatch.setattr(world.registry.documents, "mark_indexed", search_across_the_swap)
    world.write(1)
    world.ingest()
    assert found == [{"Fassung 1"}]  # neither version on the first attempt; the repeat finds one
    assert len(store_reads) == 2
    assert [r.status for r in world.registry.documents.list_documents()] == ["indexed"]


@pytest.mark.model
def test_recovery_finishes_a_half_done_replacement(world: World) -> None:
    old = world.registry.documents.list_documents()[0]
    world.write(1, "zweite.txt")
    world.ingest()
    # As if the run had been killed between the commit and the removal of the old version.
    sql_execute(
        world.registry,
        "UPDATE documents SET status = 'replaced' WHERE document_id = ?",
        (old.document_id,),
    )
    assert world.versions_found() == {"Fassung 1"}
    assert world.store.count([FieldMatch("document_id", (old.document_id,))]) > 0
    assert world.runner.recover_interrupted() == 1
    assert world.registry.documents.get(old.document_id) is None
    assert world.store.count([FieldMatch("document_id", (old.document_id,))]) == 0
    assert world.store.count() == world.registry.documents.totals()["chunks"]


OLD_DOCUMENTS = (
    FIRST_RELEASE_TABLES
    + """
INSERT INTO documents VALUES
    ('abc', 'abc0', '/a.txt', 'a.txt', 'A', '{}', 'k', 'indexed', 1, 2, '2024-01-01');
INSERT INTO pages VALUES ('abc', 1, 'Seite eins');
"""
)


def test_an_old_registry_learns_the_replaced_status_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "blok.db"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_DOCUMENTS)
    registry = Registry(path)
    try:
        assert registry.documents.page_text("abc", 1) == "Seite eins"
        record = registry.documents.get("abc")
        assert record is not None and record.chunk_count == 2
        sql_execute(registry, "UPDATE documents SET status = 'replaced' WHERE document_id = 'abc'")
        assert registry.documents.hidden_documents().document_ids == {"abc"}
        with pytest.raises(IntegrityError):
            sql_execute(registry, "UPDATE documents SET status = 'gone' WHERE document_id = 'abc'")
        registry.documents.delete("abc")
        assert registry.documents.page_text("abc", 1) is None  # the cascade still holds
    finally:
        registry.close()
