"""A whole registry moves into an empty one (`blok migrate`): every row, ids and order kept.

The source is a SQLite file, as an embedded installation has it; the target runs on both
backends (`registry_location`): a second SQLite file and a fresh PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.accounts import AccountStore
from core.errors import ConflictError
from core.persistence.index_state import ReindexMarker, StagedDocument
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.persistence.registry import DocumentRecord, Registry, utc_now_text

PASSWORD = "geheim-und-lang"


def record(document_id: str) -> DocumentRecord:
    return DocumentRecord(
        document_id=document_id,
        sha256=f"sha-{document_id}",
        source_path=f"/korpus/{document_id}.pdf",
        source_name=f"{document_id}.pdf",
        title=f"Protokoll {document_id}",
        metadata={"ring": "vr3", "topics": ["Sozialraum"], "visibility": "ring"},
        index_key="key",
        status="pending",
        page_count=0,
        chunk_count=0,
        ingested_at=utc_now_text(),
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Registry]:
    """A SQLite registry with rows in every table group."""
    registry = Registry(tmp_path / "embedded" / "blok.db")
    documents = registry.documents
    for document_id in ("d1", "d2", "d3"):
        documents.mark_pending(record(document_id))
        documents.mark_indexed(document_id, [(1, f"Seite 1 von {document_id}"), (2, "zwei")], 5)
    documents.add_path("d1", "/korpus/kopie.pdf")
    documents.change_status("d3", "indexed", "withdrawn")
    state = registry.index_state
    state.begin_reindex(ReindexMarker("qdrant-neu", utc_now_text(), "test"))
    state.stage(StagedDocument("d1", "fp", "Neu", {"topics": []}, "k2", [(1, "neu")], {}, 3))
    state.commit_reindex("qdrant-neu")
    accounts = AccountStore(registry)
    anna = accounts.create_account("Anna", roles=["office"], rings=["vr3"], password=PASSWORD)
    accounts.issue_token(anna, dt.timedelta(hours=1))
    accounts.create_api_key("intranet", roles=["reader"], rings=[])
    log = registry.query_log
    for question in ("Was ist ein Kooperationsplan?", "Wer zahlt die Miete?"):
        answer = log.record("ask", question, {}, result_count=2, top_score=0.7)
    log.add_feedback(answer, helpful=False, comment="ungenau")
    for job_id in ("j-c", "j-a", "j-b"):
        registry.ingest_jobs.insert(
            IngestJob(
                job_id, "done", "account:anna", utc_now_text(), {}, [JobFile("a.pdf", "accepted")]
            )
        )
    try:
        yield registry
    finally:
        registry.close()


def test_every_row_moves_and_new_rows_continue_after_the_copied_ids(
    embedded: Registry, registry_location: Path | str
) -> None:
    target = Registry(registry_location)
    try:
        copied = embedded.copy_into(target)
        assert copied["documents"] == 3 and copied["pages"] == 5 and copied["feedback"] == 1
        assert target.documents.list_documents() == embedded.documents.list_documents()
        assert target.documents.paths("d1") == embedded.documents.paths("d1")
        assert target.documents.page_text("d1", 1) == "neu"
        assert target.documents.serving_generation() == embedded.documents.serving_generation()
        assert target.index_state.active_collection("qdrant") == "qdrant-neu"
        moved = AccountStore(target)
        assert moved.verify_password("anna", PASSWORD) is not None
        assert [key.name for key in moved.api_keys()] == ["intranet"]
        assert target.audit.entries() == embedded.audit.entries()
        assert target.query_log.entries() == embedded.query_log.entries()
        assert [job.job_id for job in target.ingest_jobs.list_jobs()] == ["j-b", "j-a", "j-c"]
        newest = max(entry.id for entry in embedded.query_log.entries())
        assert target.query_log.record("search", "neu", {}, result_count=0, top_score=None) > newest
        AccountStore(target).create_api_key("zweiter", roles=["reader"], rings=[])  # new audit id
        assert len(target.audit.entries()) == len(embedded.audit.entries()) + 1
    finally:
        target.close()


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    embedded: Registry, registry_location: Path | str
) -> None:
    target = Registry(registry_location)
    try:
        target.documents.mark_pending(record("eigen"))
        with pytest.raises(ConflictError, match="not empty"):
            embedded.copy_into(target)
        assert [d.document_id for d in target.documents.list_documents()] == ["eigen"]
    finally:
        target.close()
