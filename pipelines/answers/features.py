"""Cheap features of candidate answer sentences and of a question's answerability.

Everything here is computed from the question's words, the sentences of the retrieved passages
and the retrieval scores those passages carry: no encoder call. Words are compared as our German
BM25 sees them (`pipelines.text.german_lexical`: umlaut spellings folded, compounds followed by
their parts, Snowball stems, stopwords dropped), weighted by rarity (Zipf frequency), and the
glossary's expansions of the question count as a signal of their own.

`SENTENCE_FEATURES` feed the answer-sentence ranker, `QUESTION_FEATURES` the answerability
classifier; both are trained by `python -m evaluation.train_answer_ranker`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from haystack import Document

from pipelines.answers.patterns import (
    AGREEMENT_SECTION,
    LOGISTICS_QUESTION,
    PROBLEM,
    QUESTION_KINDS,
    QuestionKind,
    has_date,
    has_number,
    is_logistics,
    offers,
    question_kind,
)
from pipelines.components.embedders.bm25_embedders import build_bm25
from pipelines.text.german_lexical import GermanLexicalAnalyzer, zipf
from pipelines.text.glossary import Glossary

WORD = re.compile(r"\w+")
TEXT_CACHE_SIZE = 20_000
TYPED_KINDS = ("date", "number", "who", "definition", "agreement")
SENTENCE_FEATURES = (
    "passage_dense",
    "passage_sparse_rel",
    "passage_fused_rel",
    "passage_rank_inv",
    "sentence_bm25",
    "sentence_bm25_rel",
    "coverage",
    "coverage_rel",
    "expansion_coverage",
    "section_coverage",
    "position",
    "first_sentence",
    "log_words",
    "short",
    "list_item",
    "ends_colon",
    "kind_match",
    "kind_miss",
    "has_date",
    "has_number",
    "logistics_offtopic",
    "problem_statement",
    "agreement_section",
)
QUESTION_FEATURES = (
    "best_score",
    "margin",
    "top_dense",
    "max_dense",
    "top_sparse_log",
    "best_coverage",
    "max_coverage",
    "union_coverage",
    "top_passage_coverage",
    "question_words_log",
    *(f"kind_{kind}" for kind in QUESTION_KINDS),
)


class LexicalSpace:
    """German BM25 terms of words and texts, with the analyzer and tokenizer of the index."""

    def __init__(self) -> None:
        self.analyzer = GermanLexicalAnalyzer()
        self.bm25 = build_bm25()
        self._word_terms: dict[str, frozenset[int]] = {}
        self._text_weights: dict[str, dict[int, float]] = {}

    def word_terms(self, word: str) -> frozenset[int]:
        """The term ids of one query word (empty for a stopword)."""
        terms = self._word_terms.get(word)
        if terms is None:
            vector = self.bm25.embed_query(self.analyzer.query_text(word))
            terms = self._word_terms[word] = frozenset(vector.indices)
        return terms

    def text_weights(self, text: str) -> dict[int, float]:
        """BM25 document weights (saturated term frequency) of a text's terms."""
        weights = self._text_weights.get(text)
        if weights is None:
            if len(self._text_weights) >= TEXT_CACHE_SIZE:
                self._text_weights.clear()
            vector = self.bm25.embed_document(self.analyzer.document_text(text))
            weights = self._text_weights[text] = dict(
                zip(vector.indices, vector.values, strict=True)
            )
        return weights


@dataclass(frozen=True)
class QuestionTerms:
    """A question's content words as BM25 terms with rarity weights, and its glossary terms."""

    kind: QuestionKind
    words: tuple[tuple[float, frozenset[int]], ...]
    expansion: frozenset[int]
    logistics: bool

    @classmethod
    def of(cls, question: str, space: LexicalSpace, glossary: Glossary | None) -> QuestionTerms:
        """Analyse the question once per ask."""
        words = []
        for word in dict.fromkeys(WORD.findall(question.casefold())):
            terms = space.word_terms(word)
            if terms:
                words.append((max(0.5, 7.5 - zipf(word)), terms))
        expansion: set[int] = set()
        for term in glossary.expansions(question) if glossary is not None else []:
            expansion.update(space.text_weights(term))
        return cls(
            kind=question_kind(question),
            words=tuple(words),
            expansion=frozenset(expansion),
            logistics=bool(LOGISTICS_QUESTION.search(question)),
        )

    def coverage(self, weights: dict[int, float]) -> float:
        """Rarity-weighted share of the question's words whose terms the text holds."""
        total = sum(weight for weight, _ in self.words)
        hit = sum(w * len(terms & weights.keys()) / len(terms) for w, terms in self.words)
        return hit / total if total else 0.0

    def bm25(self, weights: dict[int, float]) -> float:
        """Rarity-weighted BM25 term weights of the question's words in the text, normalised."""
        total = sum(weight for weight, _ in self.words)
        score = sum(w * max(weights.get(t, 0.0) for t in terms) for w, terms in self.words)
        return score / total if total else 0.0


def passage_scores(sentence: Document) -> tuple[float, float, float]:
    """The dense cosine, BM25 score and fused score of the sentence's passage."""
    meta = sentence.meta
    return (
        float(meta.get("passage_dense") or 0.0),
        float(meta.get("passage_sparse") or 0.0),
        float(meta.get("passage_score") or 0.0),
    )


def sentence_features(
    question: QuestionTerms, sentences: Sequence[Document], space: LexicalSpace
) -> list[list[float]]:
    """One row of `SENTENCE_FEATURES` per sentence."""
    weights = [space.text_weights(s.content or "") for s in sentences]
    coverage = [question.coverage(w) for w in weights]
    bm25 = [question.bm25(w) for w in weights]
    scores = [passage_scores(s) for s in sentences]
    top_sparse = max((sparse for _, sparse, _ in scores), default=0.0) or 1.0
    top_fused = max((fused for _, _, fused in scores), default=0.0) or 1.0
    top_cov, top_bm25 = max(coverage, default=0.0) or 1.0, max(bm25, default=0.0) or 1.0
    typed = question.kind in TYPED_KINDS
    rows = []
    for index, sentence in enumerate(sentences):
        text, meta = sentence.content or "", sentence.meta
        dense, sparse, fused = scores[index]
        count = int(meta.get("sentence_count") or 1)
        position = int(meta.get("sentence_index") or 0)
        words = len(text.split())
        match = typed and offers(question.kind, text)
        section = str(meta.get("section") or "")
        expansion = (
            len(question.expansion & weights[index].keys()) / len(question.expansion)
            if question.expansion
            else 0.0
        )
        rows.append(
            [
                dense,
                sparse / top_sparse,
                fused / top_fused,
                1.0 / (1.0 + int(meta.get("passage_rank") or 0)),
                bm25[index],
                bm25[index] / top_bm25,
                coverage[index],
                coverage[index] / top_cov,
                expansion,
                question.coverage(space.text_weights(section)) if section else 0.0,
                position / max(1, count - 1),
                float(position == 0),
                math.log1p(words),
                float(words < 8),
                float(bool(meta.get("list_item"))),
                float(text.rstrip().endswith(":")),
                float(match),
                float(typed and not match),
                float(has_date(text)),
                float(has_number(text)),
                float(is_logistics(text) and not question.logistics),
                float(bool(PROBLEM.search(text))),
                float(question.kind == "agreement" and bool(AGREEMENT_SECTION.search(section))),
            ]
        )
    return rows


def question_features(
    question: QuestionTerms,
    sentences: Sequence[Document],
    rows: Sequence[Sequence[float]],
    scores: Sequence[float],
    space: LexicalSpace,
) -> list[float]:
    """The row of `QUESTION_FEATURES` for a question whose sentences scored `scores` (logits)."""
    ranked = sorted(scores, reverse=True)
    best = ranked[0] if ranked else -10.0
    second = ranked[1] if len(ranked) > 1 else best - 5.0
    coverage = [row[SENTENCE_FEATURES.index("coverage")] for row in rows]
    passages = {int(s.meta.get("passage_rank") or 0): s for s in sentences}
    top = passages.get(min(passages)) if passages else None
    top_dense, top_sparse, _ = passage_scores(top) if top is not None else (0.0, 0.0, 0.0)
    union: dict[int, float] = {}
    top_text: dict[int, float] = {}
    for sentence in sentences:
        weights = space.text_weights(sentence.content or "")
        union.update(weights)
        if top is not None and sentence.meta.get("passage_rank") == top.meta.get("passage_rank"):
            top_text.update(weights)
    return [
        best,
        best - second,
        top_dense,
        max((passage_scores(s)[0] for s in sentences), default=0.0),
        math.log1p(max(top_sparse, 0.0)),
        coverage[scores.index(ranked[0])] if ranked else 0.0,
        max(coverage, default=0.0),
        question.coverage(union),
        question.coverage(top_text),
        math.log1p(len(question.words)),
        *(float(question.kind == kind) for kind in QUESTION_KINDS),
    ]
