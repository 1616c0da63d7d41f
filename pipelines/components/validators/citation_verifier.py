"""`CitationVerifier`: a quote is kept only if it stands verbatim in its page at its offsets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from haystack import Document, component

PageTextLookup = Callable[[str, int], str | None]


def quote_is_verbatim(page_text: str | None, quote: str, start: int, end: int) -> bool:
    """True when `page_text[start:end]` is exactly `quote` (and the span is a real span)."""
    return (
        page_text is not None
        and bool(quote)
        and 0 <= start < end <= len(page_text)
        and page_text[start:end] == quote
    )


@component
class CitationVerifier:
    """Check every candidate quote against the stored page text; failing ones are dropped."""

    def __init__(self, *, page_text: PageTextLookup) -> None:
        self.page_text = page_text

    @component.output_types(documents=list[Document], rejected=int)
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Return the verified sentences and how many were rejected."""
        verified = [
            doc
            for doc in documents
            if quote_is_verbatim(
                self.page_text(str(doc.meta.get("document_id")), int(doc.meta.get("page", 0))),
                doc.content or "",
                int(doc.meta.get("start_offset", -1)),
                int(doc.meta.get("end_offset", -1)),
            )
        ]
        return {"documents": verified, "rejected": len(documents) - len(verified)}
