"""Two `blok worker` processes on one PostgreSQL registry: each queued job runs once, and the job
of a worker killed with SIGKILL in the middle of a file is finished by the other.

The workers are real subprocesses (`python -m blok worker`) on one data directory with the
embedded store. The embedded store admits one process, so the workers hold it turn by turn (a
worker that finds it held waits): what these tests show about claims, leases and recovery holds
for a Qdrant server too, where the workers write at the same time; a Qdrant server does not run
here, so that concurrency itself is not tested.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from core.filters import FieldMatch
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.persistence.registry import Registry, utc_now_text
from pipelines.stores import EdgeChunkStore
from tests.support.helpers import MODELS_DIR, PROJECT_ROOT, make_settings
from tests.support.postgres import fresh_schema, postgres_url
from tests.support.registry_sql import sql_rows

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.postgres]

LEASE_SECONDS = 5  # the smallest lease the settings allow: the killed job waits this long
WAIT_SECONDS = 180.0


@pytest.fixture
def registry_url() -> Iterator[str]:
    with fresh_schema(postgres_url()) as url:
        yield url


def protocol(n: int, paragraphs: int = 3) -> str:
    """A small German protocol of its own."""
    parts = [f"# Protokoll {n} der Vergleichsringsitzung"]
    parts += [
        f"Abschnitt {part}: Das Jobcenter Nummer {n} berichtete über die Beratung von "
        f"Alleinerziehenden im Jahr {2010 + part % 15}. Vereinbart wurde, die Maßnahme {n}-{part} "
        "gemeinsam mit dem kommunalen Träger auszuwerten; offen blieb die Finanzierung."
        for part in range(1, paragraphs + 1)
    ]
    return "\n\n".join(parts) + "\n"


def queue_job(registry: Registry, data_dir: Path, job_id: str, texts: list[str]) -> None:
    """A job as an upload leaves it: its files kept under `uploads/`, its row `queued`."""
    files = []
    for n, text in enumerate(texts, start=1):
        kept = data_dir / "uploads" / job_id / str(n) / f"{job_id}-{n}.md"
        kept.parent.mkdir(parents=True)
        kept.write_text(text, encoding="utf-8")
        stored = kept.relative_to(data_dir).as_posix()
        files.append(JobFile(kept.name, "accepted", stored, source_path=f"uploads/{kept.name}"))
    job = IngestJob(job_id, "queued", "account:buero", utc_now_text(), {}, files)
    registry.ingest_jobs.insert(job)


def start_worker(data_dir: Path, registry_url: str, log: IO[str]) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "BLOK_REGISTRY__URL": registry_url,
        "BLOK_INGEST__LEASE_SECONDS": str(LEASE_SECONDS),
        "BLOK_INGEST__POLL_SECONDS": "0.2",
        "BLOK_EMBEDDING__MODELS_DIR": str(MODELS_DIR),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HAYSTACK_TELEMETRY_ENABLED": "False",
    }
    command = [sys.executable, "-m", "blok", "--data-dir", str(data_dir), "worker"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=log, text=True)


def wait_until_finished(registry: Registry, workers: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while (states := registry.ingest_jobs.count_by_state()).keys() - {"done"}:
        assert not states.keys() & {"failed", "interrupted"}, states
        for worker in workers:
            assert worker.poll() is None, f"a worker ended with {worker.returncode}"
        assert time.monotonic() < deadline, registry.ingest_jobs.count_by_state()
        time.sleep(0.2)


def stop(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


def uploads_audited(registry: Registry) -> Counter[str]:
    """How often each job file was recorded as ingested (`document.upload`)."""
    rows = sql_rows(registry, "SELECT after FROM audit_log WHERE action = 'document.upload'")
    return Counter(
        f"{json.loads(row['after'])['job_id']}/{json.loads(row['after'])['file']}" for row in rows
    )


def assert_nothing_half_indexed(registry: Registry, data_dir: Path) -> int:
    """Every document is indexed with all its chunks, and the store holds no other chunk."""
    records = registry.documents.list_documents()
    assert {record.status for record in records} == {"indexed"}
    settings = make_settings(data_dir)
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        for record in records:
            by_document = store.count([FieldMatch("document_id", (record.document_id,))])
            assert by_document == record.chunk_count > 0, record.source_name
        assert store.count() == sum(record.chunk_count for record in records)
    finally:
        store.close()
    return len(records)


def test_two_workers_run_every_queued_job_once(tmp_path: Path, registry_url: str) -> None:
    data_dir = tmp_path / "data"
    registry = Registry(registry_url)
    try:
        expected = []
        for n in range(6):
            texts = [protocol(10 * n + part) for part in range(1 + n % 2)]
            queue_job(registry, data_dir, f"job{n}", texts)
            expected += [f"job{n}/job{n}-{part}.md" for part in range(1, len(texts) + 1)]
        logs = [(tmp_path / f"worker-{n}.log").open("w", encoding="utf-8") for n in range(2)]
        workers = [start_worker(data_dir, registry_url, log) for log in logs]
        try:
            wait_until_finished(registry, workers)
        finally:
            stop(workers)
            for log in logs:
                log.close()
        assert [worker.returncode for worker in workers] == [0, 0]
        jobs = registry.ingest_jobs.list_jobs(limit=None)
        assert {(job.state, job.owner) for job in jobs} == {("done", None)}
        statuses = [e["status"] for job in jobs for f in job.files for e in f.entries or []]
        assert statuses == ["indexed"] * len(expected)
        assert uploads_audited(registry) == Counter(expected)  # each file ingested once
        assert assert_nothing_half_indexed(registry, data_dir) == len(expected)
        finished = Counter(
            line.split("ingest job ")[1].split()[0]
            for n in range(2)
            for line in (tmp_path / f"worker-{n}.log").read_text(encoding="utf-8").splitlines()
            if " done" in line and "ingest job " in line
        )
        assert finished == Counter(f"job{n}" for n in range(6))
        print(
            "jobs finished per worker:",
            [
                (tmp_path / f"worker-{n}.log").read_text(encoding="utf-8").count(" done")
                for n in range(2)
            ],
        )
    finally:
        registry.close()


def test_the_job_of_a_killed_worker_is_finished_by_the_other(
    tmp_path: Path, registry_url: str
) -> None:
    data_dir = tmp_path / "data"
    registry = Registry(registry_url)
    try:
        # A large file, so the first worker is killed while it writes its chunks.
        queue_job(registry, data_dir, "gross", [protocol(1, paragraphs=400), protocol(2)])
        logs = [(tmp_path / f"worker-{n}.log").open("w", encoding="utf-8") for n in range(2)]
        first = start_worker(data_dir, registry_url, logs[0])
        second: subprocess.Popen[str] | None = None
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while not pending_of(registry, "gross"):
                assert first.poll() is None, f"the first worker ended with {first.returncode}"
                assert time.monotonic() < deadline, "the first worker never began the large file"
                time.sleep(0.05)
            # The second worker starts while the first holds the job and the store.
            second = start_worker(data_dir, registry_url, logs[1])
            first.send_signal(signal.SIGKILL)
            assert first.wait(timeout=30) == -signal.SIGKILL
            [job] = registry.ingest_jobs.list_jobs(limit=None)
            assert job.state == "running" and job.owner is not None  # its lease is still on
            killed_owner = job.owner
            assert job.files[0].entries is None
            for state in [registry.documents.get(d) for d in pending_of(registry, "gross")]:
                assert state is not None and state.status == "pending"
            wait_until_finished(registry, [second])
        finally:
            stop([worker for worker in (first, second) if worker is not None])
            for log in logs:
                log.close()
        assert second.returncode == 0
        [job] = registry.ingest_jobs.list_jobs(limit=None)
        statuses = [e["status"] for f in job.files for e in f.entries or []]
        assert (job.state, statuses) == ("done", ["indexed", "indexed"])
        assert uploads_audited(registry) == Counter(["gross/gross-1.md", "gross/gross-2.md"])
        assert assert_nothing_half_indexed(registry, data_dir) == 2
        second_log = (tmp_path / "worker-1.log").read_text(encoding="utf-8")
        assert f"resuming ingest job gross: its worker {killed_owner} stopped" in second_log
    finally:
        registry.close()


def pending_of(registry: Registry, job_id: str) -> list[str]:
    """The documents the job's current file is writing that are still `pending`."""
    rows = sql_rows(registry, "SELECT writing FROM ingest_jobs WHERE job_id = ?", (job_id,))
    writing = json.loads(rows[0]["writing"]) if rows else []
    return [
        document_id
        for document_id in writing
        if (record := registry.documents.get(document_id)) is not None
        and record.status == "pending"
    ]
