"""`python -m evaluation.encoder_quality`: the OpenVINO int8 encoder against float32 PyTorch.

Ingests each gold set (demo, XQuAD-de, OMoS-QA dev by default) twice into data directories of
their own, once with `BLOK_EMBEDDING__BACKEND=torch` and once with `openvino`, then prints

1. the cosine of every chunk's int8 vector to its float32 vector (the same chunk in both stores:
   mean, 1st percentile, minimum), and the same for the sets' questions as queries;
2. Recall@1/5/10 and MRR per set with both encoders and the difference: dense retrieval by
   exact cosine over the stored chunk vectors, documents ranked by their best chunk (all
   questions, queries embedded in batches); with `--hybrid` also dense and hybrid through the
   searcher as `blok eval` runs them (sparse does not use the encoder), one query at a time;
3. whether the bound holds: R@5 lower by at most 0.01 on every set and mode.

The int8 export must exist (`blok model`); the exit status is 1 when the bound does not hold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document

from core.settings import EmbeddingSettings, Settings
from evaluation.datasets import GoldSet
from evaluation.metrics import distinct, summarize
from evaluation.runner import RANKING_DEPTH, load_gold_set, rank_documents
from ingest.runner import run_ingest
from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.models.embedding_model import DenseEncoder, build_document_embedder
from pipelines.search import Searcher, open_searcher
from pipelines.stores import EdgeChunkStore

SETS = ("demo", "xquad-de", "omosqa-de-dev")
MODES: tuple[RetrievalMode, ...] = ("dense", "hybrid")  # sparse does not use the encoder
BACKENDS = ("torch", "openvino")
R5_BOUND = 0.01


def retrieval_figures(searcher: Searcher, gold: GoldSet) -> dict[str, dict[str, float]]:
    """R@k and MRR per mode over the answerable questions, as `blok eval` ranks them."""
    questions = [q for q in gold.questions if q.relevant]
    return {
        mode: {
            **summarize([(rank_documents(searcher, q.query, mode), q.relevant) for q in questions]),
            "questions": float(len(questions)),
        }
        for mode in MODES
    }


def chunk_vectors(settings: Settings) -> dict[tuple[Any, ...], np.ndarray]:
    """The dense vector of every chunk in the store, by file, page and offsets."""
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        return {
            (
                record.payload.get("source_name"),
                record.payload.get("page_start"),
                record.payload.get("start_offset"),
                record.payload.get("end_offset"),
            ): np.asarray(record.dense, dtype=np.float32)
            for record in store.records()
        }
    finally:
        store.close()


def cosine_line(label: str, first: list[np.ndarray], second: list[np.ndarray]) -> str:
    """Mean, 1st percentile and minimum cosine of paired vectors."""
    a, b = np.stack(first), np.stack(second)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return (
        f"{label}: {len(cos)} pairs, cosine mean {cos.mean():.4f}, "
        f"p1 {np.percentile(cos, 1):.4f}, min {cos.min():.4f}"
    )


def query_vectors(encoder: DenseEncoder, prefix: str, queries: list[str]) -> list[np.ndarray]:
    """Each query's vector, embedded in batches of 32 (the same vectors as one at a time)."""
    embedder = build_document_embedder(
        encoder, prefix=prefix, batch_size=32, meta_fields_to_embed=[]
    )
    embedder.warm_up()
    documents = embedder.run(documents=[Document(content=q) for q in queries])["documents"]
    return [np.asarray(doc.embedding, dtype=np.float32) for doc in documents]


def dense_figures(
    gold: GoldSet, chunks: dict[tuple[Any, ...], np.ndarray], queries: list[np.ndarray]
) -> dict[str, float]:
    """Dense retrieval by exact cosine over the store's chunk vectors, ranked by document."""
    keys = list(chunks)
    matrix = np.stack([chunks[key] for key in keys])
    runs = []
    for question, vector in zip(gold.questions, queries, strict=True):
        if not question.relevant:
            continue
        order = np.argsort(-(matrix @ vector), kind="stable")
        names = distinct([str(keys[i][0]) for i in order[: RANKING_DEPTH * 30]])
        runs.append((names[:RANKING_DEPTH], question.relevant))
    return {**summarize(runs), "questions": float(len(runs))}


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the figures; 1 when the R@5 bound does not hold."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models-dir", type=Path, default=Path("data/models"))
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated gold sets")
    parser.add_argument("--work-dir", type=Path, help="keep the data directories here")
    parser.add_argument(
        "--hybrid", action="store_true", help="also dense and hybrid through the searcher (slow)"
    )
    args = parser.parse_args(argv)
    names = [name for name in args.sets.split(",") if name]
    with tempfile.TemporaryDirectory() as tmp:
        root = args.work_dir or Path(tmp)
        return compare(root, args.models_dir, names, args.hybrid)


def compare(root: Path, models_dir: Path, names: list[str], hybrid: bool) -> int:
    """Ingest, measure and print; the exit status."""
    from pipelines.models.embedding_model import resolve_dense_encoder

    figures: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    passages: dict[str, list[np.ndarray]] = {backend: [] for backend in BACKENDS}
    queries: dict[str, list[np.ndarray]] = {backend: [] for backend in BACKENDS}
    for name in names:
        vectors: dict[str, dict[tuple[Any, ...], np.ndarray]] = {}
        for backend in BACKENDS:
            base = Settings(
                data_dir=root / backend,
                embedding=EmbeddingSettings(models_dir=models_dir, backend=backend),  # type: ignore[arg-type]
            )
            gold = load_gold_set(base, name)
            local = base.model_copy(update={"data_dir": root / backend / gold.name})
            encoder = resolve_dense_encoder(local.embedding, local.models_dir)
            if encoder.backend != backend:
                print(f"no {backend} encoder (run `blok model` first)", file=sys.stderr)
                return 2
            run_ingest(local, [gold.corpus_dir])
            vectors[backend] = chunk_vectors(local)
            texts = [q.query for q in gold.questions]
            asked = query_vectors(encoder, local.embedding.query_prefix, texts)
            queries[backend] += asked
            modes = {"dense (exact)": dense_figures(gold, vectors[backend], asked)}
            if hybrid:
                with open_searcher(local) as searcher:
                    modes |= retrieval_figures(searcher, gold)
            figures.setdefault(gold.name, {})[backend] = modes
        print("\n".join(render({gold.name: figures[gold.name]}).splitlines()[2:]), flush=True)
        shared = sorted(set(vectors["torch"]) & set(vectors["openvino"]), key=str)
        for backend in BACKENDS:
            passages[backend] += [vectors[backend][key] for key in shared]
    print(cosine_line("chunks (passages)", passages["openvino"], passages["torch"]))
    print(cosine_line("questions (queries)", queries["openvino"], queries["torch"]))
    print(render(figures))
    worst = min(
        modes["openvino"][mode]["R@5"] - modes["torch"][mode]["R@5"]
        for modes in figures.values()
        for mode in modes["torch"]
    )
    holds = worst >= -R5_BOUND
    print(f"largest R@5 loss {-worst:+.3f}: bound {R5_BOUND} {'holds' if holds else 'BROKEN'}")
    return 0 if holds else 1


def render(figures: dict[str, dict[str, dict[str, dict[str, float]]]]) -> str:
    """A Markdown table: float32 and int8 figures per set and mode, and their difference."""
    columns = ("R@1", "R@5", "R@10", "MRR")
    lines = [
        "| data set | mode | questions | "
        + " | ".join(f"{c} f32 / int8 (Δ)" for c in columns)
        + " |",
        "|---|---|---|" + "---|" * len(columns),
    ]
    for name, backends in figures.items():
        for mode, torch_figures in backends["torch"].items():
            fast = backends["openvino"][mode]
            cells = " | ".join(
                f"{torch_figures[c]:.3f} / {fast[c]:.3f} ({fast[c] - torch_figures[c]:+.3f})"
                for c in columns
            )
            lines.append(f"| {name} | {mode} | {int(torch_figures['questions'])} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
