"""Every format ingested end to end with the real model and the real embedded store."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.persistence.registry import Registry
from core.settings import Settings
from ingest.report import IngestReport
from ingest.runner import run_ingest
from search_service.context import ServiceContext, build_service_context
from search_service.schemas import SearchRequest, SearchResult
from tests.support import format_fixtures as fixtures
from tests.support.helpers import make_settings, search_response
from tests.support.registry_sql import sql_rows

pytestmark = pytest.mark.model

MAIL_SIDECAR = "kind: protokoll\nring: VR 3\nvisibility: ring:vr3\n"


@pytest.fixture(scope="module")
def formats_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("formats-corpus")
    fixtures.write_docx(corpus / "protokoll.docx")
    fixtures.write_pptx(corpus / "vortrag.pptx")
    fixtures.write_html(corpus / "gute-praxis.html")
    fixtures.mixed_pdf(corpus / "gemischt.pdf")
    fixtures.write_eml(corpus / "sitzung.eml", corpus)
    (corpus / "sitzung.meta.yaml").write_text(MAIL_SIDECAR, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def formats_ingest(
    formats_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, IngestReport]:
    settings = make_settings(tmp_path_factory.mktemp("formats-data"))
    return settings, run_ingest(settings, [formats_corpus])


@pytest.fixture(scope="module")
def context(formats_ingest: tuple[Settings, IngestReport]) -> Iterator[ServiceContext]:
    built_context = build_service_context(formats_ingest[0])
    yield built_context
    built_context.close()


def entries(report: IngestReport) -> dict[str, Any]:
    return {entry.source: entry for entry in report.entries}


def search(context: ServiceContext, query: str, top_k: int = 5) -> list[SearchResult]:
    return search_response(context.searcher, SearchRequest(query=query, top_k=top_k)).results


def test_every_format_is_indexed_and_the_unsupported_attachment_reported(
    formats_ingest: tuple[Settings, IngestReport],
) -> None:
    by_name = entries(formats_ingest[1])
    indexed = {name for name, entry in by_name.items() if entry.status == "indexed"}
    assert indexed == {
        "protokoll.docx",
        "vortrag.pptx",
        "gute-praxis.html",
        "gemischt.pdf",
        "sitzung.eml",
        "sitzung.eml › ergebnisse.pdf",
        "sitzung.eml › protokoll-anlage.docx",
    }
    image = by_name["sitzung.eml › foto.png"]
    assert image.status == "skipped" and image.code == "unsupported_format"
    assert "PNG image" in image.reason
    assert "foto.png" in formats_ingest[1].render()


def test_every_chunk_is_its_page_text_at_its_offsets(context: ServiceContext) -> None:
    for query in ("Geschäftsführerin begrüßt", "Integrationsquote", "Arbeitgeber Geflüchtete"):
        for hit in search(context, query, top_k=20):
            page_text = context.registry.documents.page_text(hit.document_id, hit.page) or ""
            assert page_text[hit.start_offset : hit.end_offset] == hit.text


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_the_report_times_each_file_and_each_extraction_method(
    formats_ingest: tuple[Settings, IngestReport],
) -> None:
    mixed = entries(formats_ingest[1])["gemischt.pdf"]
    assert {method: found["pages"] for method, found in mixed.extraction.items()} == {
        "text": 2,
        "ocr": 1,
    }
    assert 0 < mixed.extraction["text"]["seconds"] < mixed.extraction["ocr"]["seconds"]
    assert mixed.seconds > sum(found["seconds"] for found in mixed.extraction.values())
    assert entries(formats_ingest[1])["gute-praxis.html"].extraction["text"]["pages"] == 1


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_the_scanned_page_is_found_and_recorded_as_ocr(context: ServiceContext) -> None:
    hit = search(context, "Größere Jobcenter öffnen ihre Türen für Arbeitgeber")[0]
    assert hit.source_name == "gemischt.pdf" and hit.page == 2 and hit.extraction == "ocr"
    methods = sql_rows(
        context.registry,
        "SELECT page, method FROM pages WHERE document_id = ? ORDER BY page",
        (hit.document_id,),
    )
    assert [(row["page"], row["method"]) for row in methods] == [
        (1, "text"),
        (2, "ocr"),
        (3, "text"),
    ]


def test_docx_pptx_and_html_passages_carry_their_headings(context: ServiceContext) -> None:
    hits = search(context, fixtures.DOCX_SENTENCE)  # the mail's DOCX attachment says the same
    assert {hit.source_name for hit in hits} >= {"protokoll.docx", "protokoll-anlage.docx"}
    docx = next(hit for hit in hits if hit.source_name == "protokoll.docx")
    assert fixtures.DOCX_SENTENCE in docx.text
    assert docx.section == "Protokoll der Sitzung > TOP 1 Begrüßung"
    slide = search(context, "Integrationsquote stieg um drei Prozentpunkte")[0]
    assert (slide.source_name, slide.page, slide.section) == ("vortrag.pptx", 2, "Ergebnisse")
    html = search(context, fixtures.HTML_SENTENCE)[0]
    assert html.source_name == "gute-praxis.html" and html.section == "Gute Praxis Emsland"
    page = context.registry.documents.page_text(html.document_id, 1) or ""
    assert "Impressum" not in page and "Startseite" not in page


def test_attachments_are_documents_linked_to_their_mail(
    formats_ingest: tuple[Settings, IngestReport], context: ServiceContext
) -> None:
    by_name = entries(formats_ingest[1])
    mail = context.registry.documents.get(by_name["sitzung.eml"].document_id)
    assert mail is not None
    assert mail.title == "Protokoll der Sitzung in Meppen"
    assert mail.metadata["date"] == "2024-03-05"
    for name in ("ergebnisse.pdf", "protokoll-anlage.docx"):
        record = context.registry.documents.get(by_name[f"sitzung.eml › {name}"].document_id)
        assert record is not None and record.source_name == name
        assert record.metadata["parent_document_id"] == mail.document_id
        for field in ("kind", "ring", "visibility"):
            assert record.metadata[field] == mail.metadata[field], field
    hit = search(context, fixtures.PDF_ATTACHMENT_SENTENCE)[0]
    assert hit.source_name == "ergebnisse.pdf" and hit.parent_document_id == mail.document_id
    assert hit.ring == "vr3" and hit.date == "2024-03-05"
    body = search(context, "Kennzahlen zur Integrationsquote bis Ende März übermitteln")[0]
    assert body.document_id == mail.document_id and body.parent_document_id is None


def test_reingesting_a_mail_changes_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    mail = fixtures.write_eml(corpus / "sitzung.eml", tmp_path)
    settings = make_settings(tmp_path / "data")
    first = run_ingest(settings, [mail])
    again = run_ingest(settings, [mail])
    assert [entry.status for entry in first.entries] == ["indexed"] * 3 + ["skipped"]
    assert [entry.status for entry in again.entries] == ["unchanged"] * 3 + ["skipped"]
    registry = Registry.open(settings)
    try:
        assert registry.documents.totals()["documents"] == 3
    finally:
        registry.close()


def test_without_tesseract_the_report_names_the_skipped_pages(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    fixtures.mixed_pdf(corpus / "gemischt.pdf")
    (corpus / "scan.pdf").write_bytes(fixtures.scanned_page_pdf())
    settings = make_settings(
        tmp_path / "data", ocr={"tesseract_command": str(tmp_path / "kein-tesseract")}
    )
    report = run_ingest(settings, [corpus])
    by_name = entries(report)
    mixed, scan = by_name["gemischt.pdf"], by_name["scan.pdf"]
    assert mixed.status == "indexed" and mixed.pages == 2
    assert [page["page"] for page in mixed.skipped_pages] == [2]
    assert "OCR unavailable" in mixed.skipped_pages[0]["reason"]
    assert scan.status == "skipped" and scan.code == "ocr_unavailable"
    assert "page 2 of gemischt.pdf left out: no text layer; OCR unavailable" in report.render()
