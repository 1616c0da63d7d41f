"""Response bodies of the office's views: the audit log, the query log, the knowledge gaps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.persistence.audit import AuditEntry
from core.persistence.query_log import KnowledgeGap, QueryLogEntry


class AuditEntryResponse(BaseModel):
    """One recorded account, API key or document action."""

    id: int
    at: str = Field(description="When (UTC, ISO 8601).")
    actor: str = Field(description="`cli:<os user>`, `account:<name>`, `api_key:<name>`, `system`.")
    action: str = Field(description="e.g. `account.create`, `api_key.revoke`, `document.delete`.")
    target: str = Field(description="Account name, API key id or document id.")
    before: dict[str, Any] | None = Field(description="State before; null: it was created.")
    after: dict[str, Any] | None = Field(description="State after; null: it was removed.")

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditEntryResponse:
        """Describe an audit entry."""
        return cls(**entry.__dict__)


class AuditLogResponse(BaseModel):
    """Audit entries, newest first."""

    entries: list[AuditEntryResponse]
    next_before_id: int | None = Field(
        description="Pass as `before_id` for the next (older) page; null: no more entries."
    )


class FeedbackEntryResponse(BaseModel):
    """Feedback on an answer; who sent it is never recorded."""

    id: int
    at: str
    helpful: bool
    comment: str | None


class QueryLogEntryResponse(BaseModel):
    """One logged search or question, with the feedback on its answer; never who asked."""

    id: int
    at: str
    endpoint: str = Field(description="`search` or `ask`.")
    query: str
    filters: dict[str, Any]
    result_count: int | None = Field(description="Passages returned (null: not recorded).")
    top_score: float | None = Field(
        description="Best dense (e5) cosine similarity of a returned passage to the question."
    )
    abstained: bool
    feedback: list[FeedbackEntryResponse]

    @classmethod
    def from_entry(cls, entry: QueryLogEntry) -> QueryLogEntryResponse:
        """Describe a query log entry."""
        feedback = [FeedbackEntryResponse(**item.__dict__) for item in entry.feedback]
        return cls(**{**entry.__dict__, "feedback": feedback})


class QueryLogResponse(BaseModel):
    """Logged searches and questions, newest first."""

    entries: list[QueryLogEntryResponse]
    next_before_id: int | None = Field(
        description="Pass as `before_id` for the next (older) page; null: no more entries."
    )


class KnowledgeGapResponse(BaseModel):
    """A question (normalised) that found nothing reliable."""

    question: str = Field(description="Casefolded, whitespace collapsed.")
    count: int = Field(description="How often it found nothing reliable.")
    last_asked: str
    abstained: int = Field(description="How many of those answers abstained.")
    not_helpful: int = Field(description="Not-helpful feedbacks on answers to this question.")

    @classmethod
    def from_gap(cls, gap: KnowledgeGap) -> KnowledgeGapResponse:
        """Describe a knowledge gap."""
        return cls(**gap.__dict__)


class GapsResponse(BaseModel):
    """Knowledge gaps, most frequent first."""

    gaps: list[KnowledgeGapResponse]
    weak_score: float = Field(description="Best passages below this counted as weak.")
