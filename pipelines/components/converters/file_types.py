"""Decide a file's format from its content first and its extension second.

PDF by its `%PDF-` header; DOCX and PPTX by the parts inside the ZIP container
(`word/document.xml`, `ppt/presentation.xml`); HTML by its markup; e-mail by its RFC 822
headers; Markdown and plain text by extension.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from core.errors import ConversionError, ErrorCode

TEXT_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED_FORMATS = ("pdf", "docx", "pptx", "html", "eml", "markdown", "text")
SUPPORTED_NAMES = (
    "PDF (.pdf), Word (.docx), PowerPoint (.pptx), HTML (.html), e-mail (.eml), Markdown (.md), "
    "plain text (.txt)"
)
OFFICE_PARTS = {
    "word/document.xml": ("docx", "a Word document (DOCX)"),
    "ppt/presentation.xml": ("pptx", "a PowerPoint deck (PPTX)"),
    "xl/workbook.xml": ("xlsx", "an Excel workbook (XLSX)"),
}
OFFICE_EXTENSIONS = {".docx": "docx", ".pptx": "pptx", ".xlsx": "xlsx"}
_BINARY_SIGNATURES = {
    b"\xd0\xcf\x11\xe0": "an old Office file (DOC, XLS, PPT, MSG)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}
HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*|<\?xml[^>]*>\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
MAIL_HEADER = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*):[ \t]", re.M)
MAIL_HEADER_NAMES = {
    b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"mime-version", b"received",
    b"return-path", b"content-type", b"reply-to", b"x-mailer", b"delivered-to",
}  # fmt: skip


def _unsupported(message: str) -> ConversionError:
    return ConversionError(message, code=ErrorCode.UNSUPPORTED_FORMAT)


def detect_format(path: Path, head: bytes) -> str:
    """Return one of `SUPPORTED_FORMATS`, or raise `ConversionError` saying what the file is."""
    if head.lstrip()[:5] == b"%PDF-" or (b"%PDF-" in head[:1024] and path.suffix.lower() == ".pdf"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _office_format(path)
    for signature, description in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise _unsupported(
                f"{path.name} is {description}; supported formats: {SUPPORTED_NAMES}"
            )
    if path.suffix.lower() == ".pdf":
        raise _unsupported(f"{path.name} is named .pdf but is not a PDF (no %PDF header)")
    if b"\x00" in head:
        raise _unsupported(
            f"{path.name} is a binary file of unknown type; supported formats: {SUPPORTED_NAMES}"
        )
    if HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")):
        return "html"
    if looks_like_mail(head):
        return "eml"
    if path.suffix.lower() == ".eml":
        raise _unsupported(f"{path.name} is named .eml but has no e-mail headers")
    fmt = TEXT_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise _unsupported(
            f"{path.name}: extension {path.suffix or '(none)'} is not supported; supported "
            f"formats: {SUPPORTED_NAMES}"
        )
    return fmt


def sniff_format(path: Path) -> str | None:
    """The format of a file from its first bytes, or None when it is not supported."""
    try:
        with path.open("rb") as handle:
            return detect_format(path, handle.read(4096))
    except (ConversionError, OSError):
        return None


def looks_like_mail(head: bytes) -> bool:
    """True when the file starts with RFC 822 headers, at least two of them well known."""
    header_block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if not MAIL_HEADER.match(header_block):
        return False
    names = {match.group(1).lower() for match in MAIL_HEADER.finditer(header_block)}
    return len(names & MAIL_HEADER_NAMES) >= 2 and bool(names & {b"from", b"received"})


def _office_format(path: Path) -> str:
    """DOCX or PPTX from the parts of a ZIP container; anything else is named and rejected."""
    try:
        with zipfile.ZipFile(path) as container:
            names = set(container.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unsupported(
            f"{path.name} is a ZIP container that cannot be opened; supported formats: "
            f"{SUPPORTED_NAMES}"
        ) from exc
    found = next((OFFICE_PARTS[part] for part in OFFICE_PARTS if part in names), None)
    if found is None:
        raise _unsupported(
            f"{path.name} is a ZIP container (no Word or PowerPoint document inside); "
            f"supported formats: {SUPPORTED_NAMES}"
        )
    fmt, description = found
    named = OFFICE_EXTENSIONS.get(path.suffix.lower())
    if named is not None and named != fmt:
        raise _unsupported(f"{path.name} is mislabelled: named {path.suffix} but is {description}")
    if fmt == "xlsx":
        raise _unsupported(f"{path.name} is {description}; supported formats: {SUPPORTED_NAMES}")
    return fmt
