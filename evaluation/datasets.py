"""Gold question sets: the demo set and folders of `corpus.jsonl` + `queries.jsonl`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InvalidRequestError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_CORPUS = PROJECT_ROOT / "corpora" / "demo"
DEMO_GOLD = Path(__file__).resolve().parent / "gold" / "demo.jsonl"
OFF_DOMAIN = Path(__file__).resolve().parent / "gold" / "off_domain.jsonl"
BUNDLED_DATASETS = Path(__file__).resolve().parent / "datasets"


@dataclass
class GoldQuestion:
    """A question and the source names (files) that answer it; empty when unanswerable."""

    question_id: str
    query: str
    relevant: set[str]
    relevant_pages: set[tuple[str, int]] = field(default_factory=set)
    kind: str = "fact"
    answers: list[str] = field(default_factory=list)


@dataclass
class GoldSet:
    """Questions over a corpus folder (files with sidecars) ready to ingest."""

    name: str
    corpus_dir: Path
    questions: list[GoldQuestion]


def read_jsonl(path: Path) -> list[dict]:  # type: ignore[type-arg]
    """Every non-empty line of a JSON-lines file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_demo_set() -> GoldSet:
    """The demo corpus and its gold questions."""
    questions = [
        GoldQuestion(
            question_id=row["id"],
            query=row["query"],
            relevant={item["source_name"] for item in row["relevant"]},
            relevant_pages={(item["source_name"], int(item["page"])) for item in row["relevant"]},
            kind=row.get("type", "fact"),
            answers=[row["answer"]] if row.get("answer") else [],
        )
        for row in read_jsonl(DEMO_GOLD)
    ]
    return GoldSet("demo", DEMO_CORPUS, questions)


def passage_file_name(passage_id: str) -> str:
    """File name a corpus passage is materialised under."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in passage_id) + ".txt"


def materialize_corpus(dataset_dir: Path, target: Path) -> Path:
    """Write each passage of `corpus.jsonl` as a text file with a sidecar; returns the folder."""
    target.mkdir(parents=True, exist_ok=True)
    for row in read_jsonl(dataset_dir / "corpus.jsonl"):
        name = passage_file_name(str(row["id"]))
        text_path = target / name
        if not text_path.exists():
            text_path.write_text(row["text"], encoding="utf-8")
            sidecar = {"title": row.get("title") or row["id"], "kind": "sonstiges"}
            (target / (text_path.stem + ".meta.yaml")).write_text(
                json.dumps(sidecar, ensure_ascii=False), encoding="utf-8"
            )
    return target


def resolve_dataset_dir(name: str) -> Path:
    """A bundled dataset by name, or a folder path."""
    for candidate in (BUNDLED_DATASETS / name, Path(name)):
        if (candidate / "corpus.jsonl").is_file() and (candidate / "queries.jsonl").is_file():
            return candidate
    raise InvalidRequestError(
        f"no dataset {name!r}: give `demo`, a bundled name "
        f"({', '.join(sorted(p.name for p in BUNDLED_DATASETS.glob('*') if p.is_dir()))}) "
        "or a folder with corpus.jsonl and queries.jsonl"
    )


def load_jsonl_set(name: str, work_dir: Path) -> GoldSet:
    """A `corpus.jsonl` + `queries.jsonl` folder as a gold set over materialised files."""
    dataset_dir = resolve_dataset_dir(name)
    corpus_dir = materialize_corpus(dataset_dir, work_dir / "files")
    questions = [
        GoldQuestion(
            question_id=str(row["id"]),
            query=row["query"],
            relevant={passage_file_name(str(pid)) for pid in row.get("relevant_ids", [])},
            answers=[str(answer) for answer in row.get("answers", []) if answer],
        )
        for row in read_jsonl(dataset_dir / "queries.jsonl")
    ]
    return GoldSet(dataset_dir.name, corpus_dir, questions)


def load_off_domain_questions(split: str) -> list[str]:
    """The off-domain questions of one split: `calibration` (the answerability classifier's
    training) or `held_out` (what `blok eval` asks)."""
    return [row["query"] for row in read_jsonl(OFF_DOMAIN) if row["split"] == split]
