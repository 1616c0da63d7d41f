"""The learned answer-sentence ranker, the answer's shape and abstention, on the demo corpus.

Real model, real store, the committed answer model: the four questions of issue 12 whose old
answers quoted the wrong sentence, and off-domain questions the answerability classifier never
saw in its calibration (`evaluation/gold/off_domain.jsonl`, split `held_out`).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from haystack import Document

from evaluation.datasets import load_off_domain_questions
from pipelines.answers.patterns import defines, definition_subject, is_logistics, question_kind
from pipelines.components.builders.sentence_selector import SentenceSelector
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker
from pipelines.components.preprocessors.passage_sentence_splitter import passage_sentences


def ask(client: TestClient, query: str) -> dict[str, Any]:
    response = client.post("/v1/ask", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_question_kinds() -> None:
    assert question_kind("Wann hat das Jobcenter Hamm sein Stadtteilbüro eröffnet?") == "date"
    assert question_kind("Wie viele Haushalte wechselten ins Wohngeld?") == "number"
    assert question_kind("Was ist ein Kooperationsplan?") == "definition"
    assert question_kind("Wer koordiniert die Arbeitsgruppe?") == "who"
    assert question_kind("Was hat VR 3 2019 zur Sozialraumorientierung vereinbart?") == "agreement"
    assert (
        question_kind("Wie binden andere Jobcenter Arbeitgeber bei der Integration ein?")
        == "practice"
    )
    assert is_logistics("Die 3. Sitzung des Vergleichsrings 3 findet am 24. September statt.")
    assert not is_logistics("Der Kooperationsplan ersetzt die Eingliederungsvereinbarung.")


def test_stored_sentence_spans_give_the_same_quotes_as_splitting_on_the_fly() -> None:
    text = (
        "TOP 3 Vereinbarungen\n\nDie Mitglieder vereinbaren z. B. eine Checkliste. Der Ring "
        "trifft sich am 1. Juli 2024 wieder.\n- Solingen erstellt bis Mai einen Entwurf\n"
    )
    chunk = GermanSentenceChunker().run(
        documents=[Document(content=text, meta={"document_id": "d", "page": 1})]
    )["documents"][0]
    assert [text[s:e] for s, e in chunk.meta["sentence_spans"]] == [
        "Die Mitglieder vereinbaren z. B. eine Checkliste.",
        "Der Ring trifft sich am 1. Juli 2024 wieder.",
        "- Solingen erstellt bis Mai einen Entwurf",
    ]
    legacy = Document(
        content=chunk.content,
        meta={k: v for k, v in chunk.meta.items() if k != "sentence_spans"},
    )
    stored, split = passage_sentences(chunk, 4), passage_sentences(legacy, 4)
    assert [(s.content, s.meta["start_offset"]) for s in stored] == [
        (s.content, s.meta["start_offset"]) for s in split
    ]
    assert stored[-1].content == "Solingen erstellt bis Mai einen Entwurf"
    assert stored[-1].meta["list_item"] is True
    assert all(text[s.meta["start_offset"] : s.meta["end_offset"]] == s.content for s in stored)


def test_selector_never_quotes_more_than_the_settings_allow() -> None:
    def sentence(document_id: str, score: float, offset: int, section: str = "") -> Document:
        meta = {"document_id": document_id, "page": 1, "start_offset": offset, "section": section}
        return Document(content=f"Satz {offset} mit vier Worten.", meta=meta, score=score)

    ranked = [sentence("a", 0.9, 1), sentence("a", 0.85, 2), sentence("b", 0.8, 3)]
    ranked += [sentence("c", 0.7, 4), sentence("a", 0.6, 5)]
    selector = SentenceSelector(max_sentences=2, sentences_per_document=2, relevance_margin=0.5)
    assert [s.meta["start_offset"] for s in selector.run(documents=ranked)["documents"]] == [1, 2]
    practice = SentenceSelector(max_sentences=3, relevance_margin=0.5).run(
        documents=ranked, kind="practice"
    )["documents"]
    assert [s.meta["document_id"] for s in practice] == ["a", "b", "c"]
    agreements = [sentence("p", 0.9 - i / 10, 10 - i, "TOP 6 Vereinbarungen") for i in range(8)]
    listed = SentenceSelector(max_list_items=5).run(documents=agreements, kind="agreement")
    assert [s.meta["start_offset"] for s in listed["documents"]] == [6, 7, 8, 9, 10]


def test_agreement_list_keeps_whole_items_in_order_and_stops_at_an_item_boundary() -> None:
    def line(index: int, words: int, score: float, *, item: bool = True) -> Document:
        text = f"Vereinbarung Nr. {index}: " + " ".join(["Wort"] * (words - 3)) + "."
        if not item:
            text = " ".join(["Folgesatz"] * words) + "."
        meta = {
            "document_id": "p",
            "page": 1,
            "start_offset": index * 100 + (0 if item else 50),
            "section": "TOP 6 Vereinbarungen",
            "list_item": item,
            "passage_rank": 0,
            "sentence_index": 2 * index + (0 if item else 1),
        }
        return Document(content=text, meta=meta, score=score)

    lead_in = Document(
        content="Der Ring hat folgende Vereinbarungen getroffen:",
        meta={"document_id": "p", "page": 1, "start_offset": 1, "section": "TOP 6 Vereinbarungen"},
        score=0.95,
    )
    items = [line(1, 30, 0.5), line(2, 25, 0.9), line(3, 20, 0.8), line(4, 30, 0.7)]
    follow_up = line(2, 10, 0.2, item=False)  # a second sentence of item 2
    ranked = sorted([lead_in, follow_up, *items], key=lambda s: -(s.score or 0))

    def offsets(max_words: int, max_list_items: int = 5, kind: str = "agreement") -> list[int]:
        selector = SentenceSelector(max_words=max_words, max_list_items=max_list_items)
        chosen = selector.run(documents=ranked, kind=kind)["documents"]
        return [s.meta["start_offset"] for s in chosen]

    # 30 + (25 + 10) + 20 = 85 words: items 1 to 3 whole, item 4 (30) would pass 100
    assert offsets(100) == [100, 200, 250, 300]
    # items 1 and 2 (65) pass 60, so the list starts at item 2, the best, and adds item 3 (55)
    assert offsets(60) == [200, 250, 300]
    assert offsets(40) == [200, 250]  # item 3 would pass 40: the list stops there
    assert offsets(400, max_list_items=2) == [100, 200, 250]  # two items, the second whole
    late = sorted([lead_in, *items[:3], line(4, 30, 0.99)], key=lambda s: -(s.score or 0))
    chosen = SentenceSelector(max_words=60).run(documents=late, kind="agreement")["documents"]
    assert [s.meta["start_offset"] for s in chosen] == [300, 400]  # slides on to the best item


@pytest.mark.model
def test_key_figures_question_quotes_no_meeting_logistics(demo_client: TestClient) -> None:
    body = ask(demo_client, "Welche Kennzahlen werden im Vergleichsring besprochen?")
    assert body["abstained"] is False
    assert not any(is_logistics(c["quote"]) for c in body["citations"])


def test_definition_subjects_and_defining_sentences() -> None:
    assert definition_subject("Was ist ein Kooperationsplan?") == "Kooperationsplan"
    assert definition_subject("Was versteht man unter dem Bürgergeld?") == "Bürgergeld"
    assert definition_subject("Was bedeutet „Sozialraumorientierung“?") == "Sozialraumorientierung"
    assert definition_subject("Wann tagt der Ring?") is None
    subject = "Kooperationsplan"
    assert defines(subject, "Ab Juli ersetzt der Kooperationsplan (§ 15 SGB II) die EGV.")
    assert defines(subject, "Der Kooperationsplan ist ein gemeinsames Arbeitsinstrument.")
    assert defines(subject, "Unter einem Kooperationsplan versteht man eine Absprache.")
    assert not defines(subject, "Bis Ende Januar 2023 wurden 184 Kooperationspläne erstellt.")
    assert not defines(subject, "Das Forum fragte, wie der Kooperationsplan eingeführt wird.")


@pytest.mark.model
def test_definition_question_quotes_what_it_is(demo_client: TestClient) -> None:
    body = ask(demo_client, "Was ist ein Kooperationsplan?")
    first = body["citations"][0]["quote"]
    assert "Kooperationsplan" in first
    assert "ersetzt" in first or " ist " in first
    assert not first.startswith("Das Forum befasste sich")


@pytest.mark.model
def test_practice_question_gives_one_sentence_per_document(demo_client: TestClient) -> None:
    body = ask(
        demo_client,
        "Wie binden andere Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?",
    )
    documents = [c["document_id"] for c in body["citations"]]
    assert documents and len(documents) == len(set(documents))
    assert (
        body["citations"][0]["source_name"] == "praxisbeispiel-emsland-arbeitgeber-gefluechtete.md"
    )
    assert not body["citations"][0]["quote"].startswith("Viele Unternehmen riefen")


@pytest.mark.model
def test_agreement_question_lists_the_protocols_agreements(demo_client: TestClient) -> None:
    body = ask(demo_client, "Was hat VR 3 2019 zur Sozialraumorientierung vereinbart?")
    assert body["answer"].startswith("Vereinbarungen laut VR 3 (2019):\n- „")
    assert len(body["citations"]) >= 2
    assert {c["source_name"] for c in body["citations"]} == {"vr3-protokoll-2019-sozialraum.pdf"}
    assert all(c["quote"].startswith("Vereinbarung Nr.") for c in body["citations"])


@pytest.mark.model
def test_off_domain_questions_abstain_and_answers_carry_confidence(
    demo_client: TestClient,
) -> None:
    held_out = load_off_domain_questions("held_out")
    sample = held_out[::6]
    abstained = [ask(demo_client, q) for q in sample]
    assert sum(b["abstained"] for b in abstained) >= len(sample) - 1
    assert all(0.0 <= b["confidence"] <= 1.0 for b in abstained)
    assert all(b["citations"] == [] for b in abstained if b["abstained"])
    answered = ask(demo_client, "Wann hat das Jobcenter Hamm sein Stadtteilbüro eröffnet?")
    assert answered["abstained"] is False
    assert max(b["confidence"] for b in abstained) < answered["confidence"] <= 1.0
    assert "1. September 2018" in answered["citations"][0]["quote"]
