"""Real files of every supported format, written by the tests (German text with umlauts).

The writers themselves live in `evaluation.file_writers`, shared with the mixed-corpus benchmark;
this module holds the fixed content the tests assert on.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document as WordDocument
from pypdf import PdfReader, PdfWriter

from evaluation.file_writers import (
    Attachment,
    mail_bytes,
    scanned_pages_pdf,
    text_pages_pdf,
    write_slides,
)

SCANNED_LINES = [
    "Protokoll der Vergleichsringsitzung",
    "Die Geschäftsführerin begrüßt die Teilnehmenden.",
    "Übergänge in Ausbildung wurden für Jugendliche geprüft.",
    "Größere Jobcenter öffnen ihre Türen für Arbeitgeber.",
]
DOCX_SENTENCE = "Die Geschäftsführerin begrüßt die Teilnehmenden und erläutert die Tagesordnung."
DOCX_RUNNING_HEADER = "Jobcenter Emsland – nur für den Dienstgebrauch"
SLIDES = [
    ("Einführung", ["Das Jobcenter Emsland stellt sein Konzept für Geflüchtete vor."]),
    ("Ergebnisse", ["Die Integrationsquote stieg um drei Prozentpunkte.", "Weniger Abbrüche"]),
    ("Ausblick", ["Übergänge in Ausbildung werden künftig früher begleitet."]),
]
SLIDE_NOTES = "Hier auf die Kooperation mit der Agentur für Arbeit hinweisen."
HTML_SENTENCE = "Das Jobcenter bindet Arbeitgeber früh in die Qualifizierung von Geflüchteten ein."
HTML_PAGE = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Gute Praxis Emsland</title></head>
<body>
<nav><ul><li><a href="/">Startseite</a></li><li><a href="/kontakt">Kontakt</a></li></ul></nav>
<main>
<h1>Gute Praxis Emsland</h1>
<p>{HTML_SENTENCE} Die Kammern begleiten jeden Schritt.</p>
<h2>Ergebnisse</h2>
<p>Nach zwei Jahren hatten deutlich mehr Teilnehmende eine Beschäftigung gefunden.</p>
<ul><li>Mehr Übergänge in Ausbildung</li><li>Weniger Abbrüche von Sprachkursen</li></ul>
<table><tr><th>Jahr</th><th>Quote</th></tr><tr><td>2022</td><td>24 %</td></tr></table>
</main>
<footer><p>Impressum und Datenschutzerklärung der Geschäftsstelle</p></footer>
</body></html>
"""
MAIL_BODY = (
    "Liebe Kolleginnen und Kollegen,\n\n"
    "anbei das Protokoll der Sitzung in Meppen. Wir haben vereinbart, dass die Jobcenter "
    "ihre Kennzahlen zur Integrationsquote bis Ende März übermitteln.\n\n"
    "Viele Grüße\nIhre Geschäftsstelle\n"
)
PDF_ATTACHMENT_SENTENCE = "Im Anhang stehen die Ergebnisse der Fallmanagement-Werkstatt in Lingen."


def scanned_page_pdf(lines: list[str] = SCANNED_LINES, dpi: int = 200) -> bytes:
    """One A4 page as an image only (no text layer), as a scanner would produce it."""
    return scanned_pages_pdf([lines], dpi)


def mixed_pdf(path: Path) -> Path:
    """Three pages: text layer, scanned image, text layer."""
    writer = PdfWriter()
    first, last = PdfReader(
        io.BytesIO(
            text_pages_pdf(
                [
                    ["Seite eins: Die Sitzung beginnt pünktlich um neun Uhr."],
                    ["Seite drei: Die nächste Sitzung findet im Mai in Lingen statt."],
                ]
            )
        )
    ).pages
    writer.add_page(first)
    writer.add_page(PdfReader(io.BytesIO(scanned_page_pdf())).pages[0])
    writer.add_page(last)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_docx(path: Path, title: str = "Protokoll der Sitzung") -> Path:
    """Headings, paragraphs, a bulleted list and a table."""
    document = WordDocument()
    document.sections[0].header.paragraphs[0].text = DOCX_RUNNING_HEADER
    document.add_heading(title, level=1)
    document.add_heading("TOP 1 Begrüßung", level=2)
    document.add_paragraph(DOCX_SENTENCE + " Es gibt keine Einwände.")
    document.add_paragraph("Arbeitgeber früh einbinden", style="List Bullet")
    document.add_paragraph("Geflüchtete beim Spracherwerb begleiten", style="List Bullet")
    document.add_heading("TOP 2 Kennzahlen", level=2)
    document.add_paragraph("Die Kennzahlen des Vorjahres wurden verglichen.")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(
        table.rows, [("Kennzahl", "Wert"), ("K2 Integrationsquote", "24,5 %")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(str(path))
    return path


def write_pptx(path: Path) -> Path:
    """Three slides with titles and body text."""
    return write_slides(path, SLIDES, notes=SLIDE_NOTES)


def write_html(path: Path) -> Path:
    """A web page with navigation and footer around the main text."""
    path.write_text(HTML_PAGE, encoding="utf-8")
    return path


def write_eml(path: Path, folder: Path) -> Path:
    """A mail with a text body, a PDF and a DOCX attachment and an unsupported image."""
    docx = write_docx(folder / "protokoll-anlage.docx", "Anlage zum Protokoll")
    attachments = [
        Attachment("ergebnisse.pdf", text_pages_pdf([[PDF_ATTACHMENT_SENTENCE]]), subtype="pdf"),
        Attachment(
            "protokoll-anlage.docx",
            docx.read_bytes(),
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        Attachment("foto.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image", "png"),
    ]
    docx.unlink()
    path.write_bytes(
        mail_bytes(
            subject="Protokoll der Sitzung in Meppen",
            body=MAIL_BODY,
            date=dt.datetime(2024, 3, 5, 10, 30, tzinfo=dt.UTC),
            attachments=attachments,
        )
    )
    return path
