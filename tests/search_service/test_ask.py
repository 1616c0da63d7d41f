"""`/v1/ask`: extractive answers whose every quote is verified, and honest abstention."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from haystack import Document

from pipelines.components.builders.extractive_answer_composer import ExtractiveAnswerComposer
from pipelines.components.validators.citation_verifier import CitationVerifier, quote_is_verbatim


def ask(client: TestClient, query: str, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/ask", json={"query": query, **body})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.model
def test_answer_quotes_verbatim_with_numbered_citations(demo_client: TestClient) -> None:
    context = demo_client.app.state.context  # type: ignore[attr-defined]
    body = ask(
        demo_client,
        "Wie binden andere Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?",
    )
    assert body["abstained"] is False and body["mode"] == "extractive"
    assert body["citations"] and body["passages"]
    assert len(body["answer"].split()) <= 160
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])]
    assert numbers == [c["n"] for c in body["citations"]] == list(range(1, len(numbers) + 1))
    for citation in body["citations"]:
        page_text = context.registry.documents.page_text(citation["document_id"], citation["page"])
        assert page_text[citation["start_offset"] : citation["end_offset"]] == citation["quote"]
        assert " ".join(citation["quote"].split()) in body["answer"]
        assert (
            citation["url"]
            == f"/v1/documents/{citation['document_id']}/file#page={citation['page']}"
        )
    sources = {c["source_name"] for c in body["citations"]}
    assert "praxisbeispiel-emsland-arbeitgeber-gefluechtete.md" in sources


def test_answers_from_several_documents_name_each_source() -> None:
    def sentence(document_id: str, text: str, offset: int, **meta: Any) -> Document:
        fields = {"document_id": document_id, "page": 1, "start_offset": offset, **meta}
        return Document(content=text, meta=fields)

    ring = {"kind": "protokoll", "ring": "vr3", "date": "2019-05-14"}
    centre = {"kind": "praxisbeispiel", "job_centre": "Landkreis Emsland", "date": "2023-05-15"}
    chosen = [
        sentence("a", "Der Ring vereinbarte\nIndikatoren.", 40, **ring),
        sentence("b", "Das Jobcenter setzt Lotsen ein.", 10, **centre),
        sentence("a", "Eine Checkliste folgt.", 5, **ring),
    ]
    result = ExtractiveAnswerComposer(min_confidence=0.5).run(documents=chosen, confidence=0.9)
    assert result["abstained"] is False
    assert result["answer"] == (  # the best sentence first, its source's other quote beside it
        "Mehrere Quellen äußern sich dazu. VR 3 (2019): „Der Ring vereinbarte Indikatoren.“ [1] "
        "„Eine Checkliste folgt.“ [2]; Landkreis Emsland (2023): "
        "„Das Jobcenter setzt Lotsen ein.“ [3]"
    )
    assert [doc.meta["document_id"] for doc in result["citations"]] == ["a", "a", "b"]
    listed = ExtractiveAnswerComposer(min_confidence=0.5).run(
        documents=chosen[:1] + chosen[2:], confidence=0.9, kind="agreement"
    )
    assert listed["answer"] == (
        "Vereinbarungen laut VR 3 (2019):\n- „Der Ring vereinbarte Indikatoren.“ [1]\n"
        "- „Eine Checkliste folgt.“ [2]"
    )
    low = ExtractiveAnswerComposer(min_confidence=0.95).run(documents=chosen, confidence=0.9)
    assert low["abstained"] is True and low["citations"] == []


@pytest.mark.model
def test_filters_apply_to_answers(demo_client: TestClient) -> None:
    body = ask(demo_client, "Was wurde zum Arbeitgeberservice vereinbart?", filters={"ring": "vr1"})
    assert body["citations"]
    assert {c["ring"] for c in body["citations"]} == {"vr1"}
    assert {p["ring"] for p in body["passages"]} == {"vr1"}


@pytest.mark.model
def test_unanswerable_question_abstains_and_is_recorded(demo_client: TestClient) -> None:
    context = demo_client.app.state.context  # type: ignore[attr-defined]
    question = "Wie hoch ist das Wohngeld für Studierende in München?"
    body = ask(demo_client, question)
    assert body["abstained"] is True
    assert body["citations"] == []
    assert "keine verlässliche Quelle" in body["answer"]
    logged = context.query_log.entries(limit=500)
    assert any(entry.query == question and entry.abstained for entry in logged)
    gaps = context.query_log.gaps(weak_score=0.0)
    assert any(gap.question == question.casefold() for gap in gaps)


@pytest.mark.model
def test_a_forged_offset_is_never_returned(demo_client: TestClient) -> None:
    context = demo_client.app.state.context  # type: ignore[attr-defined]
    citation = ask(demo_client, "Was hat VR 3 2019 zur Sozialraumorientierung vereinbart?")[
        "citations"
    ][0]
    meta = {key: citation[key] for key in ("document_id", "page", "start_offset", "end_offset")}
    genuine = Document(content=citation["quote"], meta=meta)
    shifted = Document(
        content=citation["quote"],
        meta={
            **meta,
            "start_offset": meta["start_offset"] + 1,
            "end_offset": meta["end_offset"] + 1,
        },
    )
    wrong_page = Document(content=citation["quote"], meta={**meta, "page": meta["page"] + 7})
    altered = Document(content=citation["quote"].replace("e", "a", 1), meta=meta)
    verifier = CitationVerifier(page_text=context.registry.documents.page_text)
    result = verifier.run(documents=[genuine, shifted, wrong_page, altered])
    assert result["documents"] == [genuine]
    assert result["rejected"] == 3


def test_quote_check_rejects_empty_and_out_of_range_spans() -> None:
    assert quote_is_verbatim("Ein Satz.", "Ein Satz.", 0, 9)
    assert not quote_is_verbatim("Ein Satz.", "", 0, 0)
    assert not quote_is_verbatim("Ein Satz.", "Satz.", 4, 99)
    assert not quote_is_verbatim(None, "Satz.", 4, 9)


@pytest.mark.model
def test_citation_url_opens_the_original_file(demo_client: TestClient) -> None:
    citation = ask(demo_client, "Was hat VR 3 2019 zur Sozialraumorientierung vereinbart?")[
        "citations"
    ][0]
    response = demo_client.get(citation["url"].split("#")[0])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    missing = demo_client.get("/v1/documents/0000000000000000/file")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.model
def test_bad_ask_requests_get_a_4xx(demo_client: TestClient) -> None:
    for body, status in (
        ({}, 422),
        ({"query": " "}, 422),
        ({"query": "x", "top_k": 0}, 422),
        ({"query": "x", "top_k": 9999}, 400),
    ):
        response = demo_client.post("/v1/ask", json=body)
        assert response.status_code == status
        assert set(response.json()) == {"error"}
