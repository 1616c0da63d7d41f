"""The query log, feedback on answers, and the knowledge gaps drawn from both.

One row per search or question asked through the API: the question, its filters, how many
passages came back, the best passage's dense similarity to the question, and whether the answer
abstained. Never who asked: no account, key, token or address is stored. Feedback on an answer
(`helpful`, an optional comment) refers to the query log row of its question.

Knowledge gaps are the questions that abstained, found nothing, or whose best passage was weak,
grouped by their normalised wording (casefolded, whitespace collapsed). The log is their one
source: rows of the former `knowledge_gaps` table were moved into it by migration 1
(`core.persistence.schema`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from haystack import Document

from core.errors import NotFoundError
from core.persistence.connection import Repository, utc_now_text
from core.persistence.schema import normalize_question

Endpoint = Literal["search", "ask"]
GAPS_QUERY = """
WITH weak AS (
    SELECT * FROM query_log WHERE abstained = 1 OR result_count = 0 OR top_score < ?
)
SELECT weak.normalized_query AS question,
       COUNT(*) AS count,
       MAX(weak.at) AS last_asked,
       SUM(weak.abstained) AS abstained,
       (SELECT COUNT(*) FROM feedback JOIN query_log AS asked ON asked.id = feedback.answer_id
        WHERE asked.normalized_query = weak.normalized_query AND feedback.helpful = 0)
           AS not_helpful
FROM weak
GROUP BY weak.normalized_query
ORDER BY count DESC, last_asked DESC, question
LIMIT ?
"""
MAX_PAGE = 500


def best_dense_score(passages: list[Document]) -> float | None:
    """The highest dense (e5) cosine similarity of a retrieved passage to the question."""
    scores = [
        float(score)
        for passage in passages
        if (score := passage.meta.get("retrieval_scores", {}).get("dense")) is not None
    ]
    return round(max(scores), 6) if scores else None


@dataclass(frozen=True)
class Feedback:
    """Whether an answer helped, with an optional comment (no identity of the sender)."""

    id: int
    at: str
    helpful: bool
    comment: str | None


@dataclass(frozen=True)
class QueryLogEntry:
    """One logged search or question (no identity of the caller), with feedback on its answer."""

    id: int
    at: str
    endpoint: str
    query: str
    filters: dict[str, Any]
    result_count: int | None
    top_score: float | None
    abstained: bool
    feedback: tuple[Feedback, ...] = ()


@dataclass(frozen=True)
class KnowledgeGap:
    """A question, normalised, that found nothing reliable, with how often and when it came."""

    question: str
    count: int
    last_asked: str
    abstained: int
    not_helpful: int


class QueryLog(Repository):
    """The query log and feedback tables."""

    def record(
        self,
        endpoint: Endpoint,
        query: str,
        filters: dict[str, Any],
        *,
        result_count: int,
        top_score: float | None,
        abstained: bool = False,
    ) -> int:
        """Log one search or question; returns its id (an answer's `answer_id`)."""
        row = (
            utc_now_text(),
            endpoint,
            query,
            normalize_question(query),
            json.dumps(filters, ensure_ascii=False, sort_keys=True),
            result_count,
            top_score,
            int(abstained),
        )
        rows = self._rows(
            "INSERT INTO query_log (at, endpoint, query, normalized_query, filters, "
            "result_count, top_score, abstained) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            row,
        )
        return int(rows[0]["id"])

    def entries(self, *, limit: int = 50, before_id: int | None = None) -> list[QueryLogEntry]:
        """Logged searches and questions, newest first; `before_id` pages on to older ones."""
        limit = max(1, min(limit, MAX_PAGE))
        rows = self._rows(
            "SELECT * FROM query_log WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**63 - 1, limit),
        )
        feedback = self._feedback_between(rows[-1]["id"], rows[0]["id"]) if rows else {}
        return [
            QueryLogEntry(
                id=int(row["id"]),
                at=str(row["at"]),
                endpoint=str(row["endpoint"]),
                query=str(row["query"]),
                filters=json.loads(row["filters"]),
                result_count=row["result_count"],
                top_score=row["top_score"],
                abstained=bool(row["abstained"]),
                feedback=tuple(feedback.get(int(row["id"]), [])),
            )
            for row in rows
        ]

    def _feedback_between(self, first_id: int, last_id: int) -> dict[int, list[Feedback]]:
        """Feedback on the answers with ids from `first_id` to `last_id`, by answer."""
        found: dict[int, list[Feedback]] = {}
        for row in self._rows(
            "SELECT * FROM feedback WHERE answer_id BETWEEN ? AND ? ORDER BY id",
            (first_id, last_id),
        ):
            found.setdefault(int(row["answer_id"]), []).append(
                Feedback(int(row["id"]), str(row["at"]), bool(row["helpful"]), row["comment"])
            )
        return found

    def add_feedback(self, answer_id: int, *, helpful: bool, comment: str | None = None) -> int:
        """Store feedback on an answer; returns the feedback's id.

        Raises:
            NotFoundError: no answer (a logged question of `/v1/ask`) has this id.
        """
        known = "SELECT 1 FROM query_log WHERE id = ? AND endpoint = 'ask'"
        if not self._rows(known, (answer_id,)):
            raise NotFoundError(f"No answer with id {answer_id}.")
        rows = self._rows(
            "INSERT INTO feedback (answer_id, at, helpful, comment) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            (answer_id, utc_now_text(), int(helpful), comment),
        )
        return int(rows[0]["id"])

    def feedback(self, answer_id: int) -> list[Feedback]:
        """The feedback on one answer, oldest first."""
        return self._feedback_between(answer_id, answer_id).get(answer_id, [])

    def gaps(self, *, weak_score: float, limit: int = 50) -> list[KnowledgeGap]:
        """Questions that abstained, found nothing or only passages below `weak_score`.

        Grouped by normalised wording, most frequent first (then most recently asked), each
        with the number of not-helpful feedbacks on answers to the same question.
        """
        limit = max(1, min(limit, MAX_PAGE))
        rows = self._rows(GAPS_QUERY, (weak_score, limit))
        return [
            KnowledgeGap(
                question=str(row["question"]),
                count=int(row["count"]),
                last_asked=str(row["last_asked"]),
                abstained=int(row["abstained"]),
                not_helpful=int(row["not_helpful"]),
            )
            for row in rows
        ]

    def delete_before(self, cutoff: str) -> int:
        """Delete the entries logged before `cutoff` with their feedback; returns how many."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM feedback WHERE answer_id IN (SELECT id FROM query_log WHERE at < ?)",
                (cutoff,),
            )
            return db.execute("DELETE FROM query_log WHERE at < ?", (cutoff,)).rowcount
