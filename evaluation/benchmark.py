"""Speed benchmark: `python -m evaluation.benchmark [--synthetic-chunks N | --mixed-files N]`.

1. Ingests the demo corpus into a fresh data directory with the real default model and reports
   ingestion throughput (chunks/s, including conversion, embedding and writing).
2. Runs every demo gold question through the searcher (query embedding + hybrid retrieval)
   and through `ask` (extractive answer with verified citations) and reports latency p50/p95.
3. Builds a synthetic Edge store of N chunks (default 100,000): German BM25 vectors of text made of
   demo-corpus words and random unit dense vectors (embedding 100,000 real chunks would take hours
   on two cores), then reports write throughput, HNSW build time and search latency p50/p95 with
   real query embeddings, with and without filters.

With `--time-limit S` it ingests a large text and a PDF of blank pages under that per-file limit
and reports when each was stopped (`evaluation.bench_limits`).
With `--ui` it measures only the web UI on the demo corpus (`evaluation.bench_ui`): the results
page with the answer on the server and, in Chromium, from pressing Enter to the visible answer.

With `--encoder N` it measures only the encoder (`evaluation.bench_encoder`): N 200-word German
passages through float32 PyTorch and the OpenVINO int8 export, interleaved in the same run.

With `--mixed-files N` it does neither and instead ingests a generated batch of N files of every
supported format, scanned pages included (`evaluation.mixed_benchmark`): pages per minute per
extraction method, chunks per second, peak memory. Alone in the process, so the peak is its own.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.access import SYSTEM
from core.filters import SearchFilters
from core.metadata import DocumentKind
from core.persistence.registry import DocumentRecord, Registry
from core.settings import EmbeddingSettings, IngestSettings, Settings
from evaluation.bench_answers import answers_settings, bench_answers
from evaluation.bench_encoder import bench_encoder
from evaluation.bench_hnsw import bench_hnsw
from evaluation.bench_limits import bench_limits
from evaluation.bench_ui import bench_ui
from evaluation.datasets import DEMO_CORPUS, load_demo_set
from evaluation.mixed_benchmark import bench_mixed
from evaluation.synthetic import demo_vocabulary, synthetic_records
from ingest.runner import IngestRunner
from pipelines.models.embedding_model import resolve_dense_encoder
from pipelines.search import Searcher, open_searcher
from pipelines.stores import EdgeChunkStore
from pipelines.stores.base import ChunkRecord


def percentiles(samples: list[float]) -> str:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def timed(function: Callable[[], object], repeat: int = 1) -> list[float]:
    """Wall times of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def search_once(
    searcher: Searcher, query: str, filters: SearchFilters | None = None
) -> Callable[[], object]:
    """A call that runs one search."""
    return lambda: searcher.search(query, principal=SYSTEM, filters=filters)


def ask_once(searcher: Searcher, query: str) -> Callable[[], object]:
    """A call that asks one question (extractive answer with verified citations)."""
    return lambda: searcher.ask(query, principal=SYSTEM)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_demo(settings: Settings, queries: list[str]) -> None:
    """Ingestion throughput and search latency on the demo corpus."""
    registry = Registry.open(settings)
    store = EdgeChunkStore(settings.edge_store_dir)
    runner = IngestRunner(settings, store, registry)
    load_seconds = sum(timed(runner.indexer.pipeline))
    encoder = resolve_dense_encoder(settings.embedding, settings.models_dir)
    report = runner.run([DEMO_CORPUS])
    store.close()
    registry.close()
    totals = report.summary()
    print(
        f"demo ingest: {totals['files']} files, {totals['pages']} pages, {totals['chunks']} chunks "
        f"in {report.seconds:.1f} s = {totals['chunks'] / report.seconds:.1f} chunks/s, "
        f"{totals['pages'] * 60 / report.seconds:.0f} pages/min (model load before: "
        f"{load_seconds:.1f} s; encoder {encoder.backend})"
    )
    with open_searcher(settings) as searcher:
        searcher.search("Aufwärmen", principal=SYSTEM)
        samples = [t for q in queries for t in timed(search_once(searcher, q))]
        print(f"demo search ({len(samples)} queries, top 10, hybrid): {percentiles(samples)}")
        samples = [t for q in queries for t in timed(ask_once(searcher, q))]
        print(f"demo ask ({len(samples)} questions, extractive): {percentiles(samples)}")


def register_pages(registry: Registry, records: list[ChunkRecord]) -> None:
    """Each synthetic chunk is a whole page of its document, so citations can be verified."""
    pages: dict[str, list[tuple[int, str]]] = {}
    for record in records:
        payload = record.payload
        pages.setdefault(payload["document_id"], []).append(
            (payload["page_start"], payload["text"])
        )
    for document_id, texts in pages.items():
        registry.documents.mark_pending(
            DocumentRecord(
                document_id, document_id, f"{document_id}.txt", f"{document_id}.txt",
                f"Synthetisches Dokument {document_id}", {}, "", "pending", 0, 0, "",
            )
        )  # fmt: skip
        registry.documents.mark_indexed(document_id, texts, len(texts))


def bench_synthetic(settings: Settings, queries: list[str], count: int) -> None:
    """Write, index and query a synthetic store of `count` chunks."""
    vocabulary = demo_vocabulary()
    store = EdgeChunkStore(settings.edge_store_dir)
    store.ensure_collection(384)
    registry = Registry.open(settings)
    started = time.perf_counter()
    for start in range(0, count, 5000):
        records = synthetic_records(min(5000, count - start), vocabulary, 384, first=start)
        store.upsert(records)
        register_pages(registry, records)
    registry.close()
    write_seconds = time.perf_counter() - started
    print(
        f"synthetic write: {count} chunks in {write_seconds:.1f} s = "
        f"{count / write_seconds:.0f} chunks/s (BM25 + upsert + registry pages, no dense model)"
    )
    before = store.describe()
    optimize_seconds = sum(timed(store.optimize))
    print(f"synthetic optimize (HNSW build): {optimize_seconds:.1f} s; before: {before}")
    print(f"  after: {store.describe()}")
    stored = store.count()
    store.close()
    if stored != count:
        raise RuntimeError(f"expected {count} chunks in the store, found {stored}")
    with open_searcher(settings) as searcher:
        searcher.search("Aufwärmen", principal=SYSTEM)
        for label, filters in (
            ("no filter", None),
            (
                "kind+ring+years",
                SearchFilters(
                    kind=[DocumentKind.PROTOKOLL], ring=["vr3"], year_from=2018, year_to=2022
                ),
            ),
        ):
            samples = [t for q in queries for t in timed(search_once(searcher, q, filters))]
            print(
                f"synthetic search {count} chunks, {label} ({len(samples)} queries): "
                f"{percentiles(samples)}"
            )
        samples = [t for q in queries for t in timed(ask_once(searcher, q))]
        print(f"synthetic ask {count} chunks ({len(samples)} questions): {percentiles(samples)}")


def print_now(line: str) -> None:
    """Print `line` at once (long runs report as they go)."""
    print(line, flush=True)


def main() -> None:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--synthetic-chunks", type=int, default=100_000)
    parser.add_argument("--models-dir", type=Path, default=Path("data/models"))
    parser.add_argument(
        "--mixed-files", type=int, default=0, help="ingest N generated files of every format"
    )
    parser.add_argument("--ocr-pages", type=int, default=20, help="scanned pages among them")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated files")
    parser.add_argument(
        "--time-limit", type=float, default=0, help="per-file limit S: stop a large text and PDF"
    )
    parser.add_argument("--text-mb", type=float, default=60, help="size of that text")
    parser.add_argument("--pdf-pages", type=int, default=5000, help="blank pages of that PDF")
    parser.add_argument("--ui", action="store_true", help="measure only the web UI")
    parser.add_argument(
        "--hnsw", type=int, default=0, help="compare index variants on N synthetic chunks"
    )
    parser.add_argument(
        "--hnsw-variants",
        type=lambda text: [int(part) for part in text.split(",")],
        help="with --hnsw: only these variants (1 the first of evaluation.bench_hnsw.VARIANTS)",
    )
    parser.add_argument(
        "--answers", type=int, default=0, help="time answer sentences (N questions)"
    )
    parser.add_argument("--answers-data-dir", type=Path, help="an ingested demo data directory")
    parser.add_argument(
        "--encoder", type=int, default=0, help="encoder alone: N passages, float32 vs int8"
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "torch", "openvino"),
        default="auto",
        help="the encoder of the other parts (BLOK_EMBEDDING__BACKEND)",
    )
    args = parser.parse_args()
    if args.encoder:
        print("\n".join(bench_encoder(args.models_dir, args.encoder)))
        return
    if args.answers:  # alone: the answer sentences before and now (evaluation.bench_answers)
        with tempfile.TemporaryDirectory() as root:
            data_dir = args.answers_data_dir or Path(root)
            settings = answers_settings(data_dir, args.models_dir)
            print("\n".join(bench_answers(settings, args.answers)))
        return
    if args.hnsw:  # alone: the store's index variants (evaluation.bench_hnsw)
        bench_hnsw(args.hnsw, demo_vocabulary(), print_now, chosen=args.hnsw_variants)
        print(f"peak RSS: {peak_rss_mb():.0f} MB")
        return
    queries = [q.query for q in load_demo_set().questions]
    with tempfile.TemporaryDirectory() as root:
        embedding = EmbeddingSettings(models_dir=args.models_dir, backend=args.backend)
        if args.time_limit:
            limits = Settings(
                data_dir=Path(root) / "limits",
                embedding=embedding,
                ingest=IngestSettings(max_seconds_per_file=args.time_limit),
            )
            folder = Path(root) / "limit-files"
            lines = bench_limits(limits, folder, text_mb=args.text_mb, pdf_pages=args.pdf_pages)
            print("\n".join(lines))
            return
        if args.ui:
            ui_settings = Settings(data_dir=Path(root) / "ui", embedding=embedding)
            print("\n".join(bench_ui(ui_settings, queries)))
            return
        if args.mixed_files:
            lines = bench_mixed(
                Settings(data_dir=Path(root) / "data", embedding=embedding),
                Path(root) / "files",
                args.mixed_files,
                ocr_pages=args.ocr_pages,
                seed=args.seed,
            )
            print("\n".join(lines))
            print(f"peak RSS: {peak_rss_mb():.0f} MB (the whole process: model, OCR, store)")
            return
        bench_demo(Settings(data_dir=Path(root) / "demo", embedding=embedding), queries)
        if args.synthetic_chunks:
            bench_synthetic(
                Settings(data_dir=Path(root) / "synthetic", embedding=embedding),
                queries,
                args.synthetic_chunks,
            )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
