"""Ingestion with the real model and the real embedded store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from blok.cli import main
from core.errors import ModelUnavailableError
from core.filters import FieldMatch
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.report import IngestReport
from ingest.runner import run_ingest
from pipelines.stores import EdgeChunkStore
from tests.support.helpers import DEMO_CORPUS, demo_files, make_settings


@pytest.mark.model
def test_demo_corpus_is_indexed_completely(demo_ingest_report: IngestReport) -> None:
    summary = demo_ingest_report.summary()
    files = [p for p in DEMO_CORPUS.iterdir() if p.suffix in (".pdf", ".md", ".txt")]
    files = [p for p in files if p.name != "README.md"]
    assert summary["files"] == len(files)
    assert summary["indexed"] == len(files) and summary["skipped"] == 0
    assert summary["chunks"] > len(files)
    assert summary["pages"] >= len(files)


@pytest.mark.model
def test_every_chunk_cites_its_page_exactly(
    demo_client: TestClient, demo_settings: Settings
) -> None:
    context = demo_client.app.state.context  # type: ignore[attr-defined]
    for record in context.registry.documents.list_documents():
        chunks = context.store.count([FieldMatch("document_id", (record.document_id,))])
        assert chunks == record.chunk_count > 0
    response = demo_client.post(
        "/v1/search", json={"query": "Kennzahl Integrationsquote", "top_k": 20}
    )
    for hit in response.json()["results"]:
        page_text = context.registry.documents.page_text(hit["document_id"], hit["page"])
        assert page_text[hit["start_offset"] : hit["end_offset"]] == hit["text"]
        assert hit["page"] >= 1 and hit["source_name"] and hit["title"]


@pytest.mark.model
@pytest.mark.slow
def test_reingesting_unchanged_files_changes_nothing(tmp_path: Path) -> None:
    corpus = demo_files(
        tmp_path / "corpus", ("vr5-protokoll-2023-buergergeld", "vr3-protokoll-2019-sozialraum")
    )
    settings = make_settings(tmp_path / "data")
    first = run_ingest(settings, [corpus])
    second = run_ingest(settings, [corpus])
    assert first.count("indexed") == 2
    assert second.count("unchanged") == 2 and second.count("indexed") == 0
    assert second.summary()["chunks"] == 0
    store = EdgeChunkStore(settings.edge_store_dir)
    registry = Registry.open(settings)
    try:
        assert store.count() == first.summary()["chunks"] == registry.documents.totals()["chunks"]
    finally:
        store.close()
        registry.close()


@pytest.mark.model
@pytest.mark.slow
def test_bad_files_are_reported_and_the_batch_goes_on(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DEMO_CORPUS / "vr5-protokoll-2023-buergergeld.md", corpus / "gut.md")
    (corpus / "leer.txt").write_text("   \n", encoding="utf-8")
    (corpus / "kaputt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer\n%%EOF")
    (corpus / "falsch.pdf").write_text("Das ist kein PDF, nur Text.", encoding="utf-8")
    (corpus / "tabelle.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (corpus / "meta.txt").write_text("Ein Text über Arbeitgeberservice.", encoding="utf-8")
    (corpus / "meta.meta.yaml").write_text("kind: bericht\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    report = run_ingest(settings, [corpus])
    by_name = {entry.source: entry for entry in report.entries}
    assert by_name["gut.md"].status == "indexed"
    expected_codes = {
        "leer.txt": "empty_document",
        "kaputt.pdf": "conversion_failed",
        "falsch.pdf": "unsupported_format",
        "tabelle.xlsx": "unsupported_format",
        "meta.txt": "invalid_metadata",
    }
    for name, code in expected_codes.items():
        assert by_name[name].status == "skipped", name
        assert by_name[name].code == code, (name, by_name[name].reason)
        assert by_name[name].reason
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        assert store.count() == by_name["gut.md"].chunks
    finally:
        store.close()


@pytest.mark.model
@pytest.mark.slow
def test_cli_ingest_prints_a_summary_and_search_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DEMO_CORPUS / "praxisbeispiel-emsland-arbeitgeber-gefluechtete.md"
    data_dir = tmp_path / "data"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(source, corpus / source.name)
    shutil.copy(source.with_suffix(".meta.yaml"), corpus / source.with_suffix(".meta.yaml").name)
    report_path = tmp_path / "report.json"
    args = ["--data-dir", str(data_dir)]
    assert main([*args, "ingest", str(corpus), "--no-progress", "--report", str(report_path)]) == 0
    printed = capsys.readouterr().out
    assert "1 files: 1 indexed, 0 unchanged, 0 skipped" in printed
    assert report_path.is_file()
    assert main([*args, "search", "Arbeitgeber Geflüchtete", "--json", "--top-k", "2"]) == 0
    response = json.loads(capsys.readouterr().out)
    assert len(response["results"]) == 2
    assert response["results"][0]["source_name"] == source.name


def test_an_unavailable_model_stops_the_run_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Ein Satz über das Jobcenter.", encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", embedding={"model": "gibt-es-nicht/kein-modell"}
    )
    with pytest.raises(ModelUnavailableError) as error:
        run_ingest(settings, [corpus])
    assert "gibt-es-nicht/kein-modell" in error.value.message
    assert "BLOK_EMBEDDING__MODEL" in error.value.message
    monkeypatch.setenv("BLOK_EMBEDDING__MODEL", "gibt-es-nicht/kein-modell")
    assert main(["--data-dir", str(tmp_path / "data2"), "search", "x"]) == 1
    assert "error: Cannot load the embedding model" in capsys.readouterr().err
