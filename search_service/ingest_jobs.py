"""In-service ingestion: upload jobs, run by one background thread that lets them take turns.

The embedded store admits one process, so the service ingests itself: `POST /v1/documents`
stores the files and queues a job; the worker thread runs it with an `IngestRunner` on the
service's own store and registry while searches go on (a document is hidden while `pending`, and
a replacement switches in one registry transaction, `ingest.runner`).

Jobs take turns: the worker ingests `BLOK_UPLOAD__FILES_PER_TURN` files (default 1) of the job
whose turn it is, then moves on to the next waiting job, so a small upload waits for at most one
file of each job before it (each bounded by `BLOK_INGEST__MAX_SECONDS_PER_FILE`), not for a
whole large upload.

Jobs are rows of `ingest_jobs` in the registry (`core.persistence.ingest_jobs`): state `queued`,
`running`, `done`, `failed` or `interrupted`, the actor, the times, the metadata and per file its
report entries (JSON), saved after every file. At shutdown the worker stops after the current file;
one that does not finish in time is abandoned (the process ends, the runner's `pending` row makes
the next start remove its chunks). At start-up, jobs left `queued` or `running` are queued again
when their files are still there (files already done are not run again; the service log says so
and why), else marked `interrupted`.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import uuid
from collections import deque
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.audit_actions import AuditAction
from core.errors import ErrorCode, ReindexRunningError
from core.persistence.audit import SYSTEM_ACTOR
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.persistence.registry import Registry, utc_now_text
from core.settings import Settings
from ingest.failures import BATCH_ERRORS
from ingest.report import ReportEntry
from ingest.runner import IngestRunner
from pipelines.stores import ChunkStore
from search_service.context import ServiceContext

logger = logging.getLogger(__name__)

UNFINISHED = ("queued", "running")
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])(?:/[^\s/'\"():,;]+)+/([^\s/'\"():,;]+)")
INTERNAL_REASON = "an internal error occurred while processing this file"


def public_reason(reason: str | None) -> str | None:
    """A reason without server paths: every absolute path becomes its last part."""
    return ABSOLUTE_PATH.sub(r"\1", reason) if reason else reason


def new_job_id() -> str:
    """A random id; also the name of the job's upload folder."""
    return uuid.uuid4().hex


class IngestJobs:
    """The job table and the one worker thread that runs the jobs."""

    def __init__(self, settings: Settings, store: ChunkStore, registry: Registry) -> None:
        self.settings = settings
        self.registry = registry
        self.runner = IngestRunner(settings, store, registry, actor=SYSTEM_ACTOR)
        self.audit = registry.audit
        self.jobs = registry.ingest_jobs
        self._queue: queue.Queue[str | None] = queue.Queue()
        # The jobs taking turns, the next first (only the worker thread touches it).
        self._turns: deque[str] = deque()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept: `DATA_DIR/uploads/<job id>/<n>/<name>`."""
        return self.settings.uploads_dir

    def start(self) -> None:
        """Clean up after a crash, queue unfinished jobs again, start the worker thread."""
        self.runner.recover_interrupted()
        for job in self.list_jobs(states=UNFINISHED, limit=None, oldest_first=True):
            pending = [f for f in job.files if f.stored is not None and f.entries is None]
            if all(f.stored_file(self.settings.data_dir).is_file() for f in pending):
                log_resumed(job, len(pending))
                self.jobs.update(job.job_id, state="queued")
                self._queue.put(job.job_id)
            else:
                gone = "its uploaded files are gone; upload them again"
                self.jobs.update(
                    job.job_id, state="interrupted", finished_at=utc_now_text(), error=gone
                )
        self._thread = threading.Thread(target=self._work, name="blok-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop after the current file; False when it did not finish within `timeout` seconds."""
        self._stopping.set()
        self._queue.put(None)
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        self.runner.close()
        return True

    def submit(
        self, job_id: str, actor: str, metadata: dict[str, Any], files: list[JobFile]
    ) -> IngestJob:
        """Record a job and queue it; a job without an accepted file is done at once."""
        runnable = any(item.stored is not None for item in files)
        created = utc_now_text()
        job = IngestJob(job_id, "queued" if runnable else "done", actor, created, metadata, files)
        job.finished_at = None if runnable else created
        self.jobs.insert(job)
        if runnable:
            self._queue.put(job.job_id)
        return job

    def get(self, job_id: str) -> IngestJob | None:
        """The job with this id."""
        return self.jobs.get(job_id)

    def list_jobs(
        self,
        *,
        states: tuple[str, ...] | None = None,
        limit: int | None = 50,
        oldest_first: bool = False,
    ) -> list[IngestJob]:
        """Jobs newest first (or oldest first), optionally of some states only."""
        return self.jobs.list_jobs(states=states, limit=limit, oldest_first=oldest_first)

    def _work(self) -> None:
        """Take turns: the next waiting job runs its next file(s), then goes to the back."""
        while not self._stopping.is_set():
            if not self._take_new_jobs(block=not self._turns):
                break
            job_id = self._turns.popleft()
            try:
                more = self._take_turn(job_id)
            except Exception:  # the worker must survive a bug in one job
                if self._stopping.is_set():
                    break  # abandoned at shutdown (store and registry closed): taken up at start
                logger.exception("ingest job %s failed", job_id)
                self.jobs.update(
                    job_id, state="failed", finished_at=utc_now_text(), error=INTERNAL_REASON
                )
                more = False
            if not self._take_new_jobs(block=False):  # jobs sent meanwhile go first
                break
            if more:
                self._turns.append(job_id)

    def _take_new_jobs(self, *, block: bool) -> bool:
        """Move submitted jobs into the turns (waiting for one if `block`); False: stop."""
        try:
            while True:
                job_id = self._queue.get(block=block)
                if job_id is None:
                    return False
                if job_id not in self._turns:
                    self._turns.append(job_id)
                block = False
        except queue.Empty:
            return True

    def _take_turn(self, job_id: str) -> bool:
        """Ingest the job's next `files_per_turn` files; True while files of it are left."""
        job = self.get(job_id)
        if job is None or job.state not in UNFINISHED:
            return False
        if job.state != "running":
            self.jobs.update(job_id, state="running", started_at=job.started_at or utc_now_text())
        self.runner.actor = job.actor
        for _ in range(self.settings.upload.files_per_turn):
            item = next_file(job)
            if item is None:
                break
            if self._stopping.is_set():
                return False  # left `running`: the next start queues it again
            try:
                entries = self._ingest(job, item)
            except (*BATCH_ERRORS, ReindexRunningError) as exc:
                error = public_reason(exc.message)
                self.jobs.update(job_id, state="failed", finished_at=utc_now_text(), error=error)
                return False
            item.entries = [public_entry(entry) for entry in entries]
            self.jobs.update(job_id, files=job.files)
        if next_file(job) is not None:
            return True
        if any(entry["status"] == "indexed" for f in job.files for entry in f.entries or []):
            self.runner.store.optimize()
        self.jobs.update(job_id, state="done", finished_at=utc_now_text())
        return False

    def _ingest(self, job: IngestJob, item: JobFile) -> list[ReportEntry]:
        """Ingest one stored file under its `source_path` and audit it as `document.upload`."""
        path = item.stored_file(self.settings.data_dir)
        entries = self.runner.ingest_path(path, path.parent, source_path=item.source_path)
        for entry in entries:
            after = {
                "job_id": job.job_id,
                "file": entry.source,
                "status": entry.status,
                "document_id": entry.document_id,
                "metadata": job.metadata,
                "source_path": item.source_path,
                "reason": public_reason(entry.reason),
            }
            target = entry.document_id or f"job:{job.job_id}"
            self.audit.record(
                actor=job.actor, action=AuditAction.DOCUMENT_UPLOAD, target=target, after=after
            )
        return entries


def next_file(job: IngestJob) -> JobFile | None:
    """The job's next stored file that has not been ingested yet."""
    return next((f for f in job.files if f.stored is not None and f.entries is None), None)


def log_resumed(job: IngestJob, left: int) -> None:
    """Say that an unfinished job runs again after a restart, and why."""
    stored = sum(f.stored is not None for f in job.files)
    why = (
        "the service stopped while it ran (a file it was ingesting starts over)"
        if job.state == "running"
        else "the service stopped before its turn came"
    )
    logger.warning("resuming ingest job %s: %s; %d of %d files left", job.job_id, why, left, stored)


def hold_store(context: ServiceContext) -> None:
    """Create the (empty) store now if it does not exist, with the model's dimension.

    An embedded shard is otherwise created at the first write, and until then the service holds
    no lock on it: a `blok ingest` could create it meanwhile and lock the service out.
    """
    context.store.ensure_collection(context.searcher.embedding_dimension())


def public_entry(entry: ReportEntry) -> dict[str, Any]:
    """A report entry as the API shows it: no server paths, no internal error text."""
    values = asdict(entry)
    values.pop("path", None)
    if entry.code == ErrorCode.INTERNAL.value:
        logger.error("ingesting %s failed: %s", entry.source, entry.reason)
        values["reason"] = INTERNAL_REASON
    else:
        values["reason"] = public_reason(entry.reason)
    return values
