"""Document life cycle on the real model and store: duplicates, prune, delete, limits, inference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from blok.cli import main
from core.filters import FieldMatch, FieldRange
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.runner import run_ingest
from pipelines.stores import EdgeChunkStore
from tests.support.helpers import FIXTURES, make_settings

pytestmark = pytest.mark.model

TEXTS = {
    "a.txt": "Das Jobcenter berät Arbeitgeber bei der Einstellung von Geflüchteten.",
    "c.txt": "Der Vergleichsring 3 vereinbart eine Sozialraumorientierung der Beratung.",
}


def chunk_count(settings: Settings, document_id: str) -> int:
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        return store.count([FieldMatch("document_id", (document_id,))])
    finally:
        store.close()


def documents_json(settings: Settings, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "documents", "list", "--json"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return rows


@pytest.mark.slow
def test_duplicates_prune_and_delete(
    tmp_path: Path,
    registry_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BLOK_REGISTRY__URL", registry_url)  # for `make_settings` and `main`
    corpus, other = tmp_path / "corpus", tmp_path / "anderswo"
    for folder in (corpus, other):
        folder.mkdir()
    for name, text in TEXTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    shutil.copy(corpus / "a.txt", corpus / "b.txt")
    (other / "d.txt").write_text("Ein Praxisbeispiel aus dem Emsland.", encoding="utf-8")
    settings = make_settings(tmp_path / "data")

    report = run_ingest(settings, [corpus, other])
    by_name = {entry.source: entry for entry in report.entries}
    assert [by_name[n].status for n in ("a.txt", "b.txt", "c.txt")] == [
        "indexed",
        "duplicate",
        "indexed",
    ]
    assert by_name["b.txt"].reason and f"duplicate of {corpus / 'a.txt'}" in by_name["b.txt"].reason
    assert "1 duplicates" in report.render()
    shared = by_name["a.txt"].document_id
    assert shared == by_name["b.txt"].document_id
    rows = {row["document_id"]: row for row in documents_json(settings, capsys)}
    assert rows[shared]["paths"] == [str(corpus / "a.txt"), str(corpus / "b.txt")]

    (corpus / "a.txt").unlink()
    (other / "d.txt").unlink()
    report = run_ingest(settings, [corpus], prune=True)
    assert report.count("deleted") == 0  # b.txt still holds the content
    rows = {row["document_id"]: row for row in documents_json(settings, capsys)}
    assert rows[shared]["paths"] == [str(corpus / "b.txt")]
    assert len(rows) == 3  # d.txt lies outside the pruned folder: kept

    (corpus / "b.txt").unlink()
    capsys.readouterr()
    ingest = ["--data-dir", str(settings.data_dir), "ingest", str(corpus), "--no-progress"]
    assert main([*ingest, "--prune"]) == 0
    printed = capsys.readouterr().out
    assert "1 files: 0 indexed, 1 unchanged, 0 skipped, 1 deleted" in printed
    assert f"deleted {shared} ({corpus / 'b.txt'}): its files are gone" in printed
    assert chunk_count(settings, shared) == 0
    assert not list((settings.data_dir / "sources").glob(f"{shared}*"))
    registry = Registry.open(settings)
    try:
        assert registry.documents.get(shared) is None
        kept = {record.sha256 for record in registry.documents.list_documents()}
    finally:
        registry.close()
    assert all(p.name.split(".")[0] in kept for p in (settings.data_dir / "sources").iterdir())

    remaining = by_name["c.txt"].document_id
    assert remaining is not None and chunk_count(settings, remaining) > 0
    args = ["--data-dir", str(settings.data_dir), "documents"]
    assert main([*args, "delete", remaining]) == 0
    assert chunk_count(settings, remaining) == 0
    assert remaining not in {row["document_id"] for row in documents_json(settings, capsys)}
    assert len(list((settings.data_dir / "sources").iterdir())) == 1  # d.txt's original
    assert main([*args, "delete", remaining]) == 1
    assert "no document with id" in capsys.readouterr().err

    assert main(["--data-dir", str(settings.data_dir), "audit", "--json"]) == 0
    audited = json.loads(capsys.readouterr().out)
    assert [(entry["action"], entry["target"]) for entry in audited] == [
        ("document.delete", remaining),
        ("document.delete", shared),
    ]
    assert audited[1]["actor"].startswith("cli:") and audited[1]["after"] is None
    assert audited[1]["before"]["paths"] == [str(corpus / "b.txt")]
    assert audited[0]["before"]["title"] and audited[0]["before"]["chunks"] > 0


def test_manifest_metadata_and_inferred_fields_reach_registry_and_chunks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "zeilennummern-evaluationsbericht.txt", corpus / "bericht_2021.txt")
    (corpus / "_manifest.yaml").write_text(
        "defaults:\n  kind: evaluationsbericht\n  ring: vr3\n", encoding="utf-8"
    )
    (corpus / "kaputt").mkdir()
    (corpus / "kaputt" / "_manifest.yaml").write_text("defaults:\n  kind: bericht\n")
    (corpus / "kaputt" / "notiz.txt").write_text(TEXTS["a.txt"], encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    report = run_ingest(settings, [corpus])
    entry, rejected = report.entries
    assert entry.status == "indexed", entry.reason
    assert (rejected.source, rejected.code) == ("notiz.txt", "invalid_metadata")
    assert "corpus/kaputt/_manifest.yaml (defaults): field 'kind'" in str(rejected.reason)
    assert "evaluationsbericht" in str(rejected.reason)
    document_id = str(entry.document_id)
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "documents", "show", document_id]) == 0
    shown = capsys.readouterr().out
    assert "title: Evaluationsbericht Jobcenter Landkreis Musterhausen  (inferred)" in shown
    assert "date: 2021-03-03  (inferred)" in shown
    assert "kind: evaluationsbericht\n" in shown and "ring: vr3\n" in shown
    assert str(corpus / "bericht_2021.txt") in shown
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        in_2021 = [FieldMatch("document_id", (document_id,)), FieldRange("year", 2021, 2021)]
        assert store.count(in_2021) == entry.chunks > 0
    finally:
        store.close()


def test_files_over_the_limits_are_reported_and_leave_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "klein.txt").write_text(TEXTS["a.txt"], encoding="utf-8")
    (corpus / "gross.txt").write_text(TEXTS["c.txt"] * 40, encoding="utf-8")
    settings = make_settings(tmp_path / "data", ingest={"max_file_mb": 0.001})
    by_name = {e.source: e for e in run_ingest(settings, [corpus]).entries}
    assert by_name["klein.txt"].status == "indexed"
    assert (by_name["gross.txt"].status, by_name["gross.txt"].code) == ("skipped", "too_large")
    assert "BLOK_INGEST__MAX_FILE_MB" in str(by_name["gross.txt"].reason)

    settings = make_settings(tmp_path / "data2", ingest={"max_seconds_per_file": 1e-6})
    report = run_ingest(settings, [corpus])
    assert [(e.status, e.code) for e in report.entries] == [("skipped", "timeout")] * 2
    assert "BLOK_INGEST__MAX_SECONDS_PER_FILE" in str(report.entries[0].reason)
    store = EdgeChunkStore(settings.edge_store_dir)
    registry = Registry.open(settings)
    try:
        assert store.count() == 0 and registry.documents.list_documents() == []
    finally:
        store.close()
        registry.close()


@pytest.mark.slow
def test_a_changed_file_leaves_the_old_content_to_its_other_path(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXTS["a.txt"], encoding="utf-8")
    shutil.copy(corpus / "a.txt", corpus / "b.md")
    settings = make_settings(tmp_path / "data")
    first = {e.source: e for e in run_ingest(settings, [corpus]).entries}
    old_id = str(first["a.txt"].document_id)
    (corpus / "a.txt").write_text(TEXTS["c.txt"], encoding="utf-8")
    second = {e.source: e for e in run_ingest(settings, [corpus]).entries}
    assert second["a.txt"].status == "indexed" and second["a.txt"].document_id != old_id
    # b.md is now the document's first path; its title came from the file name, so it changes.
    assert (second["b.md"].status, second["b.md"].document_id) == ("indexed", old_id)
    registry = Registry.open(settings)
    try:
        assert registry.documents.paths(old_id) == [str(corpus / "b.md")]
        record = registry.documents.get(old_id)
        assert record is not None and record.source_name == "b.md"
    finally:
        registry.close()
    assert chunk_count(settings, old_id) > 0
    assert (settings.data_dir / "sources" / f"{record.sha256}.md").is_file()

    (corpus / "b.md").write_text("Ein ganz neuer Inhalt über Jugendberufsagenturen.", "utf-8")
    run_ingest(settings, [corpus])  # the old content has no file left: deleted, audited
    registry = Registry.open(settings)
    try:
        [replaced] = registry.audit.entries()
    finally:
        registry.close()
    assert (replaced.action, replaced.target, replaced.after) == ("document.replace", old_id, None)
    assert replaced.before is not None and replaced.before["paths"] == [str(corpus / "b.md")]
