"""The answering pipeline: retrieved passages → extractive answer with verified citations.

It starts where the query pipeline ends (`pipelines.query`): the passages it retrieved and the
question's e5 vector. The searcher runs the two one after the other (`pipelines.search`), so an
answer rests on exactly the retrieval a search does.

```
passages ─► PassageSentenceSplitter ─► sentence embedder (e5)
query_embedding ──────────────────────────┐            │
                                          ▼            ▼
                  SentenceSelector (cosine of each sentence to the question)
                                          │ quotes, best score
                                          ▼
                CitationVerifier (verbatim in the stored page at its offsets)
                                          ▼
                  ExtractiveAnswerComposer (answer with [n], or abstain)
                                          ▼ (only with an LLM endpoint configured)
ChatAnswerGenerator (OpenAI-compatible) ─► GeneratedAnswerChecker (citations exist and
                                           support the sentence; else extractive)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from haystack import Document, Pipeline
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
)

from core.settings import AnswerSettings, GenerationSettings
from pipelines.components.builders.extractive_answer_composer import ExtractiveAnswerComposer
from pipelines.components.builders.sentence_selector import SentenceSelector
from pipelines.components.generators.chat_answer_generator import ChatAnswerGenerator
from pipelines.components.preprocessors.passage_sentence_splitter import PassageSentenceSplitter
from pipelines.components.validators.citation_verifier import CitationVerifier, PageTextLookup
from pipelines.components.validators.generated_answer_checker import GeneratedAnswerChecker
from pipelines.models.embedding_model import is_local_model


def build_answering_pipeline(
    *,
    model: str,
    answer: AnswerSettings,
    page_text: PageTextLookup,
    generation: GenerationSettings | None = None,
    passage_prefix: str = "passage: ",
) -> Pipeline:
    """Wire the answering pipeline; run it with `run_answering(...)`."""
    pipeline = Pipeline()
    pipeline.add_component(
        "sentence_splitter",
        PassageSentenceSplitter(passages=answer.passages, min_words=answer.min_sentence_words),
    )
    pipeline.add_component(
        "sentence_embedder",
        SentenceTransformersDocumentEmbedder(
            model=model,
            prefix=passage_prefix,
            progress_bar=False,
            normalize_embeddings=True,
            local_files_only=is_local_model(model),
        ),
    )
    pipeline.add_component(
        "selector",
        SentenceSelector(
            max_sentences=answer.max_sentences,
            sentences_per_document=answer.sentences_per_document,
            max_words=answer.max_words,
            relevance_margin=answer.relevance_margin,
        ),
    )
    pipeline.add_component("verifier", CitationVerifier(page_text=page_text))
    pipeline.add_component("composer", ExtractiveAnswerComposer(min_relevance=answer.min_relevance))
    pipeline.connect("sentence_splitter.documents", "sentence_embedder.documents")
    pipeline.connect("sentence_embedder.documents", "selector.documents")
    pipeline.connect("selector.documents", "verifier.documents")
    pipeline.connect("selector.best_score", "composer.best_score")
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
        best_score: The best sentence's cosine to the question (the abstention threshold's).
        quotes: The candidate quotes before the verbatim check, the best sentence first.
        rejected_citations: How many candidate quotes failed the verbatim check.
    """

    answer: str
    citations: list[Document]
    abstained: bool
    mode: str
    best_score: float
    quotes: list[Document]
    rejected_citations: int


def run_answering(
    pipeline: Pipeline, query: str, *, passages: list[Document], query_embedding: list[float]
) -> Answer:
    """Answer `query` from `passages` (the query pipeline's documents, already access-checked)."""
    inputs: dict[str, dict[str, Any]] = {
        "sentence_splitter": {"documents": passages},
        "selector": {"query_embedding": query_embedding},
    }
    generating = "generator" in pipeline.graph.nodes
    if generating:
        inputs["generator"] = {"query": query, "passages": passages}
        inputs["checker"] = {"passages": passages}
    result = pipeline.run(inputs, include_outputs_from={"selector", "verifier", "composer"})
    final = result["checker"] if generating else {**result["composer"], "mode": "extractive"}
    return Answer(
        answer=final["answer"],
        citations=final["citations"],
        abstained=final["abstained"],
        mode=final["mode"],
        best_score=result["selector"]["best_score"],
        quotes=result["selector"]["documents"],
        rejected_citations=result["verifier"]["rejected"],
    )
