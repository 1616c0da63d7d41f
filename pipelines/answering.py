"""The answering pipeline: retrieved passages → extractive answer with verified citations.

It starts where the query pipeline ends (`pipelines.query`): the passages it retrieved and the
question's e5 vector. The searcher runs the two one after the other (`pipelines.search`), so an
answer rests on exactly the retrieval a search does.

```
passages ─► PassageSentenceSplitter (sentence spans stored at ingestion)
query ───────────────────┐                 │
                         ▼                 ▼
       AnswerSentenceRanker (learned: passage scores, sentence BM25, question-term coverage,
                         │   position, kind of question vs kind of answer; no encoder call)
                         │ sentences best first, confidence (answerability), question kind
                         ▼
       SentenceSelector (best first; one per document for "wie machen es andere";
                         │ the protocol's agreements for "was wurde vereinbart")
                         ▼
                CitationVerifier (verbatim in the stored page at its offsets)
                                          ▼
                  ExtractiveAnswerComposer (answer with [n], or abstain on low confidence)
                                          ▼ (only with an LLM endpoint configured)
ChatAnswerGenerator (OpenAI-compatible) ─► GeneratedAnswerChecker (citations exist and
                                           support the sentence; else extractive)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from haystack import Document, Pipeline

from core.settings import AnswerSettings, GenerationSettings
from pipelines.answers.model import AnswerModel, load_answer_model
from pipelines.components.builders.extractive_answer_composer import ExtractiveAnswerComposer
from pipelines.components.builders.sentence_selector import SentenceSelector
from pipelines.components.generators.chat_answer_generator import ChatAnswerGenerator
from pipelines.components.preprocessors.passage_sentence_splitter import PassageSentenceSplitter
from pipelines.components.rankers.answer_sentence_ranker import AnswerSentenceRanker
from pipelines.components.validators.citation_verifier import CitationVerifier, PageTextLookup
from pipelines.components.validators.generated_answer_checker import GeneratedAnswerChecker
from pipelines.text.glossary import Glossary


def build_answering_pipeline(
    *,
    answer: AnswerSettings,
    page_text: PageTextLookup,
    generation: GenerationSettings | None = None,
    glossary: Glossary | None = None,
    model: AnswerModel | None = None,
) -> Pipeline:
    """Wire the answering pipeline; run it with `run_answering(...)`.

    Args:
        answer: The answer settings (passages, limits, the confidence threshold).
        page_text: The stored page texts quotes are checked against.
        generation: An OpenAI-compatible endpoint to generate from, if configured.
        glossary: The glossary whose expansions of the question count for the ranker.
        model: The answer model (default: the committed `answer_model.json`).
    """
    model = model or load_answer_model()
    min_confidence = answer.min_confidence
    pipeline = Pipeline()
    pipeline.add_component(
        "sentence_splitter",
        PassageSentenceSplitter(passages=answer.passages, min_words=answer.min_sentence_words),
    )
    pipeline.add_component("ranker", AnswerSentenceRanker(model=model, glossary=glossary))
    pipeline.add_component(
        "selector",
        SentenceSelector(
            max_sentences=answer.max_sentences,
            sentences_per_document=answer.sentences_per_document,
            max_words=answer.max_words,
            relevance_margin=answer.relevance_margin,
            max_list_items=answer.max_list_items,
        ),
    )
    pipeline.add_component("verifier", CitationVerifier(page_text=page_text))
    pipeline.add_component(
        "composer",
        ExtractiveAnswerComposer(
            min_confidence=model.threshold if min_confidence is None else min_confidence
        ),
    )
    pipeline.connect("sentence_splitter.documents", "ranker.documents")
    pipeline.connect("ranker.documents", "selector.documents")
    pipeline.connect("ranker.kind", "selector.kind")
    pipeline.connect("ranker.confidence", "composer.confidence")
    pipeline.connect("ranker.kind", "composer.kind")
    pipeline.connect("selector.documents", "verifier.documents")
    pipeline.connect("verifier.documents", "composer.documents")
    if generation is not None and generation.base_url:
        add_generation(pipeline, generation, page_text)
    return pipeline


def add_generation(
    pipeline: Pipeline, generation: GenerationSettings, page_text: PageTextLookup
) -> None:
    """Generate from the retrieved passages; the extractive answer stays the fallback.

    The passages come in as inputs of `generator` and `checker` (`run_answering`).
    """
    assert generation.base_url is not None
    pipeline.add_component(
        "generator",
        ChatAnswerGenerator(
            base_url=generation.base_url,
            model=generation.model,
            api_key=generation.api_key,
            timeout_seconds=generation.timeout_seconds,
            max_tokens=generation.max_tokens,
        ),
    )
    pipeline.add_component(
        "checker", GeneratedAnswerChecker(page_text=page_text, min_support=generation.min_support)
    )
    pipeline.connect("composer.abstained", "generator.abstained")
    pipeline.connect("generator.reply", "checker.reply")
    pipeline.connect("generator.error", "checker.error")
    pipeline.connect("composer.answer", "checker.fallback_answer")
    pipeline.connect("composer.citations", "checker.fallback_citations")
    pipeline.connect("composer.abstained", "checker.fallback_abstained")


@dataclass(frozen=True)
class Answer:
    """What the answering pipeline made of the passages.

    Attributes:
        answer: The answer text with `[n]` markers, or the abstention text.
        citations: The verified quotes, `[n]` is the n-th.
        abstained: Nothing relevant enough was found.
        mode: `extractive`, `generated`, or `extractive (fallback: reason)`.
        best_score: The best sentence's score from the answer-sentence ranker (0 to 1).
        confidence: The answerability classifier's probability that the answer answers the
            question (the abstention threshold's).
        quotes: The candidate quotes before the verbatim check, the best sentence first.
        rejected_citations: How many candidate quotes failed the verbatim check.
    """

    answer: str
    citations: list[Document]
    abstained: bool
    mode: str
    best_score: float
    confidence: float
    quotes: list[Document]
    rejected_citations: int


def run_answering(pipeline: Pipeline, query: str, *, passages: list[Document]) -> Answer:
    """Answer `query` from `passages` (the query pipeline's documents, already access-checked)."""
    inputs: dict[str, dict[str, Any]] = {
        "sentence_splitter": {"documents": passages},
        "ranker": {"query": query},
    }
    generating = "generator" in pipeline.graph.nodes
    if generating:
        inputs["generator"] = {"query": query, "passages": passages}
        inputs["checker"] = {"passages": passages}
    result = pipeline.run(
        inputs, include_outputs_from={"ranker", "selector", "verifier", "composer"}
    )
    final = result["checker"] if generating else {**result["composer"], "mode": "extractive"}
    return Answer(
        answer=final["answer"],
        citations=final["citations"],
        abstained=final["abstained"],
        mode=final["mode"],
        best_score=result["selector"]["best_score"],
        confidence=result["ranker"]["confidence"],
        quotes=result["selector"]["documents"],
        rejected_citations=result["verifier"]["rejected"],
    )
