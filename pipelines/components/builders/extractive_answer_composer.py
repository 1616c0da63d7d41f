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


def quote(sentence: Document, number: int) -> str:
    """A verbatim quote with its citation marker."""
    return f"„{one_line(sentence.content or '')}“ [{number}]"


@component
class ExtractiveAnswerComposer:
    """Compose the answer from verified sentences, best first, or abstain.

    It abstains when nothing is left or the answerability `confidence` is below
    `min_confidence`. Quotes of one source stand together under its label, the sources in the
    order of their best sentence; an agreement question (`kind == "agreement"`) gets the
    agreements of its protocol as a list.
    """

    def __init__(self, *, min_confidence: float = 0.5) -> None:
        self.min_confidence = min_confidence

    @component.output_types(answer=str, citations=list[Document], abstained=bool)
    def run(
        self, documents: list[Document], confidence: float, kind: str = "other"
    ) -> dict[str, Any]:
        """Number the quotes in answer order; abstain when nothing relevant enough is left."""
        if not documents or confidence < self.min_confidence:
            return {"answer": ABSTENTION_TEXT, "citations": [], "abstained": True}
        if kind == "agreement":
            lines = [quote(sentence, n) for n, sentence in enumerate(documents, start=1)]
            answer = f"Vereinbarungen laut {source_label(documents[0].meta)}:\n" + "\n".join(
                f"- {line}" for line in lines
            )
            return {"answer": answer, "citations": list(documents), "abstained": False}
        groups: dict[str, list[Document]] = {}
        for sentence in documents:  # best first
            groups.setdefault(str(sentence.meta["document_id"]), []).append(sentence)
        parts: list[str] = []
        citations: list[Document] = []
        for sentences in groups.values():
            quotes = []
            for sentence in sentences:
                citations.append(sentence)
                quotes.append(quote(sentence, len(citations)))
            parts.append(f"{source_label(sentences[0].meta)}: " + " ".join(quotes))
        lead = "Mehrere Quellen äußern sich dazu. " if len(groups) > 1 else ""
        return {"answer": lead + "; ".join(parts), "citations": citations, "abstained": False}
