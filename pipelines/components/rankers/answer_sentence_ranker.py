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
from pipelines.answers.patterns import defines, definition_subject
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

    A definition question ("Was ist ein Kooperationsplan?") puts the sentences that say what
    its subject is ("… ersetzt der Kooperationsplan die Eingliederungsvereinbarung", "Unter X
    versteht man …"; `pipelines.answers.patterns.defines`) first, at the best sentence's score;
    the confidence stays the model's.
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
        defining = definitions(query, question.kind, documents)
        if defining:  # the sentences saying what the subject is come first, at the best score
            top = max(logits)
            logits = [max(v, top) if i in defining else v for i, v in enumerate(logits)]
        order = sorted(range(len(documents)), key=lambda i: (i not in defining, -logits[i], i))
        ranked = [
            Document(
                content=documents[i].content, meta=dict(documents[i].meta), score=sigmoid(logits[i])
            )
            for i in order
        ]
        return {"documents": ranked, "confidence": confidence, "kind": question.kind}


def definitions(query: str, kind: str, sentences: list[Document]) -> set[int]:
    """The indexes of the sentences that define a definition question's subject."""
    subject = definition_subject(query) if kind == "definition" else None
    if subject is None:
        return set()
    return {i for i, sentence in enumerate(sentences) if defines(subject, sentence.content or "")}
