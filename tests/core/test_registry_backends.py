"""Every repository of the registry does the same on SQLite and on PostgreSQL.

Each test runs twice (`registry_location`): on a SQLite file and on a fresh PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.accounts import AccountStore
from core.errors import ConflictError, NotFoundError, ReindexRunningError
from core.filters import KnownFilterValue
from core.persistence.index_state import ReindexMarker, StagedDocument
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.persistence.registry import DocumentRecord, Registry, utc_now_text
from core.persistence.retention import LogRetention
from core.persistence.schema import head_revision
from core.settings import Settings
from tests.support.registry_sql import sql_rows


@pytest.fixture
def registry(registry_location: Path | str) -> Iterator[Registry]:
    opened = Registry(registry_location)
    try:
        yield opened
    finally:
        opened.close()


def record(document_id: str, **changes: object) -> DocumentRecord:
    values: dict[str, object] = {
        "document_id": document_id,
        "sha256": f"sha-{document_id}",
        "source_path": f"/korpus/{document_id}.txt",
        "source_name": f"{document_id}.txt",
        "title": f"Titel {document_id}",
        "metadata": {"job_centre": "Jobcenter Ost", "topics": ["Bürgergeld", "Ü25"]},
        "index_key": f"key-{document_id}",
        "status": "pending",
        "page_count": 0,
        "chunk_count": 0,
        "ingested_at": utc_now_text(),
    }
    values.update(changes)
    return DocumentRecord(**values)  # type: ignore[arg-type]


def test_documents_pages_paths_and_the_serving_generation(registry: Registry) -> None:
    documents = registry.documents
    documents.mark_pending(record("d1"))
    assert documents.hidden_documents().document_ids == {"d1"}
    documents.mark_indexed("d1", [(1, "Seite eins"), (2, "Seite zwei")], 4, methods={2: "ocr"})
    assert documents.hidden_documents().document_ids == frozenset()
    assert documents.pages_by_method() == {"text": 1, "ocr": 1}
    assert documents.totals() == {"documents": 1, "pages": 2, "chunks": 4}
    assert documents.page_text("d1", 2) == "Seite zwei"
    documents.add_path("d1", "/korpus/kopie.txt")
    documents.add_path("d1", "/korpus/kopie.txt")  # known: ignored
    assert documents.paths("d1") == ["/korpus/d1.txt", "/korpus/kopie.txt"]
    assert [found.document_id for found in documents.find_by_path("/korpus/kopie.txt")] == ["d1"]
    assert documents.remove_path("d1", "/korpus/d1.txt") == ["/korpus/kopie.txt"]
    assert documents.get("d1") == record(
        "d1",
        source_path="/korpus/kopie.txt",
        source_name="kopie.txt",
        status="indexed",
        page_count=2,
        chunk_count=4,
        ingested_at=documents.get("d1").ingested_at,  # type: ignore[union-attr]
    )
    assert documents.known_filter_values() == [
        KnownFilterValue("job_centre", "Jobcenter Ost", "office"),
        KnownFilterValue("topic", "Bürgergeld", "office"),
        KnownFilterValue("topic", "Ü25", "office"),
    ]
    # A new version replaces the old one and moves the generation on, in one transaction.
    documents.mark_pending(record("d2", sha256="sha-d2"))
    before = documents.serving_generation()
    documents.mark_indexed("d2", [(1, "neu")], 1, title="Neu", replaces=("d1",))
    assert documents.serving_generation() == before + 1
    assert documents.count_by_status() == {"indexed": 1, "replaced": 1}
    assert documents.hidden_documents() == documents.hidden_documents()
    assert documents.hidden_documents().document_ids == {"d1"}
    assert documents.change_status("d2", "indexed", "withdrawn")
    assert not documents.change_status("d2", "indexed", "withdrawn")
    assert [found.document_id for found in documents.list_documents("withdrawn")] == ["d2"]
    documents.update_metadata("d2", "Neuer Titel", {"visibility": "public"})
    assert documents.get("d2").title == "Neuer Titel"  # type: ignore[union-attr]
    documents.delete("d1")
    assert documents.page_text("d1", 1) is None  # pages go with their document
    assert documents.has_content("sha-d2") and not documents.has_content("sha-d1")
    # Pending again (a re-ingest of the same content) replaces the row and its pages.
    documents.mark_pending(record("d2", sha256="sha-d2"))
    assert documents.get("d2").status == "pending"  # type: ignore[union-attr]
    assert documents.page_text("d2", 1) is None


def test_a_reindex_stages_and_switches_at_once(registry: Registry) -> None:
    documents, state = registry.documents, registry.index_state
    documents.mark_pending(record("d1"))
    with pytest.raises(ConflictError):
        state.begin_reindex(ReindexMarker("qdrant-neu", utc_now_text(), "test"))
    documents.mark_indexed("d1", [(1, "alt")], 1)
    state.begin_reindex(ReindexMarker("qdrant-neu", utc_now_text(), "test"))
    with pytest.raises(ReindexRunningError):
        state.refuse_during_reindex()
    with pytest.raises(ReindexRunningError):
        state.begin_reindex(ReindexMarker("qdrant-zwei", utc_now_text(), "test"))
    staged = StagedDocument("d1", "fp", "Neu", {"topics": []}, "k2", [(1, "neu")], {}, 3)
    state.stage(staged)
    state.stage(staged)  # staged again: replaced
    assert state.staged_fingerprints() == {"d1": "fp"}
    generation = documents.serving_generation()
    state.commit_reindex("qdrant-neu")
    assert state.active_collection("qdrant") == "qdrant-neu"
    assert state.marker() is None and state.staged_fingerprints() == {}
    assert documents.serving_generation() == generation + 1
    assert documents.page_text("d1", 1) == "neu"
    assert (documents.get("d1").title, documents.get("d1").chunk_count) == ("Neu", 3)  # type: ignore[union-attr]


def test_accounts_sessions_and_keys(registry: Registry) -> None:
    accounts = AccountStore(registry)
    greta = accounts.create_account("Greta", roles=["reader"], rings=["VR 4"], password="x" * 12)
    with pytest.raises(ConflictError):  # names are unique ignoring case
        accounts.create_account("GRETA", roles=["reader"], rings=[], password="x" * 12)
    accounts.create_account("anna", roles=["office"], rings=[], password="y" * 12)
    assert [account.name for account in accounts.accounts()] == ["anna", "Greta"]
    assert accounts.verify_password("greta", "x" * 12) == greta
    issued = accounts.issue_token(greta, dt.timedelta(hours=1))
    assert accounts.principal_for_token(issued.token) == greta.principal()
    accounts.set_active("greta", False)
    assert accounts.principal_for_token(issued.token) is None
    assert accounts.verify_password("Greta", "x" * 12) is None
    created, secret = accounts.create_api_key("intranet", roles=["reader"], rings=[])
    assert accounts.principal_for_api_key(secret) == created.principal()
    accounts.revoke_api_key(created.key_id)
    assert accounts.principal_for_api_key(secret) is None
    assert [key.revoked_at is not None for key in accounts.api_keys()] == [True]
    assert [entry.target for entry in registry.audit.entries(limit=3)] == [
        created.key_id,
        created.key_id,
        "Greta",
    ]


def test_query_log_feedback_gaps_and_retention(registry: Registry) -> None:
    log = registry.query_log
    first = log.record("ask", "Wer zahlt  die Miete?", {}, result_count=0, top_score=None)
    second = log.record(
        "ask",
        "wer zahlt die miete?",
        {"topic": "KdU"},
        result_count=3,
        top_score=0.812345,
        abstained=True,
    )
    log.record("search", "Bürgergeld", {}, result_count=5, top_score=0.9)
    assert second > first
    log.add_feedback(second, helpful=False, comment="ungenau")
    with pytest.raises(NotFoundError):
        log.add_feedback(first + 1000, helpful=True)
    entries = log.entries(limit=2)
    assert [entry.endpoint for entry in entries] == ["search", "ask"]
    assert entries[1].top_score == 0.812345 and entries[1].abstained
    assert [item.comment for item in entries[1].feedback] == ["ungenau"]
    assert [entry.id for entry in log.entries(before_id=second)] == [first]
    [gap] = log.gaps(weak_score=0.5)
    assert (gap.question, gap.count, gap.abstained, gap.not_helpful) == (
        "wer zahlt die miete?",
        2,
        1,
        1,
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    pruned = LogRetention(registry, query_days=1, audit_days=1).prune(later)
    assert pruned.queries == 3
    assert log.entries() == [] and log.feedback(second) == []


def test_ingest_jobs_keep_their_order_and_count_their_files(registry: Registry) -> None:
    jobs = registry.ingest_jobs
    at = utc_now_text()
    for job_id in ("j-c", "j-a", "j-b"):  # the same second: insertion order decides
        jobs.insert(
            IngestJob(
                job_id,
                "queued",
                "account:anna",
                at,
                {"topics": []},
                [
                    JobFile("a.pdf", "accepted", stored="uploads/a.pdf"),
                    JobFile("b.exe", "rejected", code="unsupported"),
                ],
            )
        )
    assert [job.job_id for job in jobs.list_jobs()] == ["j-b", "j-a", "j-c"]
    assert [job.job_id for job in jobs.list_jobs(oldest_first=True, limit=2)] == ["j-c", "j-a"]
    done = jobs.get("j-a")
    assert done is not None
    done.files[0].entries = [{"status": "indexed"}, {"status": "skipped"}]
    jobs.update("j-a", files=done.files, state="done", finished_at=at)
    assert [job.job_id for job in jobs.list_jobs(states=("done",))] == ["j-a"]
    assert jobs.count_by_state() == {"queued": 2, "done": 1}
    assert jobs.files_by_outcome() == {"waiting": 2, "rejected": 3, "indexed": 1, "skipped": 1}
    with pytest.raises(ValueError):
        jobs.update("j-a", actor="someone")


def test_threads_share_one_registry(registry: Registry) -> None:
    registry.documents.mark_pending(record("d1"))
    registry.documents.mark_indexed("d1", [(1, "eins")], 1)
    failures: list[BaseException] = []
    changed: list[bool] = []
    start = threading.Barrier(4)

    def flip(n: int) -> None:
        try:
            start.wait()
            for _ in range(10):
                changed.append(registry.documents.change_status("d1", "indexed", "withdrawn"))
                changed.append(registry.documents.change_status("d1", "withdrawn", "indexed"))
                registry.query_log.record("search", f"frage {n}", {}, result_count=1, top_score=1)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=flip, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    # Every change that happened moved the generation on exactly once; none was lost.
    assert registry.documents.serving_generation() == sum(changed) > 0
    status = "indexed" if sum(changed) % 2 == 0 else "withdrawn"
    assert registry.documents.get("d1").status == status  # type: ignore[union-attr]
    assert len(registry.query_log.entries(limit=500)) == 40
    assert len({row["id"] for row in sql_rows(registry, "SELECT id FROM query_log")}) == 40


def test_two_openers_of_a_new_registry_migrate_once(registry_location: Path | str) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def open_registry() -> None:
        try:
            start.wait()
            Registry(registry_location).close()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    openers = [threading.Thread(target=open_registry) for _ in range(3)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=60)
    assert not failures, failures
    registry = Registry(registry_location)
    try:
        assert sql_rows(registry, "SELECT version_num FROM alembic_version") == [
            {"version_num": head_revision()}
        ]
        assert sql_rows(registry, "SELECT id, generation FROM serving") == [
            {"id": 1, "generation": 0}
        ]
    finally:
        registry.close()


def test_settings_name_the_registry(registry_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", registry={"url": registry_url})
    registry = Registry.open(settings)
    try:
        assert registry.dialect == ("postgresql" if registry_url else "sqlite")
        assert settings.registry_path.exists() is (not registry_url)
        target = tmp_path / registry.copy_name
        registry.copy_to(target)  # a SQLite file, or PostgreSQL's dump
        if registry_url:
            assert target.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
        else:
            Registry(target).close()
    finally:
        registry.close()


def test_a_registry_url_of_another_database_is_refused() -> None:
    with pytest.raises(ValueError, match=r"registry\.url"):
        Settings(registry={"url": "mysql://db/blok"})
