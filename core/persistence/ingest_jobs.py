"""The ingest jobs repository: one row per upload, with per file what ingesting it did.

A job's state is `queued`, `running`, `done`, `failed` or `interrupted`; its metadata and its
files (with their report entries, saved after every file) are JSON. The workers that run the
jobs are `search_service.ingest_jobs`, in the service or in `blok worker` processes.

A worker claims a job for one turn (`claim`): the job becomes `running`, `owner` names the
worker and `lease_until` says until when it holds the job unless it renews the lease (`renew`).
On PostgreSQL the claim locks the row it takes and skips rows other claimers hold
(`FOR UPDATE SKIP LOCKED`); on SQLite it runs in one `BEGIN IMMEDIATE` transaction. A job whose
lease has run out (its worker was killed) is claimed again by any worker; one whose lease runs
is never. After its turn the worker releases the job (`release`: it stays `running`, nobody
holds it, its `turn_at` puts it behind the jobs waiting longer) or finishes it (`finish`).
Every write of a worker names it (`held_by`): one that lost its lease changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.persistence.connection import Repository, Row, utc_now_text

# The columns `IngestJobRepository.update` may set besides `files`.
UPDATABLE_COLUMNS = frozenset({"state", "started_at", "finished_at", "error"})
UNFINISHED = ("queued", "running")
# The column that orders jobs created in the same second as they were inserted.
INSERTION_ORDER = {"sqlite": "rowid", "postgresql": "seq"}
# Files by outcome (`IngestJobRepository.files_by_outcome`), read from the files JSON.
FILES_BY_OUTCOME = {
    "sqlite": "SELECT CASE WHEN json_extract(f.value, '$.status') = 'rejected' THEN 'rejected' "
    "WHEN json_type(f.value, '$.entries') = 'array' THEN NULL ELSE 'waiting' END "
    "AS outcome, COUNT(*) AS n FROM ingest_jobs, json_each(ingest_jobs.files) AS f "
    "GROUP BY outcome "
    "UNION ALL SELECT json_extract(e.value, '$.status') AS outcome, COUNT(*) AS n "
    "FROM ingest_jobs, json_each(ingest_jobs.files) AS f, "
    "json_each(json_extract(f.value, '$.entries')) AS e "
    "WHERE json_extract(f.value, '$.status') != 'rejected' GROUP BY outcome",
    "postgresql": "SELECT CASE WHEN f.value ->> 'status' = 'rejected' THEN 'rejected' "
    "WHEN jsonb_typeof(f.value -> 'entries') = 'array' THEN NULL ELSE 'waiting' END "
    "AS outcome, COUNT(*) AS n FROM ingest_jobs, "
    "jsonb_array_elements(ingest_jobs.files::jsonb) AS f (value) GROUP BY 1 "
    "UNION ALL SELECT e.value ->> 'status' AS outcome, COUNT(*) AS n "
    "FROM ingest_jobs, jsonb_array_elements(ingest_jobs.files::jsonb) AS f (value), "
    "jsonb_array_elements(CASE WHEN jsonb_typeof(f.value -> 'entries') = 'array' "
    "THEN f.value -> 'entries' ELSE '[]'::jsonb END) AS e (value) "
    "WHERE f.value ->> 'status' != 'rejected' GROUP BY 1",
}


@dataclass
class JobFile:
    """One file of a job: `stored` is relative to the data directory; `entries` once run."""

    name: str
    status: str  # `accepted` or `rejected` (at upload)
    stored: str | None = None
    source_path: str | None = None
    code: str | None = None
    reason: str | None = None
    entries: list[dict[str, Any]] | None = None

    def stored_file(self, data_dir: Path) -> Path:
        """The kept upload on this machine (`stored` under the data directory)."""
        return (data_dir / str(self.stored)).resolve()


@dataclass
class IngestJob:
    """One upload and what ingesting it did."""

    job_id: str
    state: str
    actor: str
    created_at: str
    metadata: dict[str, Any]
    files: list[JobFile] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    owner: str | None = None
    lease_until: float | None = None


@dataclass(frozen=True)
class Claim:
    """A job claimed for one turn, and the worker whose lease on it had run out (if any)."""

    job: IngestJob
    taken_from: str | None


def _job(row: Row) -> IngestJob:
    files = [JobFile(**item) for item in json.loads(row["files"])]
    return IngestJob(
        job_id=str(row["job_id"]),
        state=str(row["state"]),
        actor=str(row["actor"]),
        created_at=str(row["created_at"]),
        metadata=json.loads(row["metadata"]),
        files=files,
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
        owner=row.get("owner"),
        lease_until=row.get("lease_until"),
    )


# The next job to claim: unfinished, held by nobody (or by a lease that ran out), the one whose
# last turn is longest ago first (a new job, without a turn, before all of them).
CLAIMABLE = (
    "SELECT job_id, owner FROM ingest_jobs WHERE state IN ('queued', 'running') "
    "AND (lease_until IS NULL OR lease_until < ?) "
    "ORDER BY turn_at ASC NULLS FIRST, created_at ASC, {order} ASC LIMIT 1"
)
CLAIM_LOCK = {"sqlite": "", "postgresql": " FOR UPDATE SKIP LOCKED"}


def _files_json(files: list[JobFile]) -> str:
    return json.dumps([asdict(item) for item in files], ensure_ascii=False)


class IngestJobRepository(Repository):
    """The `ingest_jobs` table."""

    def insert(self, job: IngestJob) -> None:
        """Record a new job."""
        self._execute(
            "INSERT INTO ingest_jobs (job_id, state, actor, created_at, finished_at, metadata, "
            "files) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                job.job_id,
                job.state,
                job.actor,
                job.created_at,
                job.finished_at,
                json.dumps(job.metadata, ensure_ascii=False),
                _files_json(job.files),
            ),
        )

    def get(self, job_id: str) -> IngestJob | None:
        """The job with this id."""
        rows = self._rows("SELECT * FROM ingest_jobs WHERE job_id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def list_jobs(
        self,
        *,
        states: tuple[str, ...] | None = None,
        limit: int | None = 50,
        oldest_first: bool = False,
    ) -> list[IngestJob]:
        """Jobs newest first (or oldest first), optionally of some states only."""
        where = ""
        params: tuple[str, ...] = ()
        if states:
            where = f"WHERE state IN ({', '.join('?' for _ in states)})"
            params = tuple(states)
        order = "ASC" if oldest_first else "DESC"
        tail = f" LIMIT {int(limit)}" if limit else ""
        rows = self._rows(
            f"SELECT * FROM ingest_jobs {where} "
            f"ORDER BY created_at {order}, {INSERTION_ORDER[self._dialect]} {order}{tail}",
            params,
        )
        return [_job(row) for row in rows]

    def count_by_state(self) -> dict[str, int]:
        """Jobs per state."""
        rows = self._rows("SELECT state, COUNT(*) AS n FROM ingest_jobs GROUP BY state")
        return {str(row["state"]): int(row["n"]) for row in rows}

    def files_by_outcome(self) -> dict[str, int]:
        """Files of all jobs by what became of them: the report's status once run (`indexed`,
        `skipped`, ...), `rejected` at upload, `waiting` before their turn."""
        rows = self._rows(FILES_BY_OUTCOME[self._dialect])
        counts: dict[str, int] = {}
        for row in rows:
            if row["outcome"] is not None:
                counts[str(row["outcome"])] = counts.get(str(row["outcome"]), 0) + int(row["n"])
        return counts

    def update(
        self,
        job_id: str,
        *,
        files: list[JobFile] | None = None,
        held_by: str | None = None,
        **columns: str | None,
    ) -> bool:
        """Set columns of one job (`state`, `started_at`, `finished_at`, `error`) or its files.

        With `held_by` only while that worker holds the job. False when no row changed.

        Raises:
            ValueError: a column that is not one of those.
        """
        unknown = set(columns) - UPDATABLE_COLUMNS
        if unknown:
            raise ValueError(f"ingest jobs have no updatable columns {sorted(unknown)}")
        values: dict[str, str | None] = dict(columns)
        if files is not None:
            values["files"] = _files_json(files)
        assignments = ", ".join(f"{name} = ?" for name in values)
        where, params = "job_id = ?", [job_id]
        if held_by is not None:
            where, params = "job_id = ? AND owner = ?", [job_id, held_by]
        changed = self._execute(
            f"UPDATE ingest_jobs SET {assignments} WHERE {where}", (*values.values(), *params)
        )
        return changed == 1

    def claim(self, owner: str, *, now: float, lease_seconds: float) -> Claim | None:
        """Take the next job for `owner` until `now + lease_seconds`; None when none waits.

        Two claimers never take the same job: PostgreSQL locks the row and lets the other
        claimers skip it; SQLite runs the claim under its write lock (`BEGIN IMMEDIATE`).
        """
        select = CLAIMABLE.format(order=INSERTION_ORDER[self._dialect])
        select += CLAIM_LOCK[self._dialect]
        # SQLite: the write lock at once; PostgreSQL: the row lock is all a claim needs (not the
        # registry-wide write lock).
        with self._transaction(immediate=self._dialect == "sqlite") as statements:
            row = statements.execute(select, (now,)).mappings().fetchone()
            if row is None:
                return None
            job_id, taken_from = str(row["job_id"]), row["owner"]
            statements.execute(
                "UPDATE ingest_jobs SET state = 'running', owner = ?, lease_until = ?, "
                "started_at = COALESCE(started_at, ?) WHERE job_id = ?",
                (owner, now + lease_seconds, utc_now_text(), job_id),
            )
            claimed = (
                statements.execute("SELECT * FROM ingest_jobs WHERE job_id = ?", (job_id,))
                .mappings()
                .fetchone()
            )
        assert claimed is not None
        return Claim(_job(dict(claimed)), None if taken_from is None else str(taken_from))

    def renew(self, job_id: str, owner: str, *, until: float) -> bool:
        """Extend `owner`'s lease on a job; False when it no longer holds the job."""
        changed = self._execute(
            "UPDATE ingest_jobs SET lease_until = ? WHERE job_id = ? AND owner = ? "
            "AND state = 'running'",
            (until, job_id, owner),
        )
        return changed == 1

    def release(self, job_id: str, owner: str, *, turn_at: float) -> bool:
        """End `owner`'s turn on an unfinished job: it stays `running`, held by nobody."""
        changed = self._execute(
            "UPDATE ingest_jobs SET owner = NULL, lease_until = NULL, turn_at = ?, "
            "writing = '[]' WHERE job_id = ? AND owner = ?",
            (turn_at, job_id, owner),
        )
        return changed == 1

    def finish(self, job_id: str, owner: str, state: str, *, error: str | None = None) -> bool:
        """Set a held job `done`, `failed` or `interrupted` and let go of it."""
        changed = self._execute(
            "UPDATE ingest_jobs SET state = ?, finished_at = ?, error = ?, owner = NULL, "
            "lease_until = NULL, writing = '[]' WHERE job_id = ? AND owner = ?",
            (state, utc_now_text(), error, job_id, owner),
        )
        return changed == 1

    def note_writing(self, job_id: str, owner: str, document_ids: list[str]) -> bool:
        """Record the documents the held job's current file writes (replaced versions too)."""
        changed = self._execute(
            "UPDATE ingest_jobs SET writing = ? WHERE job_id = ? AND owner = ?",
            (json.dumps(sorted(set(document_ids))), job_id, owner),
        )
        return changed == 1

    def written_by_others(self, owner: str, *, now: float) -> set[str]:
        """The documents the jobs of other workers with a running lease are writing."""
        rows = self._rows(
            "SELECT writing FROM ingest_jobs WHERE state = 'running' AND owner IS NOT NULL "
            "AND owner != ? AND lease_until >= ?",
            (owner, now),
        )
        return {str(item) for row in rows for item in json.loads(row["writing"])}
