"""`/verwaltung/hochladen`: upload several files with their metadata, then follow the job.

The form posts `multipart/form-data` to the UI, which stores the files exactly as
`POST /v1/documents` does (`upload_routes.receive_upload`, `job_files`, `submit_upload`): the
metadata goes through the API's validation and beside each file as its sidecar, and the same
ingest job queue runs them. A multipart body is not parsed for the CSRF check
(`search_service.sessions`), so the token travels as the body's first field and is checked
once the body is read; a body without it is removed at once.

When a field is wrong, the files already sent are kept under their job id and the form comes
back with every value and the list of kept files, so nothing has to be chosen again; kept files
not sent again within a day are removed by a later upload.

`/verwaltung/auftraege/{job_id}` shows the job's state and each file's fate with its reason;
`static/verwaltung.js` refreshes it while the job runs, without JavaScript a link reloads it.
"""

from __future__ import annotations

import hmac
import re
import shutil
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import (
    FileTooLargeError,
    ForbiddenError,
    InvalidRequestError,
    MetadataError,
    ReindexRunningError,
)
from core.persistence.audit import principal_actor
from core.persistence.ingest_jobs import IngestJob, JobFile
from ingest.metadata_sources import validate_metadata
from search_service.deps import ContextDep
from search_service.ingest_jobs import IngestJobs, new_job_id
from search_service.sessions import CSRF_FIELD, check_origin
from search_service.ui_office import (
    OfficeDep,
    done,
    german_error,
    render_office,
    require,
)
from search_service.ui_office_forms import MetadataForm, kind_options, visibility_options
from search_service.ui_pages import Visitor, VisitorDep, render_page
from search_service.ui_routes import FormRefusedError
from search_service.upload_receiver import ReceivedFile, ReceivedUpload
from search_service.upload_routes import (
    get_ingest_jobs,
    job_files,
    receive_upload,
    submit_upload,
)

upload_pages = APIRouter(include_in_schema=False)
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
NO_FILE_NAME = "(no name)"
RECENT_JOBS = 10
POLL_SECONDS = 2
HELD_SECONDS = 24 * 3600  # files kept after a form error wait this long
JOB_STATES = {
    "queued": "Wartet",
    "running": "Läuft",
    "done": "Fertig",
    "failed": "Fehlgeschlagen",
    "interrupted": "Abgebrochen",
}
ENTRY_STATES = {
    "indexed": "Aufgenommen",
    "unchanged": "Unverändert (schon vorhanden)",
    "skipped": "Übersprungen",
    "duplicate": "Doppelt (gleicher Inhalt wie ein anderes Dokument)",
}
REASON_LABELS = {
    "unsupported_format": "Dateiformat wird nicht unterstützt",
    "empty_document": "Kein Text gefunden",
    "too_large": "Datei zu groß",
    "conversion_failed": "Datei ließ sich nicht lesen",
    "encrypted": "Datei ist verschlüsselt",
    "timeout": "Verarbeitung dauerte zu lange",
    "invalid_metadata": "Ungültige Angaben",
    "invalid_request": "Ungültiger Dateiname",
    "ocr_unavailable": "Texterkennung nicht verfügbar",
    "internal_error": "Interner Fehler",
}
UPLOAD_STATUS: dict[type[Exception], int] = {
    FileTooLargeError: 413,
    InvalidRequestError: 400,
    ReindexRunningError: 409,
}
UPLOAD_ERRORS: dict[type[Exception], str] = {
    FileTooLargeError: "Die Sendung ist zu groß oder hat zu viele Dateien. "
    "Bitte laden Sie die Dateien in kleineren Gruppen hoch.",
    InvalidRequestError: "Die Sendung war unvollständig. Bitte wählen Sie die Dateien erneut aus.",
}


def upload_form(
    request: Request,
    visitor: Visitor,
    jobs: IngestJobs,
    form: MetadataForm,
    *,
    status_code: int = 200,
    held: tuple[str, list[str]] | None = None,
) -> HTMLResponse:
    """The upload page: the form (with what was typed and kept) and the latest jobs."""
    return render_office(
        request,
        "verwaltung/hochladen.html",
        visitor,
        status_code=status_code,
        form=form,
        kinds=kind_options(blank="Nicht angegeben (Sonstiges)"),
        visibilities=visibility_options(),
        held=held,
        jobs=[job_view(job) for job in jobs.list_jobs(limit=RECENT_JOBS)],
        csrf_field=CSRF_FIELD,
    )


@upload_pages.get("/verwaltung/hochladen")
def show_upload(request: Request, visitor: OfficeDep) -> HTMLResponse:
    """The upload form and the latest upload jobs."""
    return upload_form(request, visitor, get_ingest_jobs(request), MetadataForm())


@upload_pages.post("/verwaltung/hochladen")
async def upload_from_form(request: Request, context: ContextDep, visitor: VisitorDep) -> Response:
    """Store the files and queue their job (as `POST /v1/documents`), then to its status page."""
    try:
        check_origin(request, context.settings.server.cors_origins)
    except ForbiddenError as exc:
        raise FormRefusedError(visitor) from exc
    require(visitor, request, admin=False)
    jobs = get_ingest_jobs(request)
    job_id = new_job_id()
    folder = jobs.uploads_dir / job_id
    try:
        context.registry.index_state.refuse_during_reindex()
        upload = await receive_upload(request, context.settings, folder)
    except (FileTooLargeError, InvalidRequestError, ReindexRunningError) as exc:
        form = MetadataForm()
        known = [text for kind, text in UPLOAD_ERRORS.items() if isinstance(exc, kind)]
        form.errors["files"] = known[0] if known else german_error(exc)
        status = next(code for kind, code in UPLOAD_STATUS.items() if isinstance(exc, kind))
        return upload_form(request, visitor, jobs, form, status_code=status)
    submitted = upload.fields.get(CSRF_FIELD, "")
    if not visitor.csrf_token or not hmac.compare_digest(submitted, visitor.csrf_token):
        shutil.rmtree(folder, ignore_errors=True)
        raise FormRefusedError(visitor)
    discard_stale_held(jobs)
    files = [item for item in upload.files if not unchosen(item)]
    held = upload.fields.get("held", "")
    if files:
        discard_held(jobs, held)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        if held_folder(jobs, held) is not None:
            job_id, folder, files = held, jobs.uploads_dir / held, held_files(jobs, held)
    form = MetadataForm.from_fields(upload.fields)
    metadata = form.metadata(title_required=False)
    if not files:
        form.errors["files"] = "Bitte wählen Sie mindestens eine Datei aus."
    if not form.errors:
        try:
            metadata = validate_metadata(metadata, "metadata").model_dump(
                mode="json", exclude_unset=True
            )
        except MetadataError:
            form.errors["title"] = "Die Angaben passen nicht zusammen. Bitte prüfen Sie sie."
    if form.errors:
        kept = (job_id, [item.name for item in files if item.accepted]) if files else None
        if kept and not kept[1]:
            shutil.rmtree(folder, ignore_errors=True)
            kept = None
        return upload_form(request, visitor, jobs, form, status_code=400, held=kept)
    stored = job_files(ReceivedUpload(files=files), context.settings, metadata, None)
    submit_upload(jobs, job_id, principal_actor(visitor.principal), metadata, stored)
    return done(f"/verwaltung/auftraege/{job_id}", "hochgeladen")


def unchosen(item: ReceivedFile) -> bool:
    """The empty part a browser sends when no file was chosen."""
    return item.name == NO_FILE_NAME and item.size == 0 and not item.accepted


def held_folder(jobs: IngestJobs, job_id: str) -> Path | None:
    """The folder of files kept after a form error, if `job_id` names one (and no job)."""
    if not JOB_ID.match(job_id) or jobs.get(job_id) is not None:
        return None
    folder = jobs.uploads_dir / job_id
    return folder if folder.is_dir() else None


def held_files(jobs: IngestJobs, job_id: str) -> list[ReceivedFile]:
    """The files kept in a held folder (`<n>/<name>`, in the order they were sent)."""
    folder = jobs.uploads_dir / job_id
    found = [path for path in folder.glob("*/*") if not path.name.endswith(".meta.yaml")]
    found.sort(key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)
    return [ReceivedFile(name=path.name, path=path, size=path.stat().st_size) for path in found]


def discard_held(jobs: IngestJobs, job_id: str) -> None:
    """Remove the files kept from an earlier attempt (new files replace them)."""
    folder = held_folder(jobs, job_id)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def discard_stale_held(jobs: IngestJobs) -> None:
    """Remove files kept after a form error that nobody sent again within `HELD_SECONDS`."""
    if not jobs.uploads_dir.is_dir():
        return
    cutoff = time.time() - HELD_SECONDS
    for folder in jobs.uploads_dir.iterdir():
        if folder.stat().st_mtime < cutoff and held_folder(jobs, folder.name) is not None:
            shutil.rmtree(folder, ignore_errors=True)


def job_view(job: IngestJob) -> dict[str, Any]:
    """What the pages show of a job: state, counts, and per file its rows."""
    rows = [row for item in job.files for row in file_rows(job, item)]
    finished = job.state not in ("queued", "running")
    processed = sum(item.status == "rejected" or item.entries is not None for item in job.files)
    return {
        "job_id": job.job_id,
        "state": JOB_STATES.get(job.state, job.state),
        "finished": finished,
        "failed": job.state in ("failed", "interrupted"),
        "error": job.error,
        "created_at": job.created_at,
        "files": len(job.files),
        "processed": processed,
        "indexed": sum(row["indexed"] for row in rows),
        "problems": sum(row["problem"] for row in rows),
        "rows": rows,
    }


def file_rows(job: IngestJob, item: JobFile) -> list[dict[str, Any]]:
    """One row per report entry of the file (one while it waits or when it was rejected)."""
    if item.status == "rejected":
        return [row(item.name, "Abgelehnt", item.code, item.reason, problem=True)]
    if item.entries is None:
        state = "Wird aufgenommen" if job.state == "running" else "Wartet"
        if job.state in ("failed", "interrupted"):
            state = "Nicht aufgenommen"
        return [row(item.name, state, None, None, problem=job.state != "running")]
    return [
        row(
            str(entry.get("source") or item.name),
            ENTRY_STATES.get(str(entry.get("status")), str(entry.get("status"))),
            entry.get("code"),
            entry.get("reason"),
            document_id=entry.get("document_id"),
            indexed=entry.get("status") == "indexed",
            problem=entry.get("status") == "skipped",
        )
        for entry in item.entries
    ]


def row(
    name: str,
    state: str,
    code: str | None,
    reason: str | None,
    *,
    document_id: str | None = None,
    indexed: bool = False,
    problem: bool = False,
) -> dict[str, Any]:
    """One line of the job table."""
    label = REASON_LABELS.get(code or "", code or "")
    return {
        "name": name,
        "state": state,
        "reason_label": label,
        "reason": reason,
        "document_id": document_id,
        "indexed": indexed,
        "problem": problem,
    }


@upload_pages.get("/verwaltung/auftraege/{job_id}")
def show_job(request: Request, job_id: str, visitor: OfficeDep) -> HTMLResponse:
    """One upload job: its state and each file's fate; refreshed while it runs."""
    job = get_ingest_jobs(request).get(job_id) if JOB_ID.match(job_id) else None
    if job is None:
        return render_page(request, "not_found.html", visitor, status_code=404)
    return render_office(
        request, "verwaltung/auftrag.html", visitor, job=job_view(job), poll_seconds=POLL_SECONDS
    )
