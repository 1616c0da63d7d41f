"""`ExtractiveAnswerComposer`: a short German answer made of verified quotes, each with `[n]`."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

ABSTENTION_TEXT = (
    "Dazu habe ich in den Dokumenten keine verlässliche Quelle gefunden. Die Frage wurde als "
    "Wissenslücke für die Geschäftsstelle vermerkt."
)


def source_label(meta: dict[str, Any]) -> str:
    """How the answer names a source: "VR 3 (2019)", "Landkreis Emsland (2023)" or the title."""
    year = f" ({str(meta['date'])[:4]})" if meta.get("date") else ""
    if meta.get("ring") and meta.get("kind") == "protokoll":
        return f"VR {str(meta['ring'])[2:]}{year}"
    if meta.get("job_centre"):
        return f"{meta['job_centre']}{year}"
    title = str(meta.get("title") or meta.get("source_name") or "Dokument")
    return (title if len(title) <= 60 else title[:57].rstrip() + "…") + year


def one_line(text: str) -> str:
    """Whitespace (line breaks of PDF pages) collapsed for display; the quote stays verbatim."""
    return " ".join(text.split())


@component
class ExtractiveAnswerComposer:
    """Compose the answer from verified sentences, grouped by source, or abstain."""

    def __init__(self, *, min_relevance: float = 0.85) -> None:
        self.min_relevance = min_relevance

    @component.output_types(answer=str, citations=list[Document], abstained=bool)
    def run(self, documents: list[Document], best_score: float) -> dict[str, Any]:
        """Number the quotes in answer order; abstain when nothing relevant enough is left."""
        if not documents or best_score < self.min_relevance:
            return {"answer": ABSTENTION_TEXT, "citations": [], "abstained": True}
        groups: dict[str, list[Document]] = {}
        for sentence in documents:  # the best sentence's document comes first
            groups.setdefault(str(sentence.meta["document_id"]), []).append(sentence)
        parts: list[str] = []
        citations: list[Document] = []
        for sentences in groups.values():
            sentences.sort(key=lambda d: (d.meta["page"], d.meta["start_offset"]))
            quotes = []
            for sentence in sentences:
                citations.append(sentence)
                quotes.append(f"„{one_line(sentence.content or '')}“ [{len(citations)}]")
            parts.append(f"{source_label(sentences[0].meta)}: " + " ".join(quotes))
        lead = "Mehrere Quellen äußern sich dazu. " if len(groups) > 1 else ""
        return {"answer": lead + "; ".join(parts), "citations": citations, "abstained": False}
