"""Decide a file's format from its content first and its extension second."""

from __future__ import annotations

from pathlib import Path

from pipelines.errors import ConversionError, ErrorCode

TEXT_EXTENSIONS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown"}
SUPPORTED_FORMATS = ("pdf", "markdown", "text")
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP container (DOCX, PPTX, XLSX or ZIP)",
    b"\xd0\xcf\x11\xe0": "an old Office file (DOC, XLS, PPT)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}


def detect_format(path: Path, head: bytes) -> str:
    """Return `pdf`, `markdown` or `text`, or raise `ConversionError` saying what the file is."""
    if head.lstrip()[:5] == b"%PDF-" or (b"%PDF-" in head[:1024] and path.suffix.lower() == ".pdf"):
        return "pdf"
    for signature, description in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise ConversionError(
                f"{path.name} is {description}; supported formats: PDF, Markdown, plain text",
                code=ErrorCode.UNSUPPORTED_FORMAT,
            )
    if path.suffix.lower() == ".pdf":
        raise ConversionError(
            f"{path.name} is named .pdf but is not a PDF (no %PDF header)",
            code=ErrorCode.UNSUPPORTED_FORMAT,
        )
    if b"\x00" in head:
        raise ConversionError(
            f"{path.name} is a binary file of unknown type; supported formats: PDF, Markdown, "
            "plain text",
            code=ErrorCode.UNSUPPORTED_FORMAT,
        )
    fmt = TEXT_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ConversionError(
            f"{path.name}: extension {path.suffix or '(none)'} is not supported; supported "
            "formats: PDF (.pdf), Markdown (.md), plain text (.txt)",
            code=ErrorCode.UNSUPPORTED_FORMAT,
        )
    return fmt
