"""Responses of the upload and ingest job endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from core.persistence.ingest_jobs import IngestJob, JobFile
from ingest.report import IngestReport, ReportEntry

UPLOAD_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "One or more files (PDF, DOCX, PPTX, HTML, EML, MD, TXT).",
                    },
                    "metadata": {
                        "type": "string",
                        "description": "JSON object for all files: title, kind, ring, date, "
                        "visibility, topics, job_centre (the fields of `NAME.meta.yaml`).",
                    },
                    "source_path": {
                        "type": "string",
                        "description": "Label of the one file (e.g. its path on your machine): "
                        "a later upload with the same label replaces this version.",
                    },
                },
            }
        }
    },
}


class UploadedFileResponse(BaseModel):
    """One file of an upload: accepted for ingestion, or rejected and why."""

    name: str = Field(description="The stored (safe) file name.")
    status: Literal["accepted", "rejected"]
    code: str | None = None
    reason: str | None = None

    @classmethod
    def from_file(cls, item: JobFile) -> UploadedFileResponse:
        """The answer for one file of a job."""
        status: Literal["accepted", "rejected"] = (
            "accepted" if item.status == "accepted" else "rejected"
        )
        return cls(name=item.name, status=status, code=item.code, reason=item.reason)


class UploadResponse(BaseModel):
    """`POST /v1/documents`: the queued job and the fate of each file at the door."""

    job_id: str
    state: str
    job_url: str
    files: list[UploadedFileResponse]


class IngestEntryResponse(BaseModel):
    """What ingesting produced: one entry per document (an e-mail: body and attachments)."""

    source: str
    status: str = Field(description="`indexed`, `unchanged`, `skipped` or `duplicate`.")
    document_id: str | None = None
    pages: int = 0
    chunks: int = 0
    code: str | None = None
    reason: str | None = None
    skipped_pages: list[dict[str, Any]] = Field(default_factory=list)


class IngestJobFileResponse(UploadedFileResponse):
    """One file of a job with its report entries (None until it has been ingested)."""

    source_path: str | None = None
    entries: list[IngestEntryResponse] | None = None


class IngestJobResponse(BaseModel):
    """`GET /v1/ingest/jobs/{job_id}`: state, times, metadata, per-file report, totals."""

    job_id: str
    state: str = Field(description="`queued`, `running`, `done`, `failed` or `interrupted`.")
    actor: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    metadata: dict[str, Any]
    files: list[IngestJobFileResponse]
    summary: dict[str, Any]

    @classmethod
    def from_job(cls, job: IngestJob) -> IngestJobResponse:
        """The job as the API shows it."""
        files = []
        for item in job.files:
            entries = None
            if item.entries is not None:
                entries = [IngestEntryResponse(**entry) for entry in item.entries]
            files.append(
                IngestJobFileResponse(
                    **UploadedFileResponse.from_file(item).model_dump(),
                    source_path=item.source_path,
                    entries=entries,
                )
            )
        report = IngestReport([ReportEntry(**e) for f in job.files for e in f.entries or []])
        summary = report.summary()
        summary.pop("seconds")
        summary["rejected"] = sum(item.status == "rejected" for item in job.files)
        return cls(
            job_id=job.job_id,
            state=job.state,
            actor=job.actor,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            error=job.error,
            metadata=job.metadata,
            files=files,
            summary=summary,
        )


class IngestJobsResponse(BaseModel):
    """`GET /v1/ingest/jobs`: the newest jobs first."""

    jobs: list[IngestJobResponse]
