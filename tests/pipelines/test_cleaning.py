"""Cleaning exported pages: line numbers, list markers, hyphenation; offsets stay exact."""

import re

import pytest
from haystack import Document

from core.errors import ProcessingTimeoutError
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker
from pipelines.components.preprocessors.page_cleaner import PageCleaner, clean_page_text
from pipelines.deadline import Deadline
from pipelines.text.page_layout import is_line_numbered
from tests.support.helpers import FIXTURES

LINE_NUMBERED = (FIXTURES / "zeilennummern-evaluationsbericht.txt").read_text(encoding="utf-8")


def test_line_numbers_of_a_line_numbered_document_are_removed() -> None:
    text = clean_page_text(LINE_NUMBERED)
    lines = text.split("\n")
    assert lines[0] == "Evaluationsbericht Jobcenter Landkreis Musterhausen"
    assert "1. Ausgangslage" in lines and "2. Ergebnisse" in lines
    assert not any(re.match(r"[0-9]+( |$)", line) for line in lines)
    assert "- die Beratung und Vermittlung der Leistungsberechtigten," in lines


def test_hyphenation_is_joined_but_real_hyphens_stay() -> None:
    text = clean_page_text(LINE_NUMBERED)
    assert "die Eingliederungsleistungen, die" in text
    assert "Verbesserungsbedarf" in text
    assert "SGB-II-Leistungen" in text
    assert "Arbeitgeber- und Arbeitnehmerservice" in text
    assert "Die Arbeitgeber-\nund Arbeitnehmerberatung" in text


def test_a_numbered_list_in_an_ordinary_document_keeps_its_numbers() -> None:
    page = (
        "Protokoll der Sitzung\n\n1. Grundsätze\nDie Städte arbeiten zusammen.\n"
        "2. Personal\nDas Personal bleibt bei den Städten.\n3. Budget\n"
        "Das Budget verwaltet der Kreis.\n2019 wurde die Satzung geändert."
    )
    lines = page.split("\n")
    assert not is_line_numbered(lines)
    assert clean_page_text(page) == page


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("• Beratung", "- Beratung"),
        ("▪ Beratung", "- Beratung"),
        ("\uf0b7 Beratung", "- Beratung"),
        ("– Beratung", "- Beratung"),
        ("* Beratung", "- Beratung"),
        ("o Beratung", "- Beratung"),
        ("(a) Beratung", "a) Beratung"),
        ("b)  Beratung", "b) Beratung"),
        ("(1) Der Kreis ist Träger.", "(1) Der Kreis ist Träger."),
        ("**3. Budget**", "3. Budget"),
        ("**fett** und normal", "**fett** und normal"),
        ("-10 % gegenüber dem Vorjahr", "-10 % gegenüber dem Vorjahr"),
        ("ohne Marker", "ohne Marker"),
    ],
)
def test_list_markers_are_normalised(line: str, expected: str) -> None:
    assert clean_page_text(f"Liste:\n{line}") == f"Liste:\n{expected}"


def test_a_bullet_alone_on_its_line_joins_the_next_line() -> None:
    assert clean_page_text("Liste:\n•\nBeratung\n•\nVermittlung") == (
        "Liste:\n- Beratung\n- Vermittlung"
    )


def test_chunks_of_a_cleaned_line_numbered_page_cite_it_exactly() -> None:
    meta = {"document_id": "doc1", "title": "T", "source_name": "t.txt", "page": 1}
    cleaned = PageCleaner().run(documents=[Document(content=LINE_NUMBERED, meta=meta)])
    page = cleaned["documents"][0]
    chunks = GermanSentenceChunker(max_words=40).run(documents=[page])["documents"]
    assert len(chunks) > 2
    for chunk in chunks:
        assert page.content[chunk.meta["start_offset"] : chunk.meta["end_offset"]] == chunk.content
        assert not re.match(r"[0-9]+ ", chunk.content)
    assert any(chunk.meta["section"].endswith("1. Ausgangslage") for chunk in chunks)


def test_a_short_page_of_a_line_numbered_document_loses_its_numbers_too() -> None:
    meta = {"document_id": "doc1", "title": "T", "source_name": "t.pdf"}
    short = "21 Die Teams berichten dem Vorstand.\n22 Ende des Berichts."
    texts = [LINE_NUMBERED, LINE_NUMBERED, short]
    pages = [Document(content=t, meta={**meta, "page": n}) for n, t in enumerate(texts, start=1)]
    cleaned = PageCleaner().run(documents=pages)["documents"]
    assert cleaned[-1].content == "Die Teams berichten dem Vorstand.\nEnde des Berichts."
    other = [Document(content=short, meta={**meta, "document_id": "doc2", "page": 1})]
    assert PageCleaner().run(documents=other)["documents"][0].content == short


def test_the_first_line_of_a_wrapped_paragraph_is_no_heading() -> None:
    page = (
        "Bericht des Jobcenters\n\n"
        "Die Besetzung der Leitung des Fachbereichs Jobcenter und der Bezirksstellen erfolgt im\n"
        "Benehmen mit dem Vorstand. Der Vorstand tagt monatlich in der Kreisverwaltung und berät\n"
        "über alle Fragen der Steuerung.\n\n3. Budget\n\nDas Budget verwaltet der Kreis."
    )
    meta = {"document_id": "doc1", "title": "T", "source_name": "t.txt", "page": 1}
    chunks = GermanSentenceChunker().run(documents=[Document(content=page, meta=meta)])
    sections = [chunk.meta["section"] for chunk in chunks["documents"]]
    assert sections == ["Bericht des Jobcenters", "Bericht des Jobcenters > 3. Budget"]


def test_a_huge_page_stops_while_it_is_cleaned_once_the_time_is_up() -> None:
    page = "Das Jobcenter berät Arbeitgeber.\n" * 400_000  # 13 MB on one page
    passed = Deadline(0.0)  # checked between the passes over the lines of the one page
    with pytest.raises(ProcessingTimeoutError, match="while cleaning the pages"):
        PageCleaner().run(
            documents=[Document(content=page, meta={"document_id": "d"})], deadline=passed
        )
