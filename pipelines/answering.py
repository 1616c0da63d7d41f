"""The ask pipeline: the query pipeline plus extractive answering with verified citations.

```
query pipeline ─► retriever.documents ─► PassageSentenceSplitter ─► sentence embedder (e5)
dense_embedder.embedding ───────────────────────────────┐                  │
                                                        ▼                  ▼
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

from typing import Any

from haystack import Document, Pipeline
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
)

from core.filters import Condition, SearchFilters
from core.settings import AnswerSettings, GenerationSettings, RetrievalSettings
from pipelines.components.builders.extractive_answer_composer import ExtractiveAnswerComposer
from pipelines.components.builders.sentence_selector import SentenceSelector
from pipelines.components.generators.chat_answer_generator import ChatAnswerGenerator
from pipelines.components.preprocessors.passage_sentence_splitter import PassageSentenceSplitter
from pipelines.components.validators.citation_verifier import CitationVerifier, PageTextLookup
from pipelines.components.validators.generated_answer_checker import GeneratedAnswerChecker
from pipelines.models.embedding_model import is_local_model
from pipelines.query import build_query_pipeline
from pipelines.stores.base import ChunkStore


def build_ask_pipeline(
    *,
    store: ChunkStore,
    model: str,
    retrieval: RetrievalSettings,
    answer: AnswerSettings,
    page_text: PageTextLookup,
    generation: GenerationSettings | None = None,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    **query_options: Any,
) -> Pipeline:
    """Wire the ask pipeline; run it with `run_ask(...)`."""
    pipeline = build_query_pipeline(
        store=store, model=model, retrieval=retrieval, query_prefix=query_prefix, **query_options
    )
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
    pipeline.connect("retriever.documents", "sentence_splitter.documents")
    pipeline.connect("sentence_splitter.documents", "sentence_embedder.documents")
    pipeline.connect("sentence_embedder.documents", "selector.documents")
    pipeline.connect("dense_embedder.embedding", "selector.query_embedding")
    pipeline.connect("selector.documents", "verifier.documents")
    pipeline.connect("selector.best_score", "composer.best_score")
    pipeline.connect("verifier.documents", "composer.documents")
    if generation is not None and generation.base_url:
        add_generation(pipeline, generation, page_text)
    return pipeline


def add_generation(
    pipeline: Pipeline, generation: GenerationSettings, page_text: PageTextLookup
) -> None:
    """Generate from the retrieved passages; the extractive answer stays the fallback."""
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
    pipeline.connect("retriever.documents", "generator.passages")
    pipeline.connect("composer.abstained", "generator.abstained")
    pipeline.connect("generator.reply", "checker.reply")
    pipeline.connect("generator.error", "checker.error")
    pipeline.connect("retriever.documents", "checker.passages")
    pipeline.connect("composer.answer", "checker.fallback_answer")
    pipeline.connect("composer.citations", "checker.fallback_citations")
    pipeline.connect("composer.abstained", "checker.fallback_abstained")


def run_ask(
    pipeline: Pipeline,
    query: str,
    *,
    top_k: int,
    filters: SearchFilters | None = None,
    access_conditions: list[Condition] | None = None,
) -> dict[str, Any]:
    """Run the ask pipeline; returns answer, citations, abstained, passages, best score.

    `access_conditions` limit retrieval (and so every passage, quote and citation) to what the
    caller may see; None is full access, for trusted in-process callers only.
    """
    inputs: dict[str, dict[str, Any]] = {
        name: {"text": query}
        for name in ("dense_embedder", "sparse_embedder")
        if name in pipeline.graph.nodes
    }
    if "query_expander" in pipeline.graph.nodes:
        inputs = {"query_expander": {"query": query}}
    inputs["retriever"] = {
        "filters": filters,
        "access_conditions": access_conditions,
        "top_k": top_k,
    }
    generating = "generator" in pipeline.graph.nodes
    if generating:
        inputs["generator"] = {"query": query}
    result = pipeline.run(
        inputs, include_outputs_from={"retriever", "selector", "verifier", "composer"}
    )
    final = result["checker"] if generating else {**result["composer"], "mode": "extractive"}
    passages: list[Document] = result["retriever"]["documents"]
    return {
        "answer": final["answer"],
        "citations": final["citations"],
        "abstained": final["abstained"],
        "mode": final["mode"],
        "passages": passages,
        "best_score": result["selector"]["best_score"],
        "rejected_citations": result["verifier"]["rejected"],
    }
