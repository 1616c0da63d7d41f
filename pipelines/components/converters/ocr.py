"""Text recognition of PDF pages: render with pypdfium2, read with tesseract (pytesseract)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytesseract

from core.errors import ConversionError, ErrorCode


@dataclass(frozen=True)
class PageOcr:
    """How scanned pages are read; `enabled=False` leaves them out.

    A page whose text layer has fewer than `min_text_chars` characters (besides spaces) is
    recognised instead.
    """

    enabled: bool = True
    language: str = "deu"
    dpi: int = 200
    min_text_chars: int = 20
    tesseract_command: str = "tesseract"
    timeout_seconds: int = 300

    def available(self) -> bool:
        """True when OCR is enabled and the tesseract program can be found."""
        return self.enabled and shutil.which(self.tesseract_command) is not None

    def unavailable_reason(self) -> str:
        """Why a page without a text layer is left out."""
        if not self.enabled:
            return "no text layer; OCR is switched off (BLOK_OCR__ENABLED)"
        return (
            f"no text layer; OCR unavailable: tesseract ({self.tesseract_command}) is not "
            "installed (install tesseract-ocr and tesseract-ocr-deu, see scripts/setup.sh)"
        )

    def needs_ocr(self, text: str) -> bool:
        """True when a text layer is too thin to count."""
        return len("".join(text.split())) < self.min_text_chars

    def read_page(self, path: Path, page_index: int) -> str:
        """Render page `page_index` (0-based) of a PDF and return the recognised text.

        Raises:
            ConversionError: the page cannot be rendered or tesseract fails.
        """
        try:
            document = pypdfium2.PdfDocument(path)
            try:
                bitmap = document[page_index].render(scale=self.dpi / 72)
                image = bitmap.to_pil()
            finally:
                document.close()
        except pypdfium2.PdfiumError as exc:
            raise ConversionError(f"{path.name}: page {page_index + 1} cannot be rendered") from exc
        # pytesseract reads the program from a module variable; set it for every call.
        pytesseract.pytesseract.tesseract_cmd = self.tesseract_command
        try:
            text: str = pytesseract.image_to_string(
                image,
                lang=self.language,
                config=f"--dpi {self.dpi}",
                timeout=self.timeout_seconds,
            )
        except (pytesseract.TesseractError, OSError, RuntimeError) as exc:
            raise ConversionError(
                f"{path.name}: text recognition of page {page_index + 1} failed: {exc}",
                code=ErrorCode.OCR_UNAVAILABLE,
            ) from exc
        return text
