"""Ingest jobs are claimed under a lease: two claimers never take the same job, a lease that ran
out is claimed again, a running one never.

Each test runs on a SQLite file and on a fresh PostgreSQL schema (`registry_location`); the
claimers are separate `Registry` objects (separate connections, as separate processes have).
Times are given to the claims, so no test waits for a lease to run out.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from core.persistence.connection import database_url
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.persistence.registry import DocumentRecord, Registry, utc_now_text
from core.settings import IngestSettings, Settings, StoreSettings
from ingest.runner import IngestRunner
from pipelines.stores import EdgeChunkStore
from tests.support.postgres import fresh_schema, postgres_url
from tests.support.registry_sql import sql_execute

LEASE = 60.0
NOW = 1_000_000.0


@pytest.fixture
def registries(registry_location: Path | str) -> Iterator[list[Registry]]:
    opened = [Registry(registry_location) for _ in range(3)]
    try:
        yield opened
    finally:
        for registry in opened:
            registry.close()


def queue_jobs(registry: Registry, count: int) -> list[str]:
    ids = [f"job-{n:03d}" for n in range(count)]
    for job_id in ids:
        files = [JobFile("a.md", "accepted", f"uploads/{job_id}/1/a.md")]
        registry.ingest_jobs.insert(IngestJob(job_id, "queued", "account:buero", "t", {}, files))
    return ids


def test_two_claimers_never_take_the_same_job(registries: list[Registry]) -> None:
    ids = queue_jobs(registries[0], 40)
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claim_all(owner: str, registry: Registry) -> None:
        start.wait()
        while (
            claim := registry.ingest_jobs.claim(owner, now=NOW, lease_seconds=LEASE)
        ) is not None:
            claimed[owner].append(claim.job.job_id)
            assert claim.job.state == "running" and claim.job.owner == owner

    threads = [
        threading.Thread(target=claim_all, args=(owner, registry))
        for owner, registry in zip(claimed, registries[1:], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = claimed["a"] + claimed["b"]
    assert sorted(every) == ids
    assert max(Counter(every).values()) == 1
    holders = {j.job_id: j.owner for j in registries[0].ingest_jobs.list_jobs(limit=None)}
    assert {job_id: holders[job_id] for job_id in claimed["a"]} == dict.fromkeys(claimed["a"], "a")


def test_a_running_lease_is_not_claimed_and_one_that_ran_out_is(
    registries: list[Registry],
) -> None:
    queue_jobs(registries[0], 1)
    first, second = registries[1].ingest_jobs, registries[2].ingest_jobs
    claim = first.claim("a", now=NOW, lease_seconds=LEASE)
    assert claim is not None and claim.taken_from is None
    assert second.claim("b", now=NOW + LEASE - 1, lease_seconds=LEASE) is None
    assert first.renew("job-000", "a", until=NOW + 2 * LEASE)
    assert second.claim("b", now=NOW + LEASE + 1, lease_seconds=LEASE) is None  # renewed
    taken = second.claim("b", now=NOW + 2 * LEASE + 1, lease_seconds=LEASE)
    assert taken is not None and taken.job.job_id == "job-000" and taken.taken_from == "a"
    # The worker that lost its lease changes nothing any more.
    assert not first.renew("job-000", "a", until=NOW + 5 * LEASE)
    files = [JobFile("a.md", "accepted", "uploads/job-000/1/a.md", entries=[])]
    assert not first.update("job-000", files=files, held_by="a")
    assert not first.finish("job-000", "a", "done")
    assert not first.release("job-000", "a", turn_at=NOW)
    job = first.get("job-000")
    assert job is not None and (job.state, job.owner, job.files[0].entries) == (
        "running",
        "b",
        None,
    )
    assert second.finish("job-000", "b", "done")
    done = first.get("job-000")
    assert done is not None and (done.state, done.owner, done.lease_until) == ("done", None, None)
    assert done.finished_at is not None
    assert second.claim("b", now=NOW + 9 * LEASE, lease_seconds=LEASE) is None


def test_a_released_job_waits_behind_the_others_and_a_new_job_goes_first(
    registries: list[Registry],
) -> None:
    jobs = registries[0].ingest_jobs
    queue_jobs(registries[0], 2)
    order = []
    for turn in range(3):
        claim = jobs.claim("a", now=NOW + turn, lease_seconds=LEASE)
        assert claim is not None
        order.append(claim.job.job_id)
        assert jobs.release(claim.job.job_id, "a", turn_at=NOW + turn)
        if turn == 1:
            files = [JobFile("b.md", "accepted", "uploads/new/1/b.md")]
            jobs.insert(IngestJob("new", "queued", "account:buero", utc_now_text(), {}, files))
    assert order == ["job-000", "job-001", "new"]
    claim = jobs.claim("a", now=NOW + 4, lease_seconds=LEASE)
    assert claim is not None and claim.job.job_id == "job-000"
    released = jobs.get("job-001")
    assert released is not None and (released.state, released.owner) == ("running", None)


def test_only_live_workers_of_others_keep_what_they_write(registries: list[Registry]) -> None:
    jobs = registries[0].ingest_jobs
    queue_jobs(registries[0], 2)
    for owner in ("a", "b"):
        claim = jobs.claim(owner, now=NOW, lease_seconds=LEASE)
        assert claim is not None
        assert jobs.note_writing(claim.job.job_id, owner, [f"doc-{owner}", f"old-{owner}"])
    assert jobs.written_by_others("a", now=NOW + 1) == {"doc-b", "old-b"}
    assert jobs.written_by_others("c", now=NOW + 1) == {"doc-a", "old-a", "doc-b", "old-b"}
    assert jobs.written_by_others("c", now=NOW + LEASE + 1) == set()  # both leases ran out


@pytest.mark.postgres
def test_a_postgres_claim_skips_the_row_another_transaction_holds() -> None:
    """`FOR UPDATE SKIP LOCKED` passes a row another transaction locked, at once."""
    with fresh_schema(postgres_url()) as url:
        registry = Registry(url)
        engine = sa.create_engine(database_url(url), poolclass=sa.pool.NullPool)
        try:
            queue_jobs(registry, 2)
            with engine.connect() as connection, connection.begin():
                connection.exec_driver_sql(
                    "SELECT job_id FROM ingest_jobs WHERE job_id = 'job-000' FOR UPDATE"
                )
                claim = registry.ingest_jobs.claim("a", now=NOW, lease_seconds=LEASE)
                assert claim is not None and claim.job.job_id == "job-001"
            again = registry.ingest_jobs.claim("b", now=NOW, lease_seconds=LEASE)
            assert again is not None and again.job.job_id == "job-000"
        finally:
            engine.dispose()
            registry.close()


def test_leaving_the_jobs_to_workers_needs_a_qdrant_server(tmp_path: Path) -> None:
    """The embedded store admits one process (the service's): no worker could open it."""
    with pytest.raises(ValidationError, match="BLOK_STORE__BACKEND"):
        Settings(data_dir=tmp_path, ingest=IngestSettings(job_runner="worker"))
    server = StoreSettings(backend="server", url="http://qdrant:6333")
    settings = Settings(data_dir=tmp_path, ingest=IngestSettings(job_runner="worker"), store=server)
    assert settings.ingest.job_runner == "worker"
    assert Settings(data_dir=tmp_path).ingest.job_runner == "service"


def test_recovery_leaves_what_live_workers_write(
    registry_location: Path | str, tmp_path: Path
) -> None:
    """A `pending` document a live worker's job names stays; one of a worker whose lease ran
    out, and one nobody names, are removed (`IngestRunner.recover_unheld`)."""
    registry = Registry(registry_location)
    settings = Settings(data_dir=tmp_path / "data")
    store = EdgeChunkStore(tmp_path / "store")  # empty: the rows are what is recovered here
    try:
        jobs = registry.ingest_jobs
        queue_jobs(registry, 2)
        now = time.time()
        for owner, lease in (("live", LEASE), ("killed", -1.0)):
            claim = jobs.claim(owner, now=now, lease_seconds=lease)
            assert claim is not None
            jobs.note_writing(claim.job.job_id, owner, [f"doc-{owner}"])
        earlier = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(timespec="seconds")
        for document_id in ("doc-live", "doc-killed", "doc-nobody"):
            registry.documents.mark_pending(pending(document_id))
            sql_execute(
                registry,
                "UPDATE documents SET ingested_at = ? WHERE document_id = ?",
                (earlier, document_id),
            )
        registry.documents.mark_pending(pending("doc-just-begun"))  # begun now: left alone
        runner = IngestRunner(settings, store, registry)
        assert runner.recover_unheld(owner="taker") == 2
        left = {record.document_id for record in registry.documents.list_documents()}
        assert left == {"doc-live", "doc-just-begun"}
    finally:
        store.close()
        registry.close()


def pending(document_id: str) -> DocumentRecord:
    return DocumentRecord(
        document_id=document_id,
        sha256=f"sha-{document_id}",
        source_path=f"uploads/{document_id}.md",
        source_name=f"{document_id}.md",
        title=document_id,
        metadata={},
        index_key="key",
        status="pending",
        page_count=0,
        chunk_count=0,
        ingested_at="",
    )
