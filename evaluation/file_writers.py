"""Write real files of the supported formats: born-digital and scanned PDF, DOCX, PPTX, e-mail.

Shared by the test fixtures (`tests/support/format_fixtures.py`) and the mixed-corpus benchmark
(`evaluation.mixed_corpus`), so both exercise the converters with files built the same way.
Scanned pages are rendered with Bitstream Vera (shipped with reportlab; DejaVu Sans is derived
from it) and saved as image-only PDF pages, so they have no text layer at all. reportlab is a
development dependency: this module is for tests and benchmarks, not for the service.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import reportlab
from docx import Document as WordDocument
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_FILE = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
# One slide: its title and its body lines.
Slide = tuple[str, Sequence[str]]
# One section of a Word document: its heading and its paragraphs.
Section = tuple[str, Sequence[str]]


@dataclass(frozen=True)
class Attachment:
    """A file attached to an e-mail."""

    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


def font(size: int = 42) -> ImageFont.FreeTypeFont:
    """A TrueType font with German umlauts."""
    return ImageFont.truetype(str(FONT_FILE), size)


def _scanned_image(lines: Sequence[str], dpi: int) -> Image.Image:
    image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text(
            (int(0.8 * dpi), int(1.0 * dpi) + index * int(0.4 * dpi)), line, font=font(), fill=0
        )
    return image


def scanned_pages_pdf(pages: Sequence[Sequence[str]], dpi: int = 200) -> bytes:
    """A4 pages as images only (no text layer), as a scanner would produce them.

    At 200 dpi a line holds about 55 characters and a page about 24 lines.
    """
    images = [_scanned_image(lines, dpi) for lines in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def text_pages_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """Born-digital A4 pages with a text layer, one list of lines per page (up to 45 lines of
    about 75 characters)."""
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


def write_docx_sections(
    path: Path,
    title: str,
    sections: Sequence[Section],
    *,
    running_header: str | None = None,
    core_title: str | None = None,
) -> Path:
    """A Word document: the title as level-1 heading, then each section as heading and paragraphs.

    `core_title` sets the title in the document properties (File › Properties in Word).
    """
    document = WordDocument()
    if running_header:
        document.sections[0].header.paragraphs[0].text = running_header
    if core_title is not None:
        document.core_properties.title = core_title
    document.add_heading(title, level=1)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=2)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_slides(
    path: Path, slides: Sequence[Slide], *, notes: str | None = None, core_title: str | None = None
) -> Path:
    """A PowerPoint deck of title-and-content slides; `notes` go on the last slide."""
    presentation = Presentation()
    if core_title is not None:
        presentation.core_properties.title = core_title
    for title, lines in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = "\n".join(lines)
    if notes:
        presentation.slides[-1].notes_slide.notes_text_frame.text = notes
    presentation.save(str(path))
    return path


def mail_bytes(
    *,
    subject: str,
    body: str,
    date: dt.datetime,
    attachments: Sequence[Attachment] = (),
    sender: str = "Geschäftsstelle <geschaeftsstelle@example.org>",
    recipient: str = "vr3@example.org",
) -> bytes:
    """An RFC 822 e-mail with a plain-text body and attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message.set_content(body)
    for attachment in attachments:
        message.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return bytes(message)
