"""Upload documents through the running service and follow their ingestion (office and admin).

`POST /v1/documents` streams the files to `DATA_DIR/uploads/<job id>/<n>/<safe name>`
(`upload_receiver`), writes the request's metadata beside each as its sidecar (so the runner
resolves and infers metadata exactly as for a local file) and queues one job (`ingest_jobs`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request

from core.errors import (
    FileTooLargeError,
    InvalidRequestError,
    MetadataError,
    NotFoundError,
)
from core.names import clean_name
from core.persistence.audit import principal_actor
from core.persistence.ingest_jobs import IngestJob, JobFile
from core.settings import Settings
from core.storage import storage_error
from ingest.metadata_sources import validate_metadata
from search_service.deps import ContextDep, OfficeDep
from search_service.ingest_jobs import IngestJobs, new_job_id
from search_service.schemas import ErrorResponse
from search_service.upload_receiver import ReceivedUpload, UploadReceiver
from search_service.upload_schemas import (
    UPLOAD_REQUEST_BODY,
    IngestJobResponse,
    IngestJobsResponse,
    UploadedFileResponse,
    UploadResponse,
)

UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 413, 422, 503)
}
upload_router = APIRouter(responses=UPLOAD_ERRORS)
UPLOAD_FIELDS = ("metadata", "source_path")
MAX_SOURCE_PATH_CHARS = 1000


def get_ingest_jobs(request: Request) -> IngestJobs:
    """The job queue started with the app."""
    jobs: IngestJobs = request.app.state.ingest_jobs
    return jobs


@upload_router.post(
    "/v1/documents",
    status_code=202,
    response_model=UploadResponse,
    openapi_extra={"requestBody": UPLOAD_REQUEST_BODY},
)
async def upload_documents(
    request: Request, context: ContextDep, office: OfficeDep
) -> UploadResponse:
    """Store the files, queue their ingestion; 202 with the job id and each file's fate."""
    settings = context.settings
    # 409: the switch would lose the new documents
    context.registry.index_state.refuse_during_reindex()
    declared = request.headers.get("content-length", "")
    # 503 before anything is received: the folders cannot be written or the disk is nearly full
    context.check_storage(incoming_bytes=int(declared) if declared.isdigit() else 0)
    jobs = get_ingest_jobs(request)
    job_id = new_job_id()
    folder = jobs.uploads_dir / job_id
    upload = await receive_upload(request, settings, folder)
    try:
        metadata, source_path = upload_fields(upload)
        files = job_files(upload, settings, metadata, source_path)
    except OSError as exc:  # the sidecars could not be written: nothing is kept
        shutil.rmtree(folder, ignore_errors=True)
        raise storage_error("uploads", exc) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = submit_upload(jobs, job_id, principal_actor(office), metadata, files)
    return UploadResponse(
        job_id=job.job_id,
        state=job.state,
        job_url=f"/v1/ingest/jobs/{job.job_id}",
        files=[UploadedFileResponse.from_file(item) for item in files],
    )


async def receive_upload(request: Request, settings: Settings, folder: Path) -> ReceivedUpload:
    """Stream the request's files into `folder` (`upload_receiver`); nothing is left on failure.

    Raises:
        FileTooLargeError: the request (declared or read) or a file count is over its limit.
        InvalidRequestError: the body is not a well-formed multipart form.
    """
    limit = settings.upload.max_request_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FileTooLargeError(
            f"the request is larger than {limit / 1e6:g} MB, the limit set by "
            "BLOK_UPLOAD__MAX_REQUEST_MB"
        )
    receiver = UploadReceiver(
        folder,
        max_file_bytes=settings.ingest.max_file_bytes,
        max_files=settings.upload.max_files,
        max_request_bytes=limit,
    )
    try:
        return await receiver.receive(request.headers.get("content-type", ""), request.stream())
    except OSError as exc:  # nothing of the request is kept
        shutil.rmtree(folder, ignore_errors=True)
        raise storage_error("uploads", exc) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def submit_upload(
    jobs: IngestJobs, job_id: str, actor: str, metadata: dict[str, Any], files: list[JobFile]
) -> IngestJob:
    """Queue the job of a received upload (its folder goes when no file was accepted)."""
    if not any(item.stored for item in files):
        shutil.rmtree(jobs.uploads_dir / job_id, ignore_errors=True)
    return jobs.submit(job_id, actor, metadata, files)


def upload_fields(upload: ReceivedUpload) -> tuple[dict[str, Any], str | None]:
    """The validated metadata (only the fields given) and the optional `source_path` field.

    Raises:
        InvalidRequestError: no file, an unknown field, a `source_path` with several files.
        MetadataError: the metadata is not a JSON object or a field is invalid (422).
    """
    unknown = sorted(set(upload.fields) - set(UPLOAD_FIELDS))
    if unknown:
        raise InvalidRequestError(
            f"unknown form field '{unknown[0]}' (known: files, {', '.join(UPLOAD_FIELDS)})"
        )
    if not upload.files:
        raise InvalidRequestError("send one or more files as 'files'")
    try:
        raw = json.loads(upload.fields.get("metadata") or "{}")
    except json.JSONDecodeError as exc:
        raise MetadataError(f"metadata is not valid JSON: {exc.msg}") from exc
    if not isinstance(raw, dict):
        raise MetadataError("metadata must be a JSON object of fields to values")
    metadata = validate_metadata(raw, "metadata").model_dump(mode="json", exclude_unset=True)
    source_path = upload.fields.get("source_path")
    if source_path is not None:
        source_path = clean_name(source_path).strip()
        if len(upload.files) != 1:
            raise InvalidRequestError("source_path labels one file; send one file with it")
        if not source_path or len(source_path) > MAX_SOURCE_PATH_CHARS:
            raise InvalidRequestError(
                f"source_path must have 1 to {MAX_SOURCE_PATH_CHARS} characters"
            )
    return metadata, source_path or None


def job_files(
    upload: ReceivedUpload, settings: Settings, metadata: dict[str, Any], source_path: str | None
) -> list[JobFile]:
    """The job's files; each stored file gets the metadata as its sidecar."""
    files = []
    for received in upload.files:
        stored: str | None = None
        if received.path is not None:
            sidecar = received.path.with_name(received.path.name + ".meta.yaml")
            sidecar.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
            stored = Path(received.path).relative_to(settings.data_dir).as_posix()
        files.append(
            JobFile(
                name=received.name,
                status="accepted" if stored else "rejected",
                stored=stored,
                source_path=source_path if stored else None,
                code=received.code,
                reason=received.reason,
            )
        )
    return files


@upload_router.get("/v1/ingest/jobs", response_model=IngestJobsResponse)
def list_ingest_jobs(
    request: Request,
    office: OfficeDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Most jobs in the answer.")] = 50,
) -> IngestJobsResponse:
    """Upload jobs, newest first, each with its state and per-file report."""
    jobs = get_ingest_jobs(request).list_jobs(limit=limit)
    return IngestJobsResponse(jobs=[IngestJobResponse.from_job(job) for job in jobs])


@upload_router.get("/v1/ingest/jobs/{job_id}", response_model=IngestJobResponse)
def get_ingest_job(request: Request, office: OfficeDep, job_id: str) -> IngestJobResponse:
    """One upload job: state, times, metadata, per-file report entries and totals."""
    job = get_ingest_jobs(request).get(job_id)
    if job is None:
        raise NotFoundError("No such ingest job.")
    return IngestJobResponse.from_job(job)
