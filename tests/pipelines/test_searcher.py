"""The searcher used directly, without HTTP: what a principal may see, successors, `top_k`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from haystack import Document

from core.access import ANONYMOUS, SYSTEM, Principal, Role
from core.errors import InvalidRequestError
from core.persistence.registry import Registry
from ingest.curation import DocumentCurator
from ingest.runner import run_ingest
from pipelines.search import Searcher, build_searcher
from pipelines.search_outcomes import Successor
from pipelines.stores import build_chunk_store
from tests.support.helpers import make_settings

pytestmark = pytest.mark.model

RING_QUERY = "Wie bindet das Jobcenter Kupferkessel Arbeitgeber ein?"
OLD_QUERY = "Wie organisiert das Jobcenter Zitronenfalter die Sprechstunde?"
DOCUMENTS = {
    "ring-drei": (
        "ring: vr3\nvisibility: ring:vr3\nkind: protokoll\n",
        "# Protokoll Kupferkessel\n\nDas Jobcenter Kupferkessel bindet Arbeitgeber mit einem "
        "monatlichen Unternehmerfrühstück ein. Dort stellen Fachkräfte des Jobcenters "
        "Bewerberinnen und Bewerber vor, und die Betriebe nennen offene Stellen.\n",
    ),
    "alt-oeffentlich": (
        "visibility: public\nkind: praxisbeispiel\n",
        "# Praxisbeispiel Zitronenfalter\n\nDas Jobcenter Zitronenfalter organisiert die "
        "Sprechstunde für Arbeitgeber jeden Dienstag im Rathaus. Die Sprechstunde ist offen "
        "für alle Betriebe des Kreises.\n",
    ),
}
RING_MEMBER = Principal("leserin", "account", frozenset({Role.READER}), frozenset({"vr3"}))
OTHER_READER = Principal("leser", "account", frozenset({Role.READER}), frozenset({"vr1"}))


@dataclass
class World:
    """The searcher over the two documents; `alt-oeffentlich` is superseded by `ring-drei`."""

    searcher: Searcher
    registry: Registry
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("searcher")
    corpus = root / "corpus"
    corpus.mkdir()
    for stem, (sidecar, text) in DOCUMENTS.items():
        (corpus / f"{stem}.md").write_text(text, encoding="utf-8")
        (corpus / f"{stem}.meta.yaml").write_text(sidecar, encoding="utf-8")
    settings = make_settings(root / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == len(DOCUMENTS), report.render()
    ids = {Path(str(entry.path)).stem: str(entry.document_id) for entry in report.entries}
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    curator = DocumentCurator(store, registry, settings.data_dir / "sources", registry.audit)
    curator.supersede(ids["alt-oeffentlich"], ids["ring-drei"], actor="test")
    try:
        yield World(build_searcher(settings, store, registry), registry, ids)
    finally:
        store.close()
        registry.close()


def document_ids(documents: list[Document]) -> set[str]:
    return {str(doc.meta["document_id"]) for doc in documents}


def named(successor: Successor | None) -> str | None:
    return successor.document_id if successor is not None else None


def test_a_ring_document_is_found_only_by_its_ring(world: World) -> None:
    ring = world.ids["ring-drei"]
    for principal in (ANONYMOUS, OTHER_READER):
        outcome = world.searcher.search(RING_QUERY, principal=principal, facets=True)
        assert ring not in document_ids(outcome.documents)
        assert outcome.facets is not None and "vr3" not in dict(outcome.facets["ring"])
    member = world.searcher.search(RING_QUERY, principal=RING_MEMBER, facets=True)
    assert document_ids(member.documents)
    assert next(iter(document_ids(member.documents[:1]))) == ring


def test_a_ring_document_is_quoted_only_for_its_ring(world: World) -> None:
    ring = world.ids["ring-drei"]
    anonymous = world.searcher.ask(RING_QUERY, principal=ANONYMOUS)
    assert ring not in document_ids(anonymous.passages) | document_ids(anonymous.citations)
    member = world.searcher.ask(RING_QUERY, principal=RING_MEMBER)
    assert not member.abstained and member.mode == "extractive"
    assert ring in document_ids(member.citations) and ring in document_ids(member.passages)
    assert "Unternehmerfrühstück" in member.answer


def test_the_successor_is_named_only_where_the_principal_may_see_it(world: World) -> None:
    old, ring = world.ids["alt-oeffentlich"], world.ids["ring-drei"]
    for principal, expected in ((ANONYMOUS, None), (RING_MEMBER, ring), (SYSTEM, ring)):
        outcome = world.searcher.search(OLD_QUERY, principal=principal)
        superseded = [doc for doc in outcome.documents if doc.meta["document_id"] == old]
        assert superseded and superseded[0].meta["superseded_by"] == ring
        assert named(outcome.successors.of(superseded[0])) == expected
        answer = world.searcher.ask(OLD_QUERY, principal=principal)
        quoted = [d for d in answer.passages + answer.citations if d.meta["document_id"] == old]
        assert quoted and all(named(answer.successors.of(d)) == expected for d in quoted)
    successor = outcome.successors.of(superseded[0])
    record = world.registry.documents.get(ring)
    assert successor is not None and record is not None and successor.title == record.title


def test_top_k_above_the_limit_is_refused(world: World) -> None:
    limit = world.searcher.retrieval.max_top_k
    with pytest.raises(InvalidRequestError, match=f"at most {limit}"):
        world.searcher.search(RING_QUERY, principal=SYSTEM, top_k=limit + 1)
    with pytest.raises(InvalidRequestError):
        world.searcher.ask(RING_QUERY, principal=SYSTEM, top_k=limit + 1)
