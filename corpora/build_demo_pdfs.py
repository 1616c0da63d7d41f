"""Build the PDF documents of the demo corpus from their text sources.

Each ``demo_sources/NAME.txt`` becomes ``demo/NAME.pdf``. Source format, line by line:

- ``@kopfzeile: TEXT``  (only at the top) running header printed on every page
- ``@titel: TEXT``      (only at the top) PDF document title (metadata)
- ``<<<SEITENUMBRUCH>>>`` page break; every source page must fit on one PDF page
- ``# TEXT`` / ``## TEXT`` / ``### TEXT`` headings (bold)
- ``- TEXT``            list item
- ``| a | b | c |``     table row (consecutive rows form one table; ``|---|`` rows are skipped)
- ``¹ TEXT`` ...        footnote (small print)
- any other non-empty line is one paragraph; blank lines are ignored

The output is deterministic (``invariant=1``): rerunning gives identical bytes.
Run with: ``.venv/bin/python corpora/build_demo_pdfs.py``
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "demo_sources"
TARGET_DIR = HERE / "demo"
PAGE_BREAK = "<<<SEITENUMBRUCH>>>"
FOOTNOTE_MARKS = "¹²³⁴⁵⁶⁷⁸⁹"

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=5)
TITLE = ParagraphStyle(
    "h1", fontName="Helvetica-Bold", fontSize=15, leading=19, spaceBefore=2, spaceAfter=9
)
HEADING = ParagraphStyle(
    "h2", fontName="Helvetica-Bold", fontSize=11.5, leading=15, spaceBefore=7, spaceAfter=4
)
SUBHEADING = ParagraphStyle(
    "h3", fontName="Helvetica-Bold", fontSize=10, leading=13.5, spaceBefore=5, spaceAfter=3
)
ITEM = ParagraphStyle(
    "li", parent=BODY, leftIndent=14, bulletIndent=3, spaceAfter=3, bulletFontName="Helvetica"
)
FOOTNOTE = ParagraphStyle("fn", fontName="Helvetica", fontSize=8, leading=10, spaceAfter=2)
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.5, leading=10.5)
CELL_HEAD = ParagraphStyle("cellhead", parent=CELL, fontName="Helvetica-Bold")


def _table(rows: list[list[str]]) -> Table:
    data = [
        [Paragraph(escape(cell), CELL_HEAD if i == 0 else CELL) for cell in row]
        for i, row in enumerate(rows)
    ]
    first = 3.4 * cm
    rest = (A4[0] - 4.4 * cm - first) / max(len(rows[0]) - 1, 1)
    table = Table(
        data, colWidths=[first] + [rest] * (len(rows[0]) - 1), repeatRows=1, hAlign="LEFT"
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def parse_source(text: str) -> tuple[dict[str, str], list[Flowable], int]:
    """Turn a source text into settings, flowables and the expected page count."""
    settings: dict[str, str] = {}
    story: list[Flowable] = []
    rows: list[list[str]] = []
    pages = 1
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                rows.append(cells)
            continue
        if rows:
            story += [_table(rows), Spacer(1, 6)]
            rows = []
        if not line:
            continue
        if line.startswith("@") and ":" in line and not story:
            key, value = line[1:].split(":", 1)
            settings[key.strip()] = value.strip()
        elif line == PAGE_BREAK:
            story.append(PageBreak())
            pages += 1
        elif line.startswith("### "):
            story.append(Paragraph(escape(line[4:]), SUBHEADING))
        elif line.startswith("## "):
            story.append(Paragraph(escape(line[3:]), HEADING))
        elif line.startswith("# "):
            story.append(Paragraph(escape(line[2:]), TITLE))
        elif line.startswith("- "):
            story.append(Paragraph(escape(line[2:]), ITEM, bulletText="–"))
        elif line[0] in FOOTNOTE_MARKS:
            story.append(Paragraph(escape(line), FOOTNOTE))
        else:
            story.append(Paragraph(escape(line), BODY))
    if rows:
        story.append(_table(rows))
    return settings, story, pages


def build_pdf(source: Path, target: Path) -> int:
    """Render one source file to a PDF and return its page count."""
    settings, story, expected_pages = parse_source(source.read_text(encoding="utf-8"))
    header = settings.get("kopfzeile", "")
    rendered_pages = 0

    def decorate(canvas, doc) -> None:
        nonlocal rendered_pages
        rendered_pages = doc.page
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.Color(0.35, 0.35, 0.35))
        if header:
            canvas.drawString(2.2 * cm, A4[1] - 1.3 * cm, header)
        canvas.drawCentredString(A4[0] / 2, 1.2 * cm, f"Seite {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(target),
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2.0 * cm,
        bottomMargin=2.0 * cm,
        title=settings.get("titel", source.stem),
        author="Benchlearning der kommunalen Jobcenter (fiktives Demokorpus)",
        creator="corpora/build_demo_pdfs.py",
        producer="ReportLab",
        invariant=1,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    if rendered_pages != expected_pages:
        raise SystemExit(
            f"{source.name}: {rendered_pages} pages rendered, {expected_pages} expected "
            "(a source page overflows; shorten it or add a page break)"
        )
    return rendered_pages


def main() -> None:
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    sources = sorted(SOURCE_DIR.glob("*.txt"))
    if not sources:
        sys.exit(f"no sources in {SOURCE_DIR}")
    for source in sources:
        target = TARGET_DIR / f"{source.stem}.pdf"
        pages = build_pdf(source, target)
        print(f"{target.relative_to(HERE.parent)}: {pages} Seiten")


if __name__ == "__main__":
    main()
