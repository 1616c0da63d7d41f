"""Titles stated in document properties (HTML `<title>`, DOCX/PPTX core properties).

They win over the first-heading guess when sensible, lose to a sidecar or manifest, and are
marked inferred either way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.persistence.registry import Registry
from evaluation.file_writers import write_docx_sections, write_slides
from ingest.runner import run_ingest
from pipelines.components.converters.document_properties import (
    PROPERTIES_TITLE_KEY,
    sensible_title,
)
from pipelines.components.converters.page_converter import PageConverter
from pipelines.components.extractors.document_metadata_extractor import (
    DocumentMetadataExtractor,
)
from pipelines.components.preprocessors.page_cleaner import PageCleaner
from tests.support import format_fixtures as fixtures
from tests.support.helpers import make_settings

SECTIONS = [("TOP 1 Begrüßung", ["Die Geschäftsführerin begrüßt die Teilnehmenden."])]
STATED = "Evaluationsbericht Görlitz 2023"


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("  Gute   Praxis Emsland ", "Gute Praxis Emsland"),
        ("", None),
        ("   ", None),
        (None, None),
        ("Microsoft Word - bericht_2023.doc", None),
        ("PowerPoint-Präsentation", None),
        ("PowerPoint Presentation", None),
        ("Dokument1", None),
        ("Folie 1", None),
        ("Unbenannt", None),
        ("bericht_vr3-2019", None),  # the file name
        ("Bericht VR3 2019", None),  # the file name with spaces
        ("2019", None),
    ],
)
def test_placeholders_and_file_names_are_no_title(stated: str | None, expected: str | None) -> None:
    assert sensible_title(stated, "bericht_vr3-2019.docx") == expected


def inferred_title(path: Path) -> str | None:
    """Convert, clean and extract as the indexing pipeline does, asking for the title."""
    meta = {"document_id": "d1", "title": "datei", "infer_fields": ["title"]}
    pages = PageConverter().run(sources=[path], meta=[meta])["documents"]
    cleaned = PageCleaner().run(documents=pages)["documents"]
    result = DocumentMetadataExtractor().run(documents=cleaned)
    assert all(PROPERTIES_TITLE_KEY not in page.meta for page in result["documents"])
    title: str | None = result["inferred"].get("d1", {}).get("title")
    return title


def test_docx_core_title_wins_over_the_first_heading(tmp_path: Path) -> None:
    stated = write_docx_sections(tmp_path / "a.docx", "Protokoll", SECTIONS, core_title=STATED)
    assert inferred_title(stated) == STATED
    unstated = write_docx_sections(tmp_path / "b.docx", "Protokoll der Sitzung", SECTIONS)
    assert inferred_title(unstated) == "Protokoll der Sitzung"
    placeholder = write_docx_sections(
        tmp_path / "c.docx", "Protokoll der Sitzung", SECTIONS, core_title="Microsoft Word - c.doc"
    )
    assert inferred_title(placeholder) == "Protokoll der Sitzung"


def test_pptx_core_title_wins_over_the_first_slide_title(tmp_path: Path) -> None:
    deck = write_slides(tmp_path / "vortrag.pptx", fixtures.SLIDES, core_title=STATED)
    assert inferred_title(deck) == STATED
    template = write_slides(
        tmp_path / "t.pptx", fixtures.SLIDES, core_title="PowerPoint-Präsentation"
    )
    assert inferred_title(template) == fixtures.SLIDES[0][0]


def test_html_title_element_wins_over_the_first_heading(tmp_path: Path) -> None:
    page = fixtures.HTML_PAGE.replace(
        "<title>Gute Praxis Emsland</title>",
        "<title>Arbeitgeber &amp; Geflüchtete im Emsland</title>",
    )
    (tmp_path / "seite.html").write_text(page, encoding="utf-8")
    assert inferred_title(tmp_path / "seite.html") == "Arbeitgeber & Geflüchtete im Emsland"
    (tmp_path / "ohne.html").write_text(page.replace("<title>", "<!--").replace("</title>", "-->"))
    assert inferred_title(tmp_path / "ohne.html") == "Gute Praxis Emsland"


@pytest.mark.model
def test_a_sidecar_title_beats_the_stated_one_which_is_marked_inferred(tmp_path: Path) -> None:
    corpus = tmp_path / "archiv"
    corpus.mkdir()
    write_docx_sections(corpus / "bericht.docx", "Protokoll", SECTIONS, core_title=STATED)
    write_docx_sections(corpus / "notiz.docx", "Notiz", SECTIONS, core_title=STATED + " (Kurz)")
    (corpus / "notiz.meta.yaml").write_text("title: Notiz aus dem Sidecar\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == 2
    registry = Registry.open(settings)
    try:
        by_name = {record.source_name: record for record in registry.documents.list_documents()}
    finally:
        registry.close()
    assert by_name["bericht.docx"].title == STATED
    assert by_name["bericht.docx"].metadata["inferred"] == ["title"]
    assert by_name["notiz.docx"].title == "Notiz aus dem Sidecar"
    assert "title" not in by_name["notiz.docx"].metadata["inferred"]
