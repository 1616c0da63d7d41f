"""What choosing the answer sentences costs: `python -m evaluation.benchmark --answers N`.

On the demo corpus (ingested into `--answers-data-dir`, or a fresh temporary folder), each of the
first N demo questions is retrieved once; then, interleaved on the same passages:

- `embedding sentences (before)`: what `ask` did until the ranker came: split the passages into
  sentences and embed every sentence with e5 to rank them by cosine to the question;
- `ranker (now)`: the whole answering pipeline as it runs now (stored sentence spans, features,
  the learned ranker, selection, citation check, composition; no encoder call).

It also times whole `ask` calls (query embedding, retrieval and answering) as they run now.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
)

from core.access import SYSTEM
from core.settings import Settings
from evaluation.datasets import DEMO_CORPUS, load_demo_set
from ingest.runner import run_ingest
from pipelines.answering import run_answering
from pipelines.components.preprocessors.passage_sentence_splitter import PassageSentenceSplitter
from pipelines.models.embedding_model import resolve_embedding_model
from pipelines.search import open_searcher


def milliseconds(samples: list[float]) -> str:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def bench_answers(settings: Settings, questions: int) -> list[str]:
    """Lines of figures: sentence embedding (before) against the ranker (now), whole asks."""
    run_ingest(settings, [DEMO_CORPUS])
    queries = [q.query for q in load_demo_set().questions][:questions]
    splitter = PassageSentenceSplitter(
        passages=settings.answer.passages, min_words=settings.answer.min_sentence_words
    )
    embedder = SentenceTransformersDocumentEmbedder(
        model=resolve_embedding_model(settings.embedding.model, settings.models_dir),
        prefix=settings.embedding.passage_prefix,
        progress_bar=False,
        normalize_embeddings=True,
        local_files_only=True,
    )
    embedder.warm_up()
    before: list[float] = []
    now: list[float] = []
    asks: list[float] = []
    sentences = 0
    with open_searcher(settings) as searcher:
        searcher.ask("Aufwärmen", principal=SYSTEM)
        for query in queries:
            passages = searcher.search(query, principal=SYSTEM, top_k=settings.answer.passages)
            started = time.perf_counter()
            split = splitter.run(documents=passages.documents)["documents"]
            embedder.run(documents=split)
            before.append(time.perf_counter() - started)
            sentences += len(split)
            started = time.perf_counter()
            run_answering(searcher.answering_pipeline, query, passages=passages.documents)
            now.append(time.perf_counter() - started)
            started = time.perf_counter()
            searcher.ask(query, principal=SYSTEM)
            asks.append(time.perf_counter() - started)
    count = len(queries)
    return [
        f"answer sentences, {count} demo questions, {sentences / count:.1f} sentences each:",
        f"  embedding sentences (before): {milliseconds(before)}",
        f"  ranker, whole answering pipeline (now): {milliseconds(now)}",
        f"demo ask now ({count} questions, query embedding + retrieval + answer): "
        f"{milliseconds(asks)}",
    ]


def answers_settings(data_dir: Path, models_dir: Path) -> Settings:
    """Default settings on `data_dir` with the shared model folder."""
    settings = Settings(data_dir=data_dir)
    embedding = settings.embedding.model_copy(update={"models_dir": models_dir})
    return settings.model_copy(update={"embedding": embedding})
