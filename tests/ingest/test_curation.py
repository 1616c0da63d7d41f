"""Curation through the real API: edit, visibility, withdraw and restore, delete, supersede.

Real model, real embedded store, real app; every action is checked in the read paths of the
callers concerned and in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from blok.cli import main
from core.filters import FieldMatch
from ingest.lifecycle import prune_missing
from ingest.runner import IngestRunner
from search_service.schemas import SearchRequest
from tests.support.helpers import answer_body, context_of, search_response
from tests.support.worlds import CURATION, CurationWorld, open_world

pytestmark = pytest.mark.model

MISSING = "/v1/documents/0000000000000000"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CurationWorld]:
    with open_world(tmp_path_factory.mktemp("curation"), CURATION) as opened:
        yield opened


def search_ids(world: CurationWorld, caller: str, query: str, **body: Any) -> list[str]:
    response = world.call(caller, "POST", "/v1/search", json={"query": query, "top_k": 50, **body})
    assert response.status_code == 200, response.text
    return [hit["document_id"] for hit in response.json()["results"]]


def ask_ids(world: CurationWorld, caller: str, query: str) -> set[str]:
    response = world.call(caller, "POST", "/v1/ask", json={"query": query, "top_k": 20})
    assert response.status_code == 200, response.text
    body = response.json()
    return {c["document_id"] for c in body["citations"]} | {
        p["document_id"] for p in body["passages"]
    }


def listed_ids(world: CurationWorld, caller: str) -> set[str]:
    response = world.call(caller, "GET", "/v1/documents?limit=500")
    assert response.status_code == 200, response.text
    return {document["document_id"] for document in response.json()["documents"]}


def audit_entries(world: CurationWorld, target: str) -> list[dict[str, Any]]:
    response = world.call("buero", "GET", "/v1/admin/audit?limit=500")
    assert response.status_code == 200
    return [entry for entry in response.json()["entries"] if entry["target"] == target]


def readable(world: CurationWorld, caller: str, document_id: str) -> dict[str, bool]:
    """Whether each single-document read path lets the caller see the document."""
    missing = {
        path: world.call(caller, "GET", MISSING + path) for path in ("", "/file", "/pages/1")
    }
    seen = {}
    for path, answer in missing.items():
        response = world.call(caller, "GET", f"/v1/documents/{document_id}{path}")
        if response.status_code == 404:
            assert answer_body(response) == answer_body(answer)  # invisible answers like missing
        else:
            assert response.status_code == 200, response.text
        seen[path or "/"] = response.status_code == 200
    return seen


def test_visibility_change_holds_for_the_next_query(world: CurationWorld) -> None:
    document_id, query = world.ids["ringdokument"], "Was macht das Jobcenter Kupferkessel?"
    everywhere = {"/": True, "/file": True, "/pages/1": True}
    nowhere = {"/": False, "/file": False, "/pages/1": False}
    assert document_id in search_ids(world, "leser-vr1", query)
    assert document_id in ask_ids(world, "leser-vr1", query)
    assert document_id in listed_ids(world, "leser-vr1")
    assert readable(world, "leser-vr1", document_id) == everywhere
    assert document_id not in search_ids(world, "leser-vr2", query)
    assert readable(world, "leser-vr2", document_id) == nowhere

    response = world.call(
        "buero", "PATCH", f"/v1/documents/{document_id}", json={"visibility": "ring:VR 2"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["visibility"] == "ring:vr2"

    assert document_id not in search_ids(world, "leser-vr1", query)
    assert document_id not in ask_ids(world, "leser-vr1", query)
    assert document_id not in listed_ids(world, "leser-vr1")
    assert readable(world, "leser-vr1", document_id) == nowhere
    assert document_id in search_ids(world, "leser-vr2", query)
    assert document_id in listed_ids(world, "leser-vr2")
    assert readable(world, "leser-vr2", document_id) == everywhere
    store = context_of(world.client).store
    assert store.count([FieldMatch("visibility", ("ring:vr2",))]) > 0
    assert store.count([FieldMatch("visibility", ("ring:vr1",))]) == 0

    (entry,) = [e for e in audit_entries(world, document_id) if e["action"] == "document.edit"]
    assert entry["actor"] == "account:buero"
    assert entry["before"]["visibility"] == "ring:vr1"
    assert entry["after"]["visibility"] == "ring:vr2"


def test_editing_metadata_changes_the_payload_not_the_vectors(world: CurationWorld) -> None:
    document_id, query = world.ids["bearbeiten"], "Was macht das Jobcenter Leuchtturmwärter?"
    context = context_of(world.client)

    def scores() -> dict[str, list[float]]:
        found = {}
        for mode in ("dense", "sparse"):
            request = SearchRequest(query=query, top_k=50)
            hits = search_response(
                context.searcher,
                request,
                mode=mode,  # type: ignore[arg-type]
            ).results
            found[mode] = [hit.score for hit in hits if hit.document_id == document_id]
        return found

    before = scores()
    assert before["dense"] and before["sparse"]
    assert (
        "date" not in world.call("buero", "GET", f"/v1/documents/{document_id}").json()["inferred"]
    )
    changes = {
        "title": "Leuchtturmwärter: Abschlussbericht",
        "kind": "evaluationsbericht",
        "date": "2021-05",
        "topics": ["Coaching", "Leuchtturmwärter"],
        "job_centre": "Jobcenter Nordsee",
    }
    response = world.call("buero", "PATCH", f"/v1/documents/{document_id}", json=changes)
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["title"] == changes["title"] and detail["kind"] == "evaluationsbericht"
    assert detail["date"] == "2021-05-01" and detail["year"] == 2021
    assert detail["visibility"] == "programme"  # not named: unchanged
    assert scores() == before  # the same vectors: the same scores

    filters = {"kind": ["evaluationsbericht"], "year_from": 2021, "year_to": 2021}
    body = world.call(
        "leser-vr1", "POST", "/v1/search", json={"query": query, "top_k": 50, "filters": filters}
    ).json()
    hits = [hit for hit in body["results"] if hit["document_id"] == document_id]
    assert hits and all(hit["title"] == changes["title"] for hit in hits)
    for key, value in (("topic_keys", "coaching"), ("job_centre_key", "jobcenter nordsee")):
        assert context.store.count(
            [FieldMatch(key, (value,)), FieldMatch("document_id", (document_id,))]
        )
    registry = context.registry.documents.get(document_id)
    assert registry is not None and registry.title == changes["title"]
    assert "title" not in registry.metadata["inferred"]

    # Ingesting the same file again keeps the edits.
    runner = IngestRunner(world.settings, context.store, context.registry)
    entry = runner.ingest_file(world.corpus / "bearbeiten.md", world.corpus)
    runner.close()
    assert entry.status == "unchanged"
    assert (
        world.call("buero", "GET", f"/v1/documents/{document_id}").json()["title"]
        == (changes["title"])
    )

    (entry,) = [e for e in audit_entries(world, document_id) if e["action"] == "document.edit"]
    assert entry["before"]["kind"] == "protokoll" and entry["after"]["kind"] == "evaluationsbericht"
    assert entry["before"]["title"] == "Bericht Leuchtturmwärter"


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        ({"kind": "roman"}, "kind", "protokoll"),
        ({"visibility": "geheim"}, "visibility", "public, programme, office"),
        ({"date": "14.5.2019"}, "date", "YYYY-MM-DD"),
        ({"ring": "Ring A"}, "ring", "vr3"),
        ({"title": "  "}, "title", "empty"),
        ({"colour": "rot"}, "colour", "xtra"),
        ({}, None, "at least one field"),
    ],
)
def test_invalid_edits_are_refused_with_the_field(
    world: CurationWorld, body: dict[str, Any], field: str | None, hint: str
) -> None:
    document_id = world.ids["bearbeiten"]
    response = world.call("buero", "PATCH", f"/v1/documents/{document_id}", json=body)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == field
    assert hint in detail["message"]


def test_withdraw_hides_everywhere_and_restore_brings_it_back(world: CurationWorld) -> None:
    document_id, query = world.ids["zurueckziehen"], "Was macht das Jobcenter Seidenraupenzucht?"
    base = f"/v1/documents/{document_id}"
    assert document_id in search_ids(world, "leser-vr1", query)
    response = world.call("buero", "POST", f"{base}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert world.call("buero", "POST", f"{base}/withdraw").status_code == 409

    for caller in ("leser-vr1", "buero"):
        assert document_id not in search_ids(world, caller, query)
        assert document_id not in ask_ids(world, caller, query)
    assert document_id not in listed_ids(world, "leser-vr1")
    assert readable(world, "leser-vr1", document_id) == {
        "/": False,
        "/file": False,
        "/pages/1": False,
    }
    # The office still sees it, marked, to restore or delete it.
    office_list = world.call("buero", "GET", "/v1/documents?limit=500").json()["documents"]
    assert {d["document_id"]: d["status"] for d in office_list}[document_id] == "withdrawn"
    assert world.call("buero", "GET", base).json()["status"] == "withdrawn"
    context = context_of(world.client)
    assert context.store.count([FieldMatch("document_id", (document_id,))]) > 0

    # Ingesting the same file again does not bring it back.
    runner = IngestRunner(world.settings, context.store, context.registry)
    entry = runner.ingest_file(world.corpus / "zurueckziehen.md", world.corpus)
    runner.close()
    assert entry.status == "held" and entry.document_id == document_id
    assert context.registry.documents.get(document_id).status == "withdrawn"  # type: ignore[union-attr]

    response = world.call("buero", "POST", f"{base}/restore")
    assert response.status_code == 200 and response.json()["status"] == "indexed"
    assert world.call("buero", "POST", f"{base}/restore").status_code == 409
    assert document_id in search_ids(world, "leser-vr1", query)
    assert document_id in listed_ids(world, "leser-vr1")

    actions = [
        (e["action"], e["before"]["status"], e["after"]["status"])
        for e in audit_entries(world, document_id)
    ]
    assert actions == [
        ("document.restore", "withdrawn", "indexed"),
        ("document.withdraw", "indexed", "withdrawn"),
    ]


def test_delete_leaves_no_chunk(world: CurationWorld) -> None:
    document_id = world.ids["loeschen"]
    context = context_of(world.client)
    chunks = context.store.count([FieldMatch("document_id", (document_id,))])
    assert chunks > 0
    predecessor = world.ids["kommandozeile"]
    supersede = f"/v1/documents/{predecessor}/supersede"
    assert world.call("buero", "POST", supersede, json={"successor_id": document_id}).is_success
    response = world.call("buero", "DELETE", f"/v1/documents/{document_id}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "document_id": document_id,
        "title": "Bericht Mondfinsternis",
        "chunks_removed": chunks,
        "chunks_left": 0,
    }
    assert context.store.count([FieldMatch("document_id", (document_id,))]) == 0
    assert world.call("buero", "GET", f"/v1/documents/{document_id}").status_code == 404
    assert world.call("buero", "DELETE", f"/v1/documents/{document_id}").status_code == 404
    # The document it superseded loses the mark.
    assert world.call("buero", "GET", f"/v1/documents/{predecessor}").json()["superseded"] is False
    assert context.store.count([FieldMatch("superseded_by", (document_id,))]) == 0
    (entry,) = audit_entries(world, document_id)
    assert entry["action"] == "document.delete" and entry["actor"] == "account:buero"
    assert entry["before"]["title"] == "Bericht Mondfinsternis" and entry["after"] is None


def test_superseded_documents_rank_below_their_successor(world: CurationWorld) -> None:
    old, new, secret = (world.ids[s] for s in ("alte-fassung", "neue-fassung", "geheime-fassung"))
    query = "Wie regelt die alte Fassung die Förderung von Walnussbaum-Projekten im Jahr 2020?"

    def ranking(caller: str) -> list[dict[str, Any]]:
        response = world.call(caller, "POST", "/v1/search", json={"query": query, "top_k": 50})
        return [hit for hit in response.json()["results"] if hit["document_id"] in (old, new)]

    before = ranking("anonymous")
    assert before[0]["document_id"] == old  # the old version matches the question best
    assert not before[0]["superseded"]

    response = world.call(
        "buero", "POST", f"/v1/documents/{old}/supersede", json={"successor_id": new}
    )
    assert response.status_code == 200, response.text
    assert response.json()["superseded_by"] == new

    after = ranking("anonymous")
    order = [hit["document_id"] for hit in after]
    assert order.index(old) > max(i for i, d in enumerate(order) if d == new)
    old_before = {hit["chunk_id"]: hit["score"] for hit in before if hit["document_id"] == old}
    lowest_new = min(hit["score"] for hit in after if hit["document_id"] == new)
    for hit in after:
        if hit["document_id"] == old:
            assert hit["superseded"] and hit["superseded_by"] == new
            assert hit["superseded_by_title"] == "Bericht Walnussbaum (neu)"
            expected = min(old_before[hit["chunk_id"]] * 0.5, lowest_new)
            assert hit["score"] == pytest.approx(expected, abs=1e-5)
        else:
            assert not hit["superseded"]
    answer = world.call("anonymous", "POST", "/v1/ask", json={"query": query}).json()
    for citation in answer["citations"] + answer["passages"]:
        assert citation["superseded"] == (citation["document_id"] == old)

    # Refused: itself, an unknown successor, a cycle; readers and anonymous callers.
    supersede = f"/v1/documents/{new}/supersede"
    assert world.call("buero", "POST", supersede, json={"successor_id": new}).status_code == 409
    assert world.call("buero", "POST", supersede, json={"successor_id": old}).status_code == 409
    unknown = world.call("buero", "POST", supersede, json={"successor_id": "ffffffffffffffff"})
    assert (
        unknown.status_code == 422
        and unknown.json()["error"]["details"][0]["field"] == "successor_id"
    )
    assert world.call("leser-vr1", "POST", supersede, json={"successor_id": old}).status_code == 403
    assert world.call("anonymous", "POST", supersede, json={"successor_id": old}).status_code == 401

    # A successor the caller may not see is never named.
    response = world.call(
        "buero", "POST", f"/v1/documents/{old}/supersede", json={"successor_id": secret}
    )
    assert response.status_code == 200, response.text
    body = world.call("anonymous", "POST", "/v1/search", json={"query": query, "top_k": 50}).text
    assert secret not in body and "Sternschnuppe" not in body and '"superseded":true' in body
    listed = world.call("anonymous", "GET", "/v1/documents").json()["documents"]
    (shown,) = [d for d in listed if d["document_id"] == old]
    assert shown["superseded"] and shown["superseded_by"] is None
    assert world.call("buero", "GET", f"/v1/documents/{old}").json()["superseded_by"] == secret

    response = world.call("buero", "DELETE", f"/v1/documents/{old}/supersede")
    assert response.status_code == 200 and response.json()["superseded"] is False
    assert world.call("buero", "DELETE", f"/v1/documents/{old}/supersede").status_code == 409
    assert [hit["document_id"] for hit in ranking("anonymous")] == [
        h["document_id"] for h in before
    ]
    actions = [e["action"] for e in audit_entries(world, old)]
    assert actions == ["document.unsupersede", "document.supersede", "document.supersede"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "", {"kind": "protokoll"}),
        ("POST", "/withdraw", None),
        ("POST", "/restore", None),
        ("DELETE", "", None),
        ("POST", "/supersede", {"successor_id": "0000000000000000"}),
        ("DELETE", "/supersede", None),
    ],
)
def test_curation_is_for_the_office(
    world: CurationWorld, method: str, path: str, body: dict[str, Any] | None
) -> None:
    url = f"/v1/documents/{world.ids['neue-fassung']}{path}"
    assert world.call("anonymous", method, url, json=body).status_code == 401
    assert world.call("leser-vr1", method, url, json=body).status_code == 403
    missing = world.call("admin", method, f"{MISSING}{path}", json=body)
    assert missing.status_code == 404, missing.text


def test_the_command_line_withdraws_while_the_service_runs(
    world: CurationWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    document_id, query = world.ids["kommandozeile"], "Was macht das Jobcenter Zitronenfalter?"
    data_dir = str(world.settings.data_dir)
    assert main(["--data-dir", data_dir, "documents", "withdraw", document_id]) == 0
    assert "withdrawn" in capsys.readouterr().out
    assert document_id not in search_ids(world, "leser-vr1", query)
    assert main(["--data-dir", data_dir, "documents", "withdraw", document_id]) != 0

    # `--prune` leaves a withdrawn document to the office, even when its file is gone.
    context = context_of(world.client)
    moved = world.corpus / "kommandozeile.md"
    kept = moved.read_bytes()
    moved.unlink()
    try:
        sources = world.settings.data_dir / "sources"
        assert prune_missing(context.store, context.registry, sources, [world.corpus]) == []
    finally:
        moved.write_bytes(kept)
    assert context.registry.documents.get(document_id) is not None

    assert main(["--data-dir", data_dir, "documents", "restore", document_id]) == 0
    assert document_id in search_ids(world, "leser-vr1", query)
    actions = [(entry["action"], entry["actor"]) for entry in audit_entries(world, document_id)]
    assert actions[:2] == [
        ("document.restore", actions[0][1]),
        ("document.withdraw", actions[0][1]),
    ]
    assert actions[0][1].startswith("cli:")


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [("ring=Ring A", 400, "ring"), ("kind=roman", 422, "kind"), ("limit=0", 422, "limit")],
)
def test_wrong_list_filters_are_refused(
    world: CurationWorld, query: str, status: int, field: str
) -> None:
    response = world.call("leser-vr1", "GET", f"/v1/documents?{query}")
    assert response.status_code == status, response.text
    assert field in response.json()["error"]["details"][0]["field"]
