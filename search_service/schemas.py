"""Request and response bodies of the JSON API (also printed by `blok search --json`)."""

from __future__ import annotations

from typing import Any

from haystack import Document
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.filters import SearchFilters


class SearchRequest(BaseModel):
    """A search: German question or keywords, how many results, metadata filters."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000, description="The question or keywords.")
    top_k: int | None = Field(default=None, ge=1, description="Number of results.")
    filters: SearchFilters | None = Field(default=None, description="Metadata filters.")

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must contain text")
        return value.strip()


class SearchResult(BaseModel):
    """One passage: where it stands (document, page, section, offsets) and what it says."""

    chunk_id: str
    document_id: str
    title: str
    source_name: str
    kind: str
    ring: str | None
    date: str | None
    page: int
    section: str
    text: str
    start_offset: int
    end_offset: int
    score: float

    @classmethod
    def from_document(cls, document: Document) -> SearchResult:
        """Build a result from a retrieved chunk."""
        meta: dict[str, Any] = document.meta
        return cls(
            chunk_id=document.id,
            document_id=meta["document_id"],
            title=meta.get("title") or meta.get("source_name", ""),
            source_name=meta.get("source_name", ""),
            kind=meta.get("kind", "sonstiges"),
            ring=meta.get("ring"),
            date=meta.get("date"),
            page=int(meta.get("page_start", meta.get("page", 1))),
            section=meta.get("section", ""),
            text=document.content or "",
            start_offset=int(meta.get("start_offset", 0)),
            end_offset=int(meta.get("end_offset", 0)),
            score=round(float(document.score or 0.0), 6),
        )


class SearchResponse(BaseModel):
    """Results, best first."""

    results: list[SearchResult]


class ErrorDetail(BaseModel):
    """One problem with a request (for validation errors: where and what)."""

    field: str | None = None
    message: str


class ErrorInfo(BaseModel):
    """The error: stable code, human message, details."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorInfo


class HealthResponse(BaseModel):
    """The process is alive."""

    status: str


class ReadyResponse(BaseModel):
    """The service can answer searches."""

    status: str
    documents: int
    chunks: int
