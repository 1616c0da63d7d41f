"""Real files of every supported format, written by the tests (German text with umlauts).

The scanned page is rendered with Bitstream Vera (shipped with reportlab; DejaVu Sans is derived
from it) and saved as an image-only PDF, so it has no text layer at all.
"""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import reportlab
from docx import Document as WordDocument
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_FILE = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
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


def font(size: int = 42) -> ImageFont.FreeTypeFont:
    """A TrueType font with German umlauts."""
    return ImageFont.truetype(str(FONT_FILE), size)


def scanned_page_pdf(lines: list[str] = SCANNED_LINES, dpi: int = 200) -> bytes:
    """One A4 page as an image only (no text layer), as a scanner would produce it."""
    image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text(
            (int(0.8 * dpi), int(1.0 * dpi) + index * int(0.4 * dpi)), line, font=font(), fill=0
        )
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=dpi)
    return buffer.getvalue()


def text_pages_pdf(pages: list[list[str]]) -> bytes:
    """Born-digital pages with a text layer, one list of lines per page."""
    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", str(FONT_FILE)))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for lines in pages:
        canvas.setFont("Vera", 11)
        for index, line in enumerate(lines):
            canvas.drawString(72, 770 - index * 16, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


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
    presentation = Presentation()
    for title, lines in SLIDES:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = "\n".join(lines)
    notes = presentation.slides[-1].notes_slide.notes_text_frame
    notes.text = SLIDE_NOTES
    presentation.save(str(path))
    return path


def write_html(path: Path) -> Path:
    """A web page with navigation and footer around the main text."""
    path.write_text(HTML_PAGE, encoding="utf-8")
    return path


def write_eml(path: Path, folder: Path) -> Path:
    """A mail with a text body, a PDF and a DOCX attachment and an unsupported image."""
    message = EmailMessage()
    message["From"] = "Geschäftsstelle <geschaeftsstelle@example.org>"
    message["To"] = "vr3@example.org"
    message["Subject"] = "Protokoll der Sitzung in Meppen"
    message["Date"] = format_datetime(dt.datetime(2024, 3, 5, 10, 30, tzinfo=dt.UTC))
    message.set_content(MAIL_BODY)
    message.add_attachment(
        text_pages_pdf([[PDF_ATTACHMENT_SENTENCE]]),
        maintype="application",
        subtype="pdf",
        filename="ergebnisse.pdf",
    )
    docx = write_docx(folder / "protokoll-anlage.docx", "Anlage zum Protokoll")
    message.add_attachment(
        docx.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="protokoll-anlage.docx",
    )
    docx.unlink()
    message.add_attachment(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, maintype="image", subtype="png", filename="foto.png"
    )
    path.write_bytes(bytes(message))
    return path
