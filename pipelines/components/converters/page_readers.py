"""Read PDF, Markdown and text files into page texts; Markdown headings are noted.

PDF pages without a usable text layer are recognised with OCR (`PageOcr`); each page records
how its text was obtained (`text` or `ocr`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from core.errors import ConversionError, ErrorCode
from pipelines.components.converters.ocr import PageOcr

MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MARKDOWN_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
)


@dataclass
class RawPage:
    """The text of one page (1-based number), its headings (level, text) where the format marks
    them, how the text was obtained (`text` or `ocr`), for a page left out, why, and the seconds
    its text recognition took (OCR is the slow step, so it is timed per page)."""

    number: int
    text: str
    headings: list[tuple[int, str]] = field(default_factory=list)
    method: str = "text"
    skip_reason: str | None = None
    ocr_seconds: float = 0.0


def read_pdf_pages(path: Path, ocr: PageOcr | None = None) -> list[RawPage]:
    """Text of every page through pypdf; pages with too little text go through OCR.

    Without OCR such pages come back empty with their `skip_reason`.

    Raises:
        ConversionError: the file is not a readable PDF (`conversion_failed`) or needs a
            password (`encrypted`).
    """
    ocr = ocr or PageOcr()
    texts = _pdf_text_layers(path)
    ocr_ready = ocr.available()
    pages = []
    for number, text in enumerate(texts, start=1):
        if not ocr.needs_ocr(text):
            pages.append(RawPage(number, text))
        elif ocr_ready:
            pages.append(_recognised_page(path, number, ocr))
        else:
            pages.append(RawPage(number, "", method="ocr", skip_reason=ocr.unavailable_reason()))
    return pages


def _recognised_page(path: Path, number: int, ocr: PageOcr) -> RawPage:
    """One page through OCR; a failure leaves the page out with its reason."""
    started = time.perf_counter()
    try:
        text, reason = ocr.read_page(path, number - 1), None
    except ConversionError as exc:
        text, reason = "", exc.message
    seconds = time.perf_counter() - started
    return RawPage(number, text, method="ocr", skip_reason=reason, ocr_seconds=seconds)


def _pdf_text_layers(path: Path) -> list[str]:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError(
                f"{path.name} is encrypted with a password", code=ErrorCode.ENCRYPTED
            )
        return [page.extract_text() or "" for page in reader.pages]
    except ConversionError:
        raise
    except (DependencyError, FileNotDecryptedError) as exc:
        raise ConversionError(
            f"{path.name} is encrypted and cannot be read: {exc}", code=ErrorCode.ENCRYPTED
        ) from exc
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise ConversionError(f"{path.name} is not a readable PDF: {exc}") from exc


def decode_text(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), falling back to Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ConversionError(f"{name}: text is neither UTF-8 nor Windows-1252") from exc


def read_text_pages(path: Path) -> list[RawPage]:
    """A plain text file; form feeds separate pages."""
    text = decode_text(path.read_bytes(), path.name)
    return [RawPage(number, page) for number, page in enumerate(text.split("\f"), start=1)]


def markdown_to_plain(markdown: str) -> tuple[str, list[tuple[int, str]]]:
    """Strip Markdown syntax line by line; return the text and its headings (level 0 = `#`)."""
    lines: list[str] = []
    headings: list[tuple[int, str]] = []
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        heading = None if in_code else MARKDOWN_HEADING.match(line)
        if heading:
            line = _strip_inline(heading.group(2))
            headings.append((len(heading.group(1)) - 1, line))
        elif not in_code:
            line = _strip_inline(re.sub(r"^\s*>\s?", "", line))
        lines.append(line)
    return "\n".join(lines), headings


def _strip_inline(line: str) -> str:
    for pattern, replacement in MARKDOWN_INLINE:
        line = pattern.sub(replacement, line)
    return line


def read_markdown_pages(path: Path) -> list[RawPage]:
    """A Markdown file as one page of plain text."""
    text, headings = markdown_to_plain(decode_text(path.read_bytes(), path.name))
    return [RawPage(1, text, headings)]
