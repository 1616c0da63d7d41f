"""Files that take long to ingest, written in the test: a large text and a PDF of blank pages.

The large text has thousands of chunks, so its embedding runs far past a small time limit; each
blank page of the PDF has no text layer and goes to OCR, so reading it does too.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

WORDS = (
    "Das Jobcenter begleitet Alleinerziehende bei der Arbeitsaufnahme und vermittelt "
    "Kinderbetreuung Qualifizierung Beratung Arbeitgeber Integration in der Region"
).split()


def large_text(path: Path, megabytes: float) -> Path:
    """German-looking sentences in paragraphs, about `megabytes` MB (1 MB: about 500 chunks)."""
    generator = random.Random(7)
    parts: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        sentences = [
            " ".join(generator.choice(WORDS) for _ in range(14)).capitalize() + "."
            for _ in range(8)
        ]
        paragraph = " ".join(sentences) + "\n\n"
        parts.append(paragraph)
        size += len(paragraph.encode())
    path.write_text("".join(parts), encoding="utf-8")
    return path


def blank_pages_pdf(pages: int) -> bytes:
    """A PDF of `pages` empty A4 pages (a few bytes each)."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(pages):
        document.showPage()
    document.save()
    return buffer.getvalue()
