"""Upload jobs: queued by the service, claimed from the registry and run by workers.

`POST /v1/documents` stores the files and queues a job (a row of `ingest_jobs`,
`core.persistence.ingest_jobs`); a worker claims it and runs it with an `IngestRunner` while
searches go on (a document is hidden while `pending`, and a replacement switches in one registry
transaction, `ingest.runner`). The worker is a thread of the service (`BLOK_INGEST__JOB_RUNNER`
`service`, the default) or of a `blok worker` process (`worker`): several of them, in several
processes, share the jobs of one registry, and each job runs once.

Jobs take turns: a worker claims the job whose turn is longest ago (a new job first), ingests
`BLOK_UPLOAD__FILES_PER_TURN` files of it (default 1) and releases it, so a small upload waits
for at most one file of each job before it (each bounded by
`BLOK_INGEST__MAX_SECONDS_PER_FILE`), not for a whole large upload.

A claim is a lease (`BLOK_INGEST__LEASE_SECONDS`), renewed while the turn runs. A worker that is
killed leaves its job `running` under a lease that runs out; then any worker claims it again
(files already done are not run again; the log says so), and first removes what the killed file
left (`IngestRunner.recover_interrupted`) except the documents live workers of other processes
are writing, which their jobs record (`writing`). Nothing is half indexed: a file's chunks count
only once its registry commit says so. A job whose uploaded files are gone is marked
`interrupted`. At shutdown the worker stops after the current file and releases its job; one that
does not finish in time is abandoned (its lease runs out, the job is taken up again).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from core.audit_actions import AuditAction
from core.errors import ErrorCode, ReindexRunningError, StoreLockedError
from core.persistence.audit import SYSTEM_ACTOR
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.persistence.registry import Registry, utc_now_text
from core.settings import Settings
from ingest.failures import BATCH_ERRORS
from ingest.report import ReportEntry
from ingest.runner import IngestRunner
from pipelines.stores import ChunkStore, EdgeChunkStore, SwitchableChunkStore, build_chunk_store
from search_service.context import ServiceContext

logger = logging.getLogger(__name__)

ABSOLUTE_PATH = re.compile(r"(?<![\w.~])(?:/[^\s/'\"():,;]+)+/([^\s/'\"():,;]+)")
# The lock file of the workers that take turns on an embedded store (`EmbeddedTurnStore`).
WORKER_STORE_LOCK = "worker-store.lock"
INTERNAL_REASON = "an internal error occurred while processing this file"


def public_reason(reason: str | None) -> str | None:
    """A reason without server paths: every absolute path becomes its last part."""
    return ABSOLUTE_PATH.sub(r"\1", reason) if reason else reason


def new_job_id() -> str:
    """A random id; also the name of the job's upload folder."""
    return uuid.uuid4().hex


class IngestJobs:
    """The job table and one worker thread that claims the jobs and runs them in turns."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        registry: Registry,
        *,
        turn_store: TurnStore | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.runner = IngestRunner(settings, store, registry, actor=SYSTEM_ACTOR)
        self.runner.on_writing = self._note_writing
        self.audit = registry.audit
        self.jobs = registry.ingest_jobs
        # Who this worker is in the registry's `owner` column: unique per process and start.
        self.owner = worker_id()
        self._turn_store = turn_store or TurnStore()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat: threading.Thread | None = None
        # The job this worker holds (only the worker thread sets it) and what its file writes.
        self._held: str | None = None
        self._writing: list[str] = []
        self._lost = threading.Event()  # the held job's lease could not be renewed
        self._finished = threading.Event()  # the worker has ended

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept: `DATA_DIR/uploads/<job id>/<n>/<name>`."""
        return self.settings.uploads_dir

    def start(self) -> None:
        """Start the worker thread (and the thread that renews its leases)."""
        self._thread = threading.Thread(target=self._work, name="blok-ingest", daemon=True)
        self._heartbeat = threading.Thread(
            target=self._renew_leases, name="blok-ingest-lease", daemon=True
        )
        self._heartbeat.start()
        self._thread.start()

    def run(self) -> None:
        """Run the worker in this thread until `stop` (`blok worker`)."""
        self._heartbeat = threading.Thread(
            target=self._renew_leases, name="blok-ingest-lease", daemon=True
        )
        self._heartbeat.start()
        self._work()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop after the current file; False when it did not finish within `timeout` seconds."""
        self._stopping.set()
        self._wake.set()
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
            self._wake.set()
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
        """Claim the next job, run its turn, release it; wait for jobs while there are none."""
        try:
            self._claim_and_run()
        finally:
            self._finished.set()

    def _claim_and_run(self) -> None:
        lease = self.settings.ingest.lease_seconds
        self._recover_holding_store()
        while not self._stopping.is_set():
            claim = self.jobs.claim(self.owner, now=time.time(), lease_seconds=lease)
            if claim is None:
                self._wake.wait(self.settings.ingest.poll_seconds)
                self._wake.clear()
                continue
            job = claim.job
            self._held, self._writing = job.job_id, []
            self._lost.clear()
            try:
                if claim.taken_from is not None:
                    log_resumed(job, claim.taken_from)
                self._take_turn_holding_store(job, claim.taken_from)
            except Exception:  # the worker must survive a bug in one job
                if self._stopping.is_set():
                    break  # abandoned at shutdown (store and registry closed): its lease runs out
                logger.exception("ingest job %s failed", job.job_id)
                self.jobs.finish(job.job_id, self.owner, "failed", error=INTERNAL_REASON)
            finally:
                self._held = None

    def _take_turn_holding_store(self, job: IngestJob, taken_from: str | None) -> None:
        """Hold the store for one turn of `job` (an embedded one may be another's for a while)."""
        if not self._turn_store.acquire(self._stopping):
            self.jobs.release(job.job_id, self.owner, turn_at=time.time())
            return
        try:
            if taken_from is not None:
                self._recover(taken_from=taken_from)
            more = self._take_turn(job)
            if more is None:
                return  # the lease was lost: the job is another worker's now
            if more:
                self.jobs.release(job.job_id, self.owner, turn_at=time.time())
        finally:
            self._turn_store.release()

    def _recover_holding_store(self) -> None:
        """At start: hold the store and remove what killed runs left (`_recover`)."""
        with self._turn_store.held(self._stopping) as held:
            if held:
                self._recover(taken_from=None)

    def _recover(self, *, taken_from: str | None) -> None:
        """Remove what killed runs left, except what live workers of other processes write."""
        removed = self.runner.recover_unheld(owner=self.owner)
        if removed:
            after = f" of worker {taken_from}" if taken_from else ""
            logger.warning("removed %d unfinished documents%s", removed, after)

    def _take_turn(self, job: IngestJob) -> bool | None:
        """Ingest the job's next `files_per_turn` files; True while files of it are left.

        None when this worker lost its lease meanwhile (it then writes nothing more to the job).
        """
        job_id = job.job_id
        pending = [f for f in job.files if f.stored is not None and f.entries is None]
        if not all(f.stored_file(self.settings.data_dir).is_file() for f in pending):
            gone = "its uploaded files are gone; upload them again"
            self.jobs.finish(job_id, self.owner, "interrupted", error=gone)
            return False
        self.runner.actor = job.actor
        for _ in range(self.settings.upload.files_per_turn):
            item = next_file(job)
            if item is None:
                break
            if self._stopping.is_set():
                return True  # released: another worker (or the next start) goes on with it
            if self._lost.is_set():
                logger.warning("ingest job %s: lost its lease; another worker goes on", job_id)
                return None
            self._writing = []
            try:
                entries = self._ingest(job, item)
            except (*BATCH_ERRORS, ReindexRunningError) as exc:
                error = public_reason(exc.message)
                self.jobs.finish(job_id, self.owner, "failed", error=error)
                return False
            item.entries = [public_entry(entry) for entry in entries]
            if not self.jobs.update(job_id, files=job.files, held_by=self.owner):
                logger.warning("ingest job %s: lost its lease; another worker goes on", job_id)
                return None
        if next_file(job) is not None:
            return True
        if any(entry["status"] == "indexed" for f in job.files for entry in f.entries or []):
            self.runner.store.optimize()
        if self.jobs.finish(job_id, self.owner, "done"):
            logger.info("ingest job %s done", job_id)
        return False

    def _note_writing(self, document_ids: list[str]) -> None:
        """Record in the held job what its current file is about to write (`IngestRunner`)."""
        if self._held is not None:
            self._writing += document_ids
            self.jobs.note_writing(self._held, self.owner, self._writing)

    def _renew_leases(self) -> None:
        """Renew the lease of the held job every third of its length, until the worker ends."""
        lease = self.settings.ingest.lease_seconds
        while not self._finished.wait(lease / 3):
            held = self._held
            if held is None:
                continue
            try:
                renewed = self.jobs.renew(held, self.owner, until=time.time() + lease)
                if not renewed and self._held == held:  # not a job it has just let go
                    self._lost.set()
            except Exception:  # a registry hiccup: the next renewal tries again
                logger.exception("could not renew the lease of ingest job %s", held)

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


def log_resumed(job: IngestJob, taken_from: str) -> None:
    """Say that a job runs again because the worker that held it stopped, and why."""
    stored = sum(f.stored is not None for f in job.files)
    left = sum(f.stored is not None and f.entries is None for f in job.files)
    logger.warning(
        "resuming ingest job %s: its worker %s stopped while it ran (a file it was ingesting "
        "starts over); %d of %d files left",
        job.job_id,
        taken_from,
        left,
        stored,
    )


def worker_id() -> str:
    """The name of one worker in the registry: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TurnStore:
    """How a worker holds its store for a turn: the service's store is always held (no-op)."""

    def acquire(self, stopping: threading.Event) -> bool:
        """Hold the store; False when `stopping` was set first."""
        return True

    def release(self) -> None:
        """Let go of the store after a turn."""

    @contextmanager
    def held(self, stopping: threading.Event) -> Iterator[bool]:
        """Hold the store inside the block (False: stopping before it was held)."""
        held = self.acquire(stopping)
        try:
            yield held
        finally:
            if held:
                self.release()


class EmbeddedTurnStore(TurnStore):
    """The embedded store of a `blok worker`: opened for a turn, closed after it.

    It admits one process, so the workers take turns on it: a worker holds the lock file
    `DATA_DIR/worker-store.lock` (the system releases it when the process ends, even killed)
    while it has the store open, and so never creates a shard beside another worker; one that
    finds the lock or the store held (by a running `blok serve`, say) waits, asking again every
    `poll_seconds`.
    """

    def __init__(self, settings: Settings, registry: Registry) -> None:
        self.settings = settings
        self.registry = registry
        # Closed until the first turn: the pipeline is built on it once, its store is exchanged.
        self.store = SwitchableChunkStore(EdgeChunkStore(settings.data_dir, load=False))
        self._lock_file: IO[bytes] | None = None

    def acquire(self, stopping: threading.Event) -> bool:
        """Open the active collection's shard, waiting while another process holds it."""
        waiting_logged = False
        while True:
            if self._open():
                return True
            if not waiting_logged:
                logger.info("the embedded store is held by another process; waiting")
                waiting_logged = True
            if stopping.wait(self.settings.ingest.poll_seconds):
                return False

    def _open(self) -> bool:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock_file = (self.settings.data_dir / WORKER_STORE_LOCK).open("ab")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            opened = build_chunk_store(self.settings, self.registry)
        except (BlockingIOError, StoreLockedError):
            lock_file.close()
            return False
        except BaseException:
            lock_file.close()
            raise
        self._lock_file = lock_file
        self.store.switch_to(opened)
        return True

    def release(self) -> None:
        """Flush and close the shard, then the lock file: another process may open it now."""
        try:
            self.store.close()
        finally:
            if self._lock_file is not None:
                self._lock_file.close()  # releases the lock
                self._lock_file = None


def worker_jobs(settings: Settings, registry: Registry) -> IngestJobs:
    """The jobs as a `blok worker` runs them: with its own store (embedded: turn by turn)."""
    if settings.store.backend == "server":
        return IngestJobs(settings, build_chunk_store(settings, registry), registry)
    turns = EmbeddedTurnStore(settings, registry)
    return IngestJobs(settings, turns.store, registry, turn_store=turns)


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
