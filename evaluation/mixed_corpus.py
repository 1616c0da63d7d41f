"""A deterministic mixed German corpus for the ingestion benchmark (`write_mixed_corpus`).

Real archives are mostly born-digital PDFs, with some scans, office files, web pages, notes and
mails. The corpus mirrors that: born-digital PDFs of 2 to 10 pages make up most of it; scanned
PDFs (image-only pages, about `ocr_pages` pages in all, so a run stays within minutes on two
cores), mixed PDFs (text, scanned, text), DOCX, PPTX, HTML, Markdown, plain text (some with line
numbers, as in evaluation reports) and e-mails with a PDF or DOCX attachment. The text is drawn
from the sentences of the demo corpus (`corpora/demo/`, `corpora/demo_sources/`) with a seeded
random generator; every file has its own title, places and sentence order, so no two files share
content (identical content would be ingested once and counted as a duplicate).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from evaluation.datasets import PROJECT_ROOT
from evaluation.file_writers import (
    Attachment,
    mail_bytes,
    scanned_pages_pdf,
    text_pages_pdf,
    write_docx_sections,
    write_slides,
)

SENTENCE_SOURCES = (PROJECT_ROOT / "corpora" / "demo", PROJECT_ROOT / "corpora" / "demo_sources")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])")
# Kinds of file, in the order the benchmark reports them.
KINDS = (
    "pdf",
    "pdf-scanned",
    "pdf-mixed",
    "docx",
    "pptx",
    "html",
    "markdown",
    "text",
    "text-numbered",
    "eml",
)
# Share of the batch per kind; born-digital PDFs take the rest, scanned PDFs the OCR budget.
SHARES = {
    "docx": 0.09,
    "pptx": 0.06,
    "html": 0.09,
    "markdown": 0.07,
    "text": 0.05,
    "text-numbered": 0.03,
    "eml": 0.03,
    "pdf-mixed": 0.01,
}
PLACES = (
    "Landkreis Görlitz", "Emsland", "Kreis Offenbach", "Ludwigslust-Parchim", "Stadt Hamm",
    "Kreis Düren", "Stadt Erlangen", "Ennepe-Ruhr-Kreis", "Stadt Wiesbaden", "Landkreis Bautzen",
    "Erzgebirgskreis", "Salzlandkreis", "Stadt Solingen", "Kreis Recklinghausen", "Uckermark",
)  # fmt: skip
TOPICS = (
    "Sozialraumorientierung", "Digitalisierung", "Arbeitgeberservice", "Integration Geflüchteter",
    "Gesundheitsförderung", "Bürgergeld", "Jugendberufsagentur", "Kennzahlen nach § 48a SGB II",
    "Teilhabechancengesetz", "Alleinerziehende", "Langzeitleistungsbeziehende", "Sprachförderung",
)  # fmt: skip


@dataclass(frozen=True)
class CorpusFile:
    """One written file: its name, kind (`KINDS`), pages (of a PDF, slides of a deck; 1 for the
    other kinds) and how many of them are scanned."""

    name: str
    kind: str
    pages: int
    ocr_pages: int = 0


def demo_sentences() -> list[str]:
    """Sentences of 8 to 45 words from the demo corpus's text, Markdown and source files."""
    found: dict[str, None] = {}
    for folder in SENTENCE_SOURCES:
        for path in sorted(folder.glob("*.txt")) + sorted(folder.glob("*.md")):
            for line in path.read_text("utf-8").splitlines():
                line = line.strip()
                if not line or line[0] in "@#|-*>" or line.startswith("TOP"):
                    continue
                for sentence in SENTENCE_END.split(line):
                    if 8 <= len(sentence.split()) <= 45 and sentence.endswith("."):
                        found[sentence] = None
    return list(found)


def plan_counts(total: int, ocr_pages: int, rng: random.Random) -> list[tuple[str, int, int]]:
    """(kind, pages, scanned pages) per file: the shares, scanned PDFs up to the OCR budget,
    born-digital PDFs for the rest."""
    files: list[tuple[str, int, int]] = []
    for kind, share in SHARES.items():
        for _ in range(max(1, round(total * share))):
            pages = 3 if kind == "pdf-mixed" else rng.randint(4, 8) if kind == "pptx" else 1
            files.append((kind, pages, 1 if kind == "pdf-mixed" else 0))
    scanned_left = ocr_pages - sum(scanned for _, _, scanned in files)
    while scanned_left > 0:
        pages = min(rng.randint(1, 3), scanned_left)
        files.append(("pdf-scanned", pages, pages))
        scanned_left -= pages
    while len(files) < total:
        files.append(("pdf", rng.randint(2, 10), 0))
    rng.shuffle(files)
    return files


class _Texts:
    """Titles, headings and paragraphs made of demo sentences, different for every file."""

    def __init__(self, rng: random.Random, sentences: list[str]) -> None:
        self.rng = rng
        self.sentences = sentences

    def title(self, index: int) -> str:
        place, topic, year = self.rng.choice(PLACES), self.rng.choice(TOPICS), 2015 + index % 10
        return self.rng.choice(
            (
                f"Protokoll der {index % 3 + 1}. Sitzung des Vergleichsrings {index % 10 + 1} "
                f"{year}: {topic}",
                f"Evaluationsbericht {place} {year}: {topic} (Nr. {index})",
                f"Praxisbeispiel {place}: {topic} (Nr. {index})",
                f"Tagungsbericht Fachtagung {year}, Forum {index}: {topic}",
            )
        )

    def heading(self, number: int) -> str:
        return f"{number}. {self.rng.choice(TOPICS)} – {self.rng.choice(PLACES)}"

    def paragraph(self) -> str:
        return " ".join(self.rng.sample(self.sentences, self.rng.randint(3, 6)))

    def sections(self, count: int) -> list[tuple[str, list[str]]]:
        return [
            (self.heading(n), [self.paragraph() for _ in range(self.rng.randint(1, 3))])
            for n in range(1, count + 1)
        ]

    def lines(self, width: int, count: int) -> list[str]:
        """About `count` wrapped lines of running text."""
        lines: list[str] = []
        while len(lines) < count:
            lines += [*textwrap.wrap(self.paragraph(), width), ""]
        return lines[:count]


def _pdf_pages(texts: _Texts, title: str, pages: int) -> list[list[str]]:
    """Born-digital pages with a running header and a page-number footer."""
    header = f"Benchlearning der kommunalen Jobcenter – {title[:40]}"
    result = []
    for number in range(1, pages + 1):
        body = ([title, ""] if number == 1 else []) + texts.lines(68, texts.rng.randint(28, 38))
        result.append([header, "", *body, "", f"Seite {number} von {pages}"])
    return result


def _mixed_pdf(texts: _Texts, title: str) -> bytes:
    """Three pages: text layer, scanned image, text layer."""
    born_digital = PdfReader(io.BytesIO(text_pages_pdf(_pdf_pages(texts, title, 2))))
    scanned = PdfReader(io.BytesIO(scanned_pages_pdf([texts.lines(52, 22)])))
    writer = PdfWriter()
    for page in (born_digital.pages[0], scanned.pages[0], born_digital.pages[1]):
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _html(texts: _Texts, title: str) -> str:
    body = "\n".join(
        f"<h2>{heading}</h2>\n" + "\n".join(f"<p>{p}</p>" for p in paragraphs)
        for heading, paragraphs in texts.sections(texts.rng.randint(2, 4))
    )
    return (
        f'<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8"><title>{title}</title>'
        '</head>\n<body>\n<nav><ul><li><a href="/">Startseite</a></li></ul></nav>\n'
        f"<main>\n<h1>{title}</h1>\n{body}\n</main>\n"
        "<footer><p>Impressum der Geschäftsstelle</p></footer>\n</body></html>\n"
    )


def _markdown(texts: _Texts, title: str) -> str:
    parts = [f"# {title}"]
    for heading, paragraphs in texts.sections(texts.rng.randint(2, 4)):
        parts += [f"## {heading}", *paragraphs]
        parts.append("\n".join(f"- {s}" for s in texts.rng.sample(texts.sentences, 2)))
    return "\n\n".join(parts) + "\n"


def _plain_text(texts: _Texts, title: str, numbered: bool) -> str:
    if not numbered:
        sections = texts.sections(texts.rng.randint(2, 4))
        return "\n\n".join([title, *(f"{h}\n\n" + "\n\n".join(p) for h, p in sections)]) + "\n"
    pages, number = [], 1
    for _ in range(texts.rng.randint(2, 3)):
        lines = texts.lines(70, 40)
        pages.append("\n".join(f"{number + i:>4}  {line}" for i, line in enumerate(lines)))
        number += len(lines)
    return f"{title}\n\n" + "\f".join(pages) + "\n"


def _mail(folder: Path, name: str, texts: _Texts, title: str, index: int) -> bytes:
    """A mail with a two-page PDF or a DOCX attachment (python-docx writes to a path)."""
    if index % 2:
        attachment = Attachment("anlage.pdf", text_pages_pdf(_pdf_pages(texts, title, 2)), "pdf")
    else:
        docx = write_docx_sections(folder / f"{name}-anlage.docx", title, texts.sections(2))
        data = docx.read_bytes()
        docx.unlink()
        subtype = "vnd.openxmlformats-officedocument.wordprocessingml.document"
        attachment = Attachment("anlage.docx", data, "application", subtype)
    body = f"Liebe Kolleginnen und Kollegen,\n\n{texts.paragraph()}\n\n{texts.paragraph()}\n"
    return mail_bytes(
        subject=title,
        body=body + "\nViele Grüße\nIhre Geschäftsstelle\n",
        date=dt.datetime(2020 + index % 5, 1 + index % 12, 1 + index % 28, 9, tzinfo=dt.UTC),
        attachments=[attachment],
    )


def write_mixed_corpus(
    folder: Path, total: int = 200, *, ocr_pages: int = 20, seed: int = 7
) -> list[CorpusFile]:
    """Write `total` files into `folder` (created); the same arguments give the same files."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    texts = _Texts(rng, demo_sentences())
    written = []
    for index, (kind, pages, scanned) in enumerate(plan_counts(total, ocr_pages, rng), start=1):
        title = texts.title(index)
        name = f"{index:03d}-{kind}"
        written.append(_write_one(folder, name, kind, texts, title, index, pages))
        if written[-1].ocr_pages != scanned:
            raise AssertionError(f"{name}: planned {scanned} scanned pages")
    return written


def _write_one(
    folder: Path, name: str, kind: str, texts: _Texts, title: str, index: int, pages: int
) -> CorpusFile:
    if kind == "pdf":
        (folder / f"{name}.pdf").write_bytes(text_pages_pdf(_pdf_pages(texts, title, pages)))
    elif kind == "pdf-scanned":
        scans = [[title[:52], "", *texts.lines(52, 20)] for _ in range(pages)]
        (folder / f"{name}.pdf").write_bytes(scanned_pages_pdf(scans))
        return CorpusFile(f"{name}.pdf", kind, pages, pages)
    elif kind == "pdf-mixed":
        (folder / f"{name}.pdf").write_bytes(_mixed_pdf(texts, title))
        return CorpusFile(f"{name}.pdf", kind, 3, 1)
    elif kind == "docx":
        core_title = title if index % 2 else None
        sections = texts.sections(texts.rng.randint(2, 5))
        write_docx_sections(folder / f"{name}.docx", title, sections, core_title=core_title)
    elif kind == "pptx":
        slides = [
            (texts.heading(n), texts.rng.sample(texts.sentences, 3)) for n in range(1, pages + 1)
        ]
        write_slides(folder / f"{name}.pptx", slides, notes=texts.paragraph(), core_title=title)
    elif kind == "html":
        (folder / f"{name}.html").write_text(_html(texts, title), encoding="utf-8")
    elif kind == "markdown":
        (folder / f"{name}.md").write_text(_markdown(texts, title), encoding="utf-8")
    elif kind in ("text", "text-numbered"):
        text = _plain_text(texts, title, kind == "text-numbered")
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    else:
        (folder / f"{name}.eml").write_bytes(_mail(folder, name, texts, title, index))
    suffix = {"docx": "docx", "pptx": "pptx", "html": "html", "markdown": "md", "eml": "eml"}
    return CorpusFile(f"{name}.{suffix.get(kind, 'txt' if 'text' in kind else 'pdf')}", kind, pages)


def count_by_kind(files: Sequence[CorpusFile]) -> dict[str, int]:
    """How many files of each kind, in `KINDS` order."""
    return {kind: sum(f.kind == kind for f in files) for kind in KINDS}
