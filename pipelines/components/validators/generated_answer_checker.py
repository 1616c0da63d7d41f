"""`GeneratedAnswerChecker`: keep only generated sentences whose `[n]` exist and support them.

Every kept sentence gets, for each passage it cites, the passage sentence that overlaps it most as
a verbatim quote (checked against the stored page text). Sentences without a valid citation or
without enough support in the cited passages are dropped; if none is left, or the generator
failed, the extractive answer is used instead and `mode` says so.
"""

from __future__ import annotations

import re
from typing import Any

from haystack import Document, component

from pipelines.components.generators.chat_answer_generator import NO_SOURCE_MARKER
from pipelines.components.preprocessors.passage_sentence_splitter import passage_sentences
from pipelines.components.validators.citation_verifier import PageTextLookup, quote_is_verbatim
from pipelines.text.german_text import sentence_spans

MARKER = re.compile(r"\s*\[(\d{1,2})\]")
WORD = re.compile(r"\w+")
STOPWORDS = frozenset(
    "aber alle auch auf aus bei beim bereits dabei damit dass dazu denn der die das dem den des "
    "dies diese dieser dieses durch eine einem einen einer eines für gibt haben hat hatte hier "
    "im in ist kann können mehr mit nach nicht noch nur oder sich sie sind so sowie über um und "
    "unter vom von vor war wird werden wie wurde wurden zum zur zwischen".split()
)
STEM_LENGTH = 6


def content_stems(text: str) -> set[str]:
    """Lower-cased word beginnings of the content words (a crude, inflection-tolerant stem)."""
    words = (w.casefold() for w in WORD.findall(MARKER.sub(" ", text)))
    return {w[:STEM_LENGTH] for w in words if len(w) >= 4 and w not in STOPWORDS}


def support(sentence: str, passages: list[Document]) -> float:
    """Share of the sentence's content words found in the cited passages."""
    wanted = content_stems(sentence)
    if not wanted:
        return 0.0
    available = set().union(*(content_stems(p.content or "") for p in passages))
    return len(wanted & available) / len(wanted)


@component
class GeneratedAnswerChecker:
    """Check a generated answer's citations and support; fall back to the extractive answer."""

    def __init__(self, *, page_text: PageTextLookup, min_support: float = 0.5) -> None:
        self.page_text = page_text
        self.min_support = min_support

    @component.output_types(
        answer=str, citations=list[Document], abstained=bool, mode=str, dropped=int
    )
    def run(
        self,
        reply: str | None,
        error: str | None,
        passages: list[Document],
        fallback_answer: str,
        fallback_citations: list[Document],
        fallback_abstained: bool,
    ) -> dict[str, Any]:
        """Return the checked generated answer, or the extractive one with the reason."""
        fallback = {
            "answer": fallback_answer,
            "citations": fallback_citations,
            "abstained": fallback_abstained,
            "dropped": 0,
        }
        if fallback_abstained:
            return {**fallback, "mode": "extractive"}
        if reply is None or NO_SOURCE_MARKER in reply:
            reason = error or "the model found no source"
            return {**fallback, "mode": f"extractive (fallback: {reason})"}
        kept, citations, dropped = self._check(reply, passages)
        if not kept:
            reason = f"no generated sentence was supported ({dropped} dropped)"
            return {**fallback, "mode": f"extractive (fallback: {reason})"}
        answer = " ".join(kept)
        return {
            "answer": answer,
            "citations": citations,
            "abstained": False,
            "mode": "generated",
            "dropped": dropped,
        }

    def _check(self, reply: str, passages: list[Document]) -> tuple[list[str], list[Document], int]:
        kept: list[str] = []
        citations: list[Document] = []
        numbers: dict[tuple[str, int], int] = {}
        dropped = 0
        for start, end in sentence_spans(reply):
            sentence = reply[start:end]
            cited = [int(n) for n in MARKER.findall(sentence)]
            valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
            sources = [passages[n - 1] for n in valid]
            if (
                not valid
                or len(valid) != len(set(cited))
                or support(sentence, sources) < self.min_support
            ):
                dropped += 1
                continue
            markers = []
            for source in sources:
                quote = self._best_quote(sentence, source)
                if quote is None:
                    break
                key = (str(quote.meta["document_id"]), int(quote.meta["start_offset"]))
                if key not in numbers:
                    citations.append(quote)
                    numbers[key] = len(citations)
                markers.append(f"[{numbers[key]}]")
            if len(markers) != len(sources):
                dropped += 1
                continue
            text = MARKER.sub("", sentence).rstrip()
            ending = text[-1] if text[-1:] in ".!?" else "."
            kept.append(f"{text.rstrip('.!?')} {''.join(markers)}{ending}")
        return kept, citations, dropped

    def _best_quote(self, sentence: str, passage: Document) -> Document | None:
        wanted = content_stems(sentence)
        candidates = passage_sentences(passage, min_words=3)
        if not candidates:
            return None
        best = max(candidates, key=lambda c: len(wanted & content_stems(c.content or "")))
        meta = best.meta
        page_text = self.page_text(str(meta["document_id"]), int(meta["page"]))
        verbatim = quote_is_verbatim(
            page_text, best.content or "", int(meta["start_offset"]), int(meta["end_offset"])
        )
        return best if verbatim else None
