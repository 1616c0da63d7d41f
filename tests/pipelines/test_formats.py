"""Every supported format read from real files: OCR, DOCX, PPTX, HTML, e-mail, type sniffing."""

from __future__ import annotations

import io
import shutil
import sqlite3
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from docx import Document as WordDocument
from docx.oxml import OxmlElement
from haystack import Document
from pypdf import PdfReader, PdfWriter

from core.errors import ConversionError, ErrorCode
from core.persistence.registry import Registry
from pipelines.components.converters.file_types import detect_format
from pipelines.components.converters.mail_reader import parse_mail
from pipelines.components.converters.page_converter import PageConverter
from pipelines.components.converters.unstructured_readers import prepare_unstructured
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker
from pipelines.components.preprocessors.page_cleaner import PageCleaner
from tests.support import format_fixtures as fixtures
from tests.support.registry_sql import sql_rows

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="tesseract is not installed (scripts/setup.sh installs tesseract-ocr-deu as root)",
)


def convert(path: Path, **options: Any) -> dict[str, Any]:
    """Pages (after cleaning) and skipped pages of one file."""
    output = PageConverter(**options).run(sources=[path], meta=[{"document_id": path.stem}])
    pages = PageCleaner().run(documents=output["documents"])["documents"]
    return {"pages": pages, "skipped_pages": output["skipped_pages"]}


def chunks_of(pages: list[Document]) -> list[Document]:
    chunks: list[Document] = GermanSentenceChunker().run(documents=pages)["documents"]
    by_page = {page.meta["page"]: page.content or "" for page in pages}
    for chunk in chunks:  # the citation invariant: a chunk is its page text at its offsets
        text = by_page[chunk.meta["page_start"]]
        assert text[chunk.meta["start_offset"] : chunk.meta["end_offset"]] == chunk.content
    return chunks


@needs_tesseract
def test_ocr_reads_a_scanned_german_page(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(fixtures.scanned_page_pdf())
    assert not (PdfReader(path).pages[0].extract_text() or "").strip()
    (page,) = convert(path)["pages"]
    assert page.meta["extraction"] == "ocr"
    for line in fixtures.SCANNED_LINES:
        assert line in (page.content or "")


@needs_tesseract
def test_a_mixed_pdf_keeps_its_page_numbers_and_records_the_method(tmp_path: Path) -> None:
    pages = convert(fixtures.mixed_pdf(tmp_path / "gemischt.pdf"))["pages"]
    assert [page.meta["page"] for page in pages] == [1, 2, 3]
    assert [page.meta["extraction"] for page in pages] == ["text", "ocr", "text"]
    assert "Übergänge in Ausbildung" in (pages[1].content or "")
    chunks = chunks_of(pages)
    assert {chunk.meta["extraction"] for chunk in chunks if chunk.meta["page_start"] == 2} == {
        "ocr"
    }


def test_without_tesseract_scanned_pages_are_skipped_with_the_reason(tmp_path: Path) -> None:
    missing = {"tesseract_command": str(tmp_path / "kein-tesseract")}
    result = convert(fixtures.mixed_pdf(tmp_path / "gemischt.pdf"), **missing)
    assert [page.meta["page"] for page in result["pages"]] == [1, 3]
    (skipped,) = result["skipped_pages"]
    assert skipped["page"] == 2 and "OCR unavailable" in skipped["reason"]
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(fixtures.scanned_page_pdf())
    with pytest.raises(ConversionError) as error:
        convert(scan, **missing)
    assert error.value.code is ErrorCode.OCR_UNAVAILABLE
    assert "tesseract" in error.value.message
    with pytest.raises(ConversionError) as error:
        convert(scan, ocr_enabled=False)
    assert error.value.code is ErrorCode.OCR_UNAVAILABLE
    assert "switched off" in error.value.message


@needs_tesseract
def test_a_failing_recognition_leaves_the_page_out_with_its_reason(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(fixtures.scanned_page_pdf())
    with pytest.raises(ConversionError) as error:
        convert(scan, ocr_language="xyz")  # no such tesseract language
    assert error.value.code is ErrorCode.OCR_UNAVAILABLE
    assert "text recognition of page 1 failed" in error.value.message


def test_an_older_registry_gets_the_method_column(tmp_path: Path) -> None:
    path = tmp_path / "blok.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE pages (document_id TEXT, page INTEGER, text TEXT)")
        old.execute("INSERT INTO pages VALUES ('d1', 1, 'Alter Text.')")
    registry = Registry(path)
    try:
        assert sql_rows(registry, "SELECT method FROM pages") == [{"method": "text"}]
    finally:
        registry.close()


def test_an_encrypted_pdf_is_rejected_as_encrypted(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(fixtures.text_pages_pdf([["Vertraulich."]])))
    writer.encrypt("geheim", algorithm="RC4-128")
    path = tmp_path / "geschuetzt.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(ConversionError) as error:
        convert(path)
    assert error.value.code is ErrorCode.ENCRYPTED


def test_docx_headings_become_the_section_path(tmp_path: Path) -> None:
    (page,) = convert(fixtures.write_docx(tmp_path / "protokoll.docx"))["pages"]
    text = page.content or ""
    assert page.meta["page"] == 1 and page.meta["file_format"] == "docx"
    assert "- Arbeitgeber früh einbinden\n- Geflüchtete beim Spracherwerb begleiten" in text
    assert "Kennzahl | Wert\nK2 Integrationsquote | 24,5 %" in text
    assert fixtures.DOCX_RUNNING_HEADER not in text
    chunks = chunks_of([page])

    def section_of(fragment: str) -> list[str]:
        return next(c.meta["section_path"] for c in chunks if fragment in (c.content or ""))

    assert section_of(fixtures.DOCX_SENTENCE) == ["Protokoll der Sitzung", "TOP 1 Begrüßung"]
    assert section_of("24,5 %") == ["Protokoll der Sitzung", "TOP 2 Kennzahlen"]


def test_pptx_slides_are_pages_with_their_title_as_section(tmp_path: Path) -> None:
    pages = convert(fixtures.write_pptx(tmp_path / "vortrag.pptx"))["pages"]
    assert [page.meta["page"] for page in pages] == [1, 2, 3]
    chunks = chunks_of(pages)
    for number, (title, lines) in enumerate(fixtures.SLIDES, start=1):
        on_slide = [chunk for chunk in chunks if chunk.meta["page_start"] == number]
        assert on_slide and all(chunk.meta["section"] == title for chunk in on_slide)
        assert lines[0] in (pages[number - 1].content or "")
    assert "- Weniger Abbrüche" in (pages[1].content or "")
    assert (pages[2].content or "").endswith(fixtures.SLIDE_NOTES)  # speaker notes come last


def test_html_main_text_is_kept_and_navigation_and_footer_are_dropped(tmp_path: Path) -> None:
    (page,) = convert(fixtures.write_html(tmp_path / "praxis.html"))["pages"]
    text = page.content or ""
    assert fixtures.HTML_SENTENCE in text
    assert "Jahr | Quote\n2022 | 24 %" in text
    assert "Startseite" not in text and "Impressum" not in text
    sections = {chunk.meta["section"] for chunk in chunks_of([page])}
    assert sections == {"Gute Praxis Emsland", "Gute Praxis Emsland > Ergebnisse"}


def test_html_header_and_footer_are_dropped_without_a_main_element(tmp_path: Path) -> None:
    path = tmp_path / "seite.html"
    path.write_text(
        "<html><body><header><p>Kopfzeile mit Suche</p></header><h1>Übersicht</h1>"
        "<p>Grüße aus Münster an die Geschäftsstelle.</p><footer>Fußzeile</footer></body></html>",
        encoding="utf-8",
    )
    (page,) = convert(path)["pages"]
    assert page.content == "Übersicht\n\nGrüße aus Münster an die Geschäftsstelle."


def test_a_mail_yields_its_body_subject_date_and_attachments(tmp_path: Path) -> None:
    path = fixtures.write_eml(tmp_path / "sitzung.eml", tmp_path)
    mail = parse_mail(path)
    assert mail.subject == "Protokoll der Sitzung in Meppen"
    assert mail.date is not None and mail.date.isoformat() == "2024-03-05"
    assert "Kennzahlen zur Integrationsquote bis Ende März" in mail.body
    assert [a.name for a in mail.attachments] == [
        "ergebnisse.pdf",
        "protokoll-anlage.docx",
        "foto.png",
    ]
    (page,) = convert(path)["pages"]
    assert page.meta["file_format"] == "eml" and "Liebe Kolleginnen" in (page.content or "")


def test_an_html_mail_body_is_turned_into_text(tmp_path: Path) -> None:
    path = tmp_path / "html.eml"
    path.write_text(
        "From: a@example.org\nTo: b@example.org\nSubject: Einladung\n"
        "Content-Type: text/html; charset=utf-8\n\n"
        "<html><body><p>Wir laden zur Fachtagung nach Münster ein.</p></body></html>\n",
        encoding="utf-8",
    )
    assert parse_mail(path).body == "Wir laden zur Fachtagung nach Münster ein."


def office_container(path: Path, part: str) -> Path:
    with zipfile.ZipFile(path, "w") as container:
        container.writestr(part, "<xml/>")
    return path


@pytest.mark.parametrize(
    ("name", "part", "expected"),
    [
        ("bericht.docx", "word/document.xml", "docx"),
        ("folien.pptx", "ppt/presentation.xml", "pptx"),
        ("ohne-endung", "word/document.xml", "docx"),
    ],
)
def test_zip_containers_are_told_apart_by_their_parts(
    tmp_path: Path, name: str, part: str, expected: str
) -> None:
    path = office_container(tmp_path / name, part)
    assert detect_format(path, path.read_bytes()[:4096]) == expected


@pytest.mark.parametrize(
    ("name", "part", "message"),
    [
        ("bericht.docx", "ppt/presentation.xml", "mislabelled: named .docx but is a PowerPoint"),
        ("folien.pptx", "word/document.xml", "mislabelled: named .pptx but is a Word"),
        ("tabelle.xlsx", "xl/workbook.xml", "Excel workbook"),
        ("archiv.docx", "daten/liste.csv", "no Word or PowerPoint document inside"),
    ],
)
def test_mislabelled_and_foreign_zip_containers_are_named(
    tmp_path: Path, name: str, part: str, message: str
) -> None:
    path = office_container(tmp_path / name, part)
    with pytest.raises(ConversionError) as error:
        detect_format(path, path.read_bytes()[:4096])
    assert error.value.code is ErrorCode.UNSUPPORTED_FORMAT
    assert message in error.value.message


def test_a_broken_docx_is_reported_as_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(ConversionError) as error:
        convert(path)
    assert error.value.code is ErrorCode.UNSUPPORTED_FORMAT


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("seite.txt", b"<!DOCTYPE html>\n<html><body>Hallo</body></html>", "html"),
        ("seite.html", "\ufeff<html lang='de'>".encode(), "html"),
        ("seite.htm", b"<p>Nur ein Fragment</p>", "html"),
        ("mail.txt", b"From: a@example.org\nSubject: Hallo\nDate: x\n\nText", "eml"),
        ("mail.eml", b"Received: from x\nFrom: a@example.org\n\nText", "eml"),
        ("notiz.txt", "Betreff: Sitzung\nDatum: 5. März\n\nText".encode(), "text"),
    ],
)
def test_html_and_mail_are_recognised_by_content(name: str, head: bytes, expected: str) -> None:
    assert detect_format(Path(name), head) == expected


def test_a_file_named_eml_without_headers_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConversionError) as error:
        detect_format(Path("nachricht.eml"), b"Nur Text ohne Kopfzeilen.")
    assert "no e-mail headers" in error.value.message


def test_unstructured_is_configured_to_run_offline() -> None:
    prepare_unstructured()
    from unstructured.nlp import tokenize
    from unstructured.utils import _telemetry_opt_out

    assert _telemetry_opt_out()  # no analytics ping
    assert tokenize._get_nlp().lang == "de"  # no English model download
    assert tokenize.sent_tokenize("Das ist gut. Z. B. hier.")


def test_a_mail_without_body_text_is_its_subject(tmp_path: Path) -> None:
    path = tmp_path / "nur-anhang.eml"
    path.write_text(
        "From: a@example.org\nTo: b@example.org\nSubject: Präsentation der Fachtagung\n\n\n",
        encoding="utf-8",
    )
    (page,) = convert(path)["pages"]
    assert page.content == "Präsentation der Fachtagung"


def test_attachment_names_stay_inside_the_folder_and_get_an_extension(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.org", "Anhänge"
    message.set_content("Siehe Anhang.")
    message.add_attachment(b"Text", maintype="text", subtype="plain", filename="../../boese.txt")
    message.add_attachment(b"Notiz", maintype="text", subtype="plain")
    path = tmp_path / "anhaenge.eml"
    path.write_bytes(bytes(message))
    assert [a.name for a in parse_mail(path).attachments] == ["boese.txt", "anhang-2.txt"]


def test_docx_pages_recorded_by_word_become_pages(tmp_path: Path) -> None:
    document = WordDocument()
    document.add_heading("Erster Teil", level=1)
    document.add_paragraph("Text auf der ersten Seite über Arbeitgeber.")
    run = document.add_paragraph().add_run()
    run._r.append(OxmlElement("w:lastRenderedPageBreak"))  # as Word writes it when saving
    run.add_text("Text auf der zweiten Seite über Geflüchtete.")
    path = tmp_path / "zwei-seiten.docx"
    document.save(str(path))
    pages = convert(path)["pages"]
    assert [(page.meta["page"], page.content) for page in pages] == [
        (1, "Erster Teil\n\nText auf der ersten Seite über Arbeitgeber."),
        (2, "Text auf der zweiten Seite über Geflüchtete."),
    ]
    assert chunks_of(pages)[-1].meta["section"] == "Erster Teil"
