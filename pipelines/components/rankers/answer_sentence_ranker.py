"""`AnswerSentenceRanker`: the learned ranker scores every candidate sentence; no encoder call."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.answers.features import (
    LexicalSpace,
    QuestionTerms,
    question_features,
    sentence_features,
)
from pipelines.answers.model import AnswerModel, sigmoid
from pipelines.text.glossary import Glossary


@component
class AnswerSentenceRanker:
    """Rank the sentences of the retrieved passages and judge whether they answer the question.

    Each sentence gets `score`, the ranker's probability that it answers the question
    (`pipelines.answers.features.SENTENCE_FEATURES`: passage scores, sentence BM25, coverage of
    the question's words, position, length, list item, question kind against answer kind,
    logistics). `confidence` is the answerability classifier's probability that the best
    sentences answer the question at all; `kind` is the question's kind
    (`pipelines.answers.patterns.question_kind`), which the composer's shape follows.
    """

    def __init__(self, *, model: AnswerModel, glossary: Glossary | None = None) -> None:
        self.model = model
        self.glossary = glossary
        self._space: LexicalSpace | None = None

    def warm_up(self) -> None:
        """Load the German lexical analysis (word list, tokenizer) once."""
        if self._space is None:
            self._space = LexicalSpace()
            self._space.analyzer.warm_up()

    @component.output_types(documents=list[Document], confidence=float, kind=str)
    def run(self, query: str, documents: list[Document]) -> dict[str, Any]:
        """Return the sentences best first (score set), the confidence and the question kind."""
        self.warm_up()
        assert self._space is not None
        question = QuestionTerms.of(query, self._space, self.glossary)
        rows = sentence_features(question, documents, self._space)
        logits = self.model.ranker.logits(rows)
        answerability = question_features(question, documents, rows, logits, self._space)
        confidence = sigmoid(self.model.answerability.logits([answerability])[0])
        order = sorted(range(len(documents)), key=lambda i: (-logits[i], i))
        ranked = [
            Document(
                content=documents[i].content, meta=dict(documents[i].meta), score=sigmoid(logits[i])
            )
            for i in order
        ]
        return {"documents": ranked, "confidence": confidence, "kind": question.kind}
