"""One document as every view shows it: the audit log, `blok documents show`, the API.

`DocumentSnapshot.of(record, paths)` reads a registry row once; each view picks its fields by
name from `values()`, so a value is computed in one place and named the same in every view.

Counts: the registry row says `page_count` and `chunk_count`; every view (the API's JSON, the
command line, the audit log) says `pages` and `chunks`, so the snapshot does too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from core.persistence.registry import DocumentRecord

# What the audit log records of a document, before and after a change.
AUDIT_FIELDS = (
    "title",
    "kind",
    "ring",
    "date",
    "job_centre",
    "topics",
    "visibility",
    "status",
    "superseded_by",
    "sha256",
    "paths",
    "chunks",
)
# What `blok documents show` and `list --json` print, in this order.
COMMAND_LINE_FIELDS = (
    "document_id",
    "title",
    "kind",
    "ring",
    "date",
    "visibility",
    "status",
    "pages",
    "chunks",
    "paths",
    "job_centre",
    "topics",
    "inferred",
    "sha256",
    "ingested_at",
)


@dataclass(frozen=True)
class DocumentSnapshot:
    """A document's registry row with its typed metadata and its paths, at one moment."""

    document_id: str
    title: str
    kind: str
    ring: str | None
    date: str | None
    year: int | None
    visibility: str
    topics: list[str]
    job_centre: str | None
    status: str
    pages: int
    chunks: int
    superseded_by: str | None
    inferred: list[str]
    sha256: str
    source_name: str
    ingested_at: str
    paths: list[str]

    @classmethod
    def of(cls, record: DocumentRecord, paths: list[str]) -> DocumentSnapshot:
        """The snapshot of `record`, found under `paths` (its first path first)."""
        metadata = record.typed_metadata
        return cls(
            document_id=record.document_id,
            title=record.title,
            kind=metadata.kind,
            ring=metadata.ring,
            date=metadata.date,
            year=metadata.year,
            visibility=metadata.visibility,
            topics=list(metadata.topics),
            job_centre=metadata.job_centre,
            status=record.status,
            pages=record.page_count,
            chunks=record.chunk_count,
            superseded_by=metadata.superseded_by,
            inferred=list(metadata.inferred),
            sha256=record.sha256,
            source_name=record.source_name,
            ingested_at=record.ingested_at,
            paths=list(paths),
        )

    def values(self, names: tuple[str, ...]) -> dict[str, Any]:
        """The named fields, in that order, as plain values."""
        every = asdict(self)
        return {name: every[name] for name in names}

    def audit_state(self) -> dict[str, Any]:
        """The state the audit log records (`AUDIT_FIELDS`)."""
        return self.values(AUDIT_FIELDS)

    def command_line_fields(self) -> dict[str, Any]:
        """What the command line shows (`COMMAND_LINE_FIELDS`)."""
        return self.values(COMMAND_LINE_FIELDS)
