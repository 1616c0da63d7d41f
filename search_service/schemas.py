"""Request and response bodies of the JSON API (also printed by `blok search --json`)."""

from __future__ import annotations

from typing import Annotated, Any

from haystack import Document
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

from core.errors import MAX_ID
from core.filters import SearchFilters
from pipelines.components.retrievers.facets import FacetCounts
from pipelines.query_filters.applied import AppliedFilter
from pipelines.search_outcomes import AskOutcome, SearchOutcome, Successor


def _stripped_text(value: str) -> str:
    if not value.strip():
        raise ValueError("query must contain text")
    return value.strip()


QueryText = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_stripped_text)]


class SupersededFields(BaseModel):
    """Whether the passage's document was superseded, and by which one the caller may see.

    The successor's id and title are given only when the caller may read the successor; else
    `superseded` alone says so.
    """

    superseded: bool = Field(
        default=False, description="The office marked the document as superseded."
    )
    superseded_by: str | None = Field(
        default=None, description="The successor's `document_id`, if the caller may see it."
    )
    superseded_by_title: str | None = Field(
        default=None, description="The successor's title, if the caller may see it."
    )

    def name_successor(self, successor: Successor | None) -> None:
        """Name the successor the caller may see (None: leave both fields empty)."""
        if successor is not None:
            self.superseded_by = successor.document_id
            self.superseded_by_title = successor.title


INFER_FILTERS_DESCRIPTION = (
    "Read filters from the question: ring (`VR 3`, `im dritten Vergleichsring`), years (`2019`, "
    "`seit 2020`, `letztes Jahr`), document kind (`Protokoll`, `Praxisbeispiel`, …) and the job "
    "centres and topics of the documents the caller may see. Fields set in `filters` are not "
    "inferred. `false` searches with `filters` only."
)


class AppliedFilterEntry(BaseModel):
    """One filter value the search applied, given in `filters` or read from the question."""

    field: str = Field(description="The `filters` field: `ring`, `year_from`, `kind`, …")
    value: str | int = Field(description="The value, as `filters` takes it.")
    inferred: bool = Field(description="`true`: read from the question; `false`: given.")
    source_text: str | None = Field(
        default=None, description="The words of the question it was read from."
    )

    @classmethod
    def from_applied(cls, applied: AppliedFilter) -> AppliedFilterEntry:
        """Build from the searcher's applied filter."""
        return cls(
            field=applied.field,
            value=applied.value,
            inferred=applied.inferred,
            source_text=applied.source_text,
        )


class AppliedFilterFields(BaseModel):
    """Which filters a search applied, and those read from the question that left nothing."""

    applied_filters: list[AppliedFilterEntry] = Field(
        default_factory=list,
        description="Every filter value applied: the request's (`inferred: false`) and those "
        "read from the question (`inferred: true`). Repeat the request with `infer_filters: "
        "false` and the values to keep in `filters` to remove one.",
    )
    relaxed_filters: list[AppliedFilterEntry] = Field(
        default_factory=list,
        description="Filters read from the question under which nothing was found; the "
        "results come from the same search without them.",
    )
    filters_relaxed: bool = Field(
        default=False, description="`true` when `relaxed_filters` were dropped."
    )

    def name_filters(self, outcome: SearchOutcome | AskOutcome) -> None:
        """Fill the three fields from the searcher's outcome."""
        self.applied_filters = [AppliedFilterEntry.from_applied(f) for f in outcome.applied_filters]
        self.relaxed_filters = [AppliedFilterEntry.from_applied(f) for f in outcome.relaxed_filters]
        self.filters_relaxed = bool(outcome.relaxed_filters)


class SearchRequest(BaseModel):
    """A search: German question or keywords, how many results, metadata filters."""

    model_config = ConfigDict(extra="forbid")

    query: QueryText = Field(description="The question or keywords.")
    top_k: int | None = Field(default=None, ge=1, description="Number of results.")
    filters: SearchFilters | None = Field(default=None, description="Metadata filters.")
    infer_filters: StrictBool = Field(default=True, description=INFER_FILTERS_DESCRIPTION)
    facets: bool = Field(
        default=False,
        description="Also count the documents per kind, ring, year, topic and job centre among "
        "the query's candidates (under the same filters).",
    )


class SearchResult(SupersededFields):
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
    extraction: str = Field(
        default="text", description="How the page's text was obtained: `text` or `ocr`."
    )
    parent_document_id: str | None = Field(
        default=None, description="For an e-mail attachment: the mail's document."
    )

    @classmethod
    def from_document(cls, document: Document, successor: Successor | None = None) -> SearchResult:
        """Build a result from a retrieved chunk and its document's readable successor."""
        meta: dict[str, Any] = document.meta
        result = cls(
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
            extraction=meta.get("extraction", "text"),
            parent_document_id=meta.get("parent_document_id"),
            superseded=bool(meta.get("superseded_by")),
        )
        result.name_successor(successor)
        return result


class FacetValue(BaseModel):
    """One value of a facet and how many documents have it."""

    value: str | int
    count: int


class Facets(BaseModel):
    """Documents per value among the candidates of a query, most frequent first.

    Counted over every document the query's dense and BM25 candidates came from (up to
    `BLOK_RETRIEVAL__CANDIDATES` chunks each), not just the results shown, so a count is the
    number of matching documents the search considered under the request's filters.
    """

    kind: list[FacetValue]
    ring: list[FacetValue]
    year: list[FacetValue]
    topic: list[FacetValue]
    job_centre: list[FacetValue]

    @classmethod
    def from_counts(cls, counts: FacetCounts) -> Facets:
        """Build from the retriever's counts."""
        return cls.model_validate(
            {
                name: [{"value": value, "count": count} for value, count in values]
                for name, values in counts.items()
            }
        )


class SearchResponse(AppliedFilterFields):
    """Results, best first; facet counts when the request asked for them; the filters applied."""

    results: list[SearchResult]
    facets: Facets | None = None

    @classmethod
    def from_outcome(cls, outcome: SearchOutcome) -> SearchResponse:
        """Build the response from the searcher's outcome."""
        response = cls(
            results=[
                SearchResult.from_document(doc, outcome.successors.of(doc))
                for doc in outcome.documents
            ],
            facets=Facets.from_counts(outcome.facets) if outcome.facets is not None else None,
        )
        response.name_filters(outcome)
        return response


class AskRequest(BaseModel):
    """A question in plain German, optional filters, how many passages to draw on."""

    model_config = ConfigDict(extra="forbid")

    query: QueryText = Field(description="The question.")
    top_k: int | None = Field(default=None, ge=1, description="Passages to retrieve.")
    filters: SearchFilters | None = Field(default=None, description="Metadata filters.")
    infer_filters: StrictBool = Field(default=True, description=INFER_FILTERS_DESCRIPTION)


class Citation(SupersededFields):
    """One quote of the answer: `[n]` in the answer text points here."""

    n: int
    document_id: str
    title: str
    source_name: str
    kind: str
    ring: str | None
    date: str | None
    page: int
    section: str
    quote: str = Field(description="Verbatim text of the page between the offsets.")
    start_offset: int
    end_offset: int
    url: str = Field(description="Opens the original document at the cited page.")

    @classmethod
    def from_document(
        cls, n: int, document: Document, successor: Successor | None = None
    ) -> Citation:
        """Build the n-th citation from a verified sentence and its readable successor."""
        meta: dict[str, Any] = document.meta
        page = int(meta["page"])
        citation = cls(
            n=n,
            document_id=meta["document_id"],
            title=meta.get("title") or meta.get("source_name", ""),
            source_name=meta.get("source_name", ""),
            kind=meta.get("kind", "sonstiges"),
            ring=meta.get("ring"),
            date=meta.get("date"),
            page=page,
            section=meta.get("section") or "",
            quote=document.content or "",
            start_offset=int(meta["start_offset"]),
            end_offset=int(meta["end_offset"]),
            url=f"/v1/documents/{meta['document_id']}/file#page={page}",
            superseded=bool(meta.get("superseded_by")),
        )
        citation.name_successor(successor)
        return citation


class AskResponse(AppliedFilterFields):
    """A short answer of verified quotes, or an honest abstention, and the passages behind it."""

    answer: str
    citations: list[Citation]
    abstained: bool
    mode: str = Field(
        description="What produced the answer: `extractive`, `generated`, or `extractive "
        "(fallback: reason)` when generation failed or was not supported by the sources."
    )
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="How sure the answerability classifier is that the quotes answer the "
        "question (0 to 1); below the calibrated threshold the answer abstains. A client may "
        "show a weak answer (say, below 0.7) as such.",
    )
    passages: list[SearchResult]
    answer_id: int | None = Field(
        default=None,
        description="Id of this answer in the query log, for `POST /v1/feedback` (set on "
        "answers of the API).",
    )

    @classmethod
    def from_outcome(cls, outcome: AskOutcome, answer_id: int | None = None) -> AskResponse:
        """Build the response from the searcher's outcome and the query log's id."""
        successors = outcome.successors
        response = cls(
            answer=outcome.answer,
            citations=[
                Citation.from_document(n, doc, successors.of(doc))
                for n, doc in enumerate(outcome.citations, 1)
            ],
            abstained=outcome.abstained,
            mode=outcome.mode,
            confidence=round(min(1.0, max(0.0, outcome.confidence)), 3),
            passages=[
                SearchResult.from_document(doc, successors.of(doc)) for doc in outcome.passages
            ],
            answer_id=answer_id,
        )
        response.name_filters(outcome)
        return response


class FeedbackRequest(BaseModel):
    """Whether an answer helped, with an optional comment."""

    model_config = ConfigDict(extra="forbid")

    answer_id: int = Field(
        ge=1, le=MAX_ID, description="`answer_id` of the `POST /v1/ask` response."
    )
    helpful: StrictBool = Field(description="`true`: the answer helped; `false`: it did not.")
    comment: str | None = Field(default=None, max_length=2000, description="Free text.")

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class FeedbackResponse(BaseModel):
    """The stored feedback."""

    feedback_id: int
    answer_id: int
    helpful: bool


class ErrorDetail(BaseModel):
    """One problem with a request (for validation errors: where and what)."""

    field: str | None = None
    message: str


class ErrorInfo(BaseModel):
    """The error: stable code, human message, details."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str | None = Field(
        default=None,
        description="The request's id, also in the `X-Request-ID` header and the service log.",
    )


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
