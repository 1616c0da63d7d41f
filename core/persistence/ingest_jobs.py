"""The ingest jobs repository: one row per upload, with per file what ingesting it did.

A job's state is `queued`, `running`, `done`, `failed` or `interrupted`; its metadata and its
files (with their report entries, saved after every file) are JSON. The worker that runs the
jobs is `search_service.ingest_jobs`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.persistence.connection import Repository, Row

# The columns `IngestJobRepository.update` may set besides `files`.
UPDATABLE_COLUMNS = frozenset({"state", "started_at", "finished_at", "error"})
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
    )


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
        self, job_id: str, *, files: list[JobFile] | None = None, **columns: str | None
    ) -> None:
        """Set columns of one job (`state`, `started_at`, `finished_at`, `error`) or its files.

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
        self._execute(
            f"UPDATE ingest_jobs SET {assignments} WHERE job_id = ?", (*values.values(), job_id)
        )
