"""Request and response bodies of the document routes: list, detail, pages and curation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.document_snapshot import DocumentSnapshot
from core.metadata import DocumentMetadata
from core.persistence.registry import DocumentRecord

# Fields of the list entry taken from the snapshot as they are (`core.document_snapshot`).
SUMMARY_FIELDS = (
    "document_id",
    "title",
    "kind",
    "ring",
    "date",
    "year",
    "visibility",
    "topics",
    "job_centre",
    "pages",
    "chunks",
    "status",
)
# Fields the detail adds from the snapshot.
DETAIL_FIELDS = ("source_name", "inferred", "ingested_at")


class DocumentSummary(BaseModel):
    """One document as the list shows it."""

    document_id: str
    title: str
    kind: str
    ring: str | None
    date: str | None
    year: int | None
    visibility: str
    topics: list[str]
    job_centre: str | None
    pages: int
    chunks: int
    status: str = Field(description="`indexed`; the office also sees `withdrawn` documents.")
    superseded: bool = Field(description="The office marked the document as superseded.")
    superseded_by: str | None = Field(
        default=None, description="The successor's `document_id`, if the caller may see it."
    )
    superseded_by_title: str | None = Field(
        default=None, description="The successor's title, if the caller may see it."
    )

    @classmethod
    def fields_of(
        cls, snapshot: DocumentSnapshot, successor: DocumentRecord | None
    ) -> dict[str, Any]:
        """The summary's fields; `successor` only if the caller may see it."""
        return {
            **snapshot.values(SUMMARY_FIELDS),
            "superseded": bool(snapshot.superseded_by),
            "superseded_by": successor.document_id if successor else None,
            "superseded_by_title": successor.title if successor else None,
        }


class DocumentListResponse(BaseModel):
    """One page of the documents the caller may see, by title."""

    documents: list[DocumentSummary]
    total: int = Field(description="Documents matching the filters, on all pages.")
    limit: int
    offset: int


class DocumentDetail(DocumentSummary):
    """One document: the summary, its file, what was inferred, and (office only) its paths."""

    source_name: str
    file_url: str = Field(description="The original file (`GET /v1/documents/{id}/file`).")
    inferred: list[str] = Field(description="Fields inferred from the text, not given.")
    ingested_at: str
    paths: list[str] | None = Field(
        default=None, description="Where the file was found on the server (office only)."
    )


class PageResponse(BaseModel):
    """The stored text of one page (citation offsets point into it)."""

    document_id: str
    page: int
    page_count: int
    text: str


class DocumentEditRequest(DocumentMetadata):
    """Metadata fields to change; fields left out keep their value (`null` clears one).

    Values are checked like the metadata of an ingested file: `kind` one of the document kinds,
    `ring` like `vr3`, `date` as `YYYY[-MM[-DD]]`, `visibility` one of `public`, `programme`,
    `office`, `ring:<id>[,<id>]`.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str:
        if value is None or not value.strip():
            raise ValueError("title must not be empty")
        return value.strip()

    @model_validator(mode="after")
    def _something(self) -> DocumentEditRequest:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the request set, as plain JSON values."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class SupersedeRequest(BaseModel):
    """The document that takes this one's place."""

    model_config = ConfigDict(extra="forbid")

    successor_id: str = Field(min_length=1, max_length=64, description="Its `document_id`.")


class DeleteResponse(BaseModel):
    """A deleted document and the proof: no chunk of it is left in the store."""

    document_id: str
    title: str
    chunks_removed: int
    chunks_left: int
