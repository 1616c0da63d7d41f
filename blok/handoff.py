"""`blok ingest` while `blok serve` runs: hand the files to the service instead of the store.

The embedded store admits one process, and the running service holds it. With an office API key
the command finds the files and resolves each one's metadata here, exactly as a local ingest
would (sidecars, folder manifests; fields left to inference are not sent), uploads them one by one
to `POST /v1/documents` labelled with their path (`source_path`, so a changed file replaces its
older version as in a local ingest), waits for the jobs and builds the same report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from core.errors import (
    ErrorCode,
    ForbiddenError,
    MetadataError,
    ServiceError,
    UnauthorizedError,
)
from core.settings import Settings
from ingest.discovery import discover_files_with_roots
from ingest.metadata_sources import ManifestReader, resolve_metadata
from ingest.report import IngestReport, ReportEntry

POLL_SECONDS = 0.5
FINISHED_STATES = ("done", "failed", "interrupted")
Progress = Callable[[Path, ReportEntry], None]


def hand_off_ingest(
    settings: Settings,
    paths: list[Path],
    url: str,
    api_key: str,
    progress: Progress | None = None,
) -> IngestReport:
    """Upload every file under `paths` to the service at `url`, wait, return the report.

    Raises:
        UnauthorizedError: the service does not accept the key.
        ForbiddenError: the key lacks the office or admin role.
        ServiceError: the service cannot be reached or a job failed as a whole.
    """
    started = time.perf_counter()
    report = IngestReport()
    manifests = ManifestReader()
    waiting: list[tuple[Path, str]] = []
    headers = {"X-API-Key": api_key}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=120.0) as client:
            for path, root in discover_files_with_roots(paths):
                outcome = upload_file(client, settings, path, root, manifests)
                if isinstance(outcome, ReportEntry):
                    outcome.path = str(path)
                    report.entries.append(outcome)
                    if progress:
                        progress(path, outcome)
                else:
                    waiting.append((path, outcome))
            for path, job_id in waiting:
                entries = job_entries(wait_for_job(client, job_id), path)
                report.entries += entries
                if progress:
                    progress(path, entries[0])
    except httpx.HTTPError as exc:
        raise ServiceError(
            f"the service at {url} cannot be reached ({exc}); if it is not running any more, "
            f"remove {settings.service_file} and try again"
        ) from exc
    report.seconds = time.perf_counter() - started
    return report


def upload_file(
    client: httpx.Client, settings: Settings, path: Path, root: Path, manifests: ManifestReader
) -> ReportEntry | str:
    """Upload one file with its metadata; its job id, or the entry saying why it was not sent."""
    reason = settings.ingest.too_large_reason(path.name, path.stat().st_size)
    if reason is not None:
        return ReportEntry(path.name, "skipped", code=ErrorCode.TOO_LARGE.value, reason=reason)
    try:
        resolved = resolve_metadata(
            path, settings.access.default_visibility, root=root, manifests=manifests
        )
    except MetadataError as exc:
        return ReportEntry(path.name, "skipped", code=exc.code.value, reason=exc.message)
    fields = resolved.metadata.model_dump(mode="json")
    for name in resolved.missing:  # inferred on the server from the text, as locally
        fields.pop(name, None)
    data = {"metadata": json.dumps(fields, ensure_ascii=False), "source_path": str(path)}
    with path.open("rb") as handle:
        response = client.post("/v1/documents", files=[("files", (path.name, handle))], data=data)
    body = checked(response)
    sent = body["files"][0]
    if sent["status"] == "rejected":
        return ReportEntry(path.name, "skipped", code=sent["code"], reason=sent["reason"])
    return str(body["job_id"])


def checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful answer.

    Raises:
        UnauthorizedError, ForbiddenError: the key is refused.
        ServiceError: any other error of the service.
    """
    if response.is_success:
        body: dict[str, Any] = response.json()
        return body
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:200]
    if response.status_code == 401:
        raise UnauthorizedError(f"the service refused the API key: {message}")
    if response.status_code == 403:
        raise ForbiddenError(f"the API key needs the office or admin role: {message}")
    raise ServiceError(f"the service answered {response.status_code}: {message}")


def wait_for_job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """Poll the job until it has finished; returns its last state.

    Raises:
        ServiceError: the job failed as a whole (model or store unavailable).
    """
    while True:
        job = checked(client.get(f"/v1/ingest/jobs/{job_id}"))
        if job["state"] in FINISHED_STATES:
            break
        time.sleep(POLL_SECONDS)
    if job["state"] == "failed":
        raise ServiceError(f"ingest job {job_id} failed: {job['error']}")
    return job


def job_entries(job: dict[str, Any], path: Path) -> list[ReportEntry]:
    """The report entries of the one file of a finished job, with its local path."""
    entries: list[ReportEntry] = []
    for item in job["files"]:
        if item["entries"] is None:  # interrupted before it was ingested
            reason = job["error"] or "the service stopped before the file was ingested"
            entries.append(ReportEntry(item["name"], "skipped", code="interrupted", reason=reason))
        else:
            entries += [ReportEntry(**entry) for entry in item["entries"]]
    for entry in entries:
        entry.path = str(path)
    return entries
