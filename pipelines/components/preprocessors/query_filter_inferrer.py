"""`QueryFilterInferrer`: the filters a question sets itself, beside those the caller gave."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from haystack import component

from core.filters import KnownFilterValue, SearchFilters
from pipelines.query_filters.applied import AppliedFilter, as_search_filters
from pipelines.query_filters.inference import infer_filters, infer_year_boost
from pipelines.query_filters.known_values import FilterValueSource


@component
class QueryFilterInferrer:
    """Read ring, years, kind, job centre and topic from the question (`infer_filters`).

    `filters` passes the caller's filters through; `inferred_filters` holds what the question
    adds (None when nothing), which the retriever drops again when it leaves no candidate;
    `inferred` lists each inferred value with the words it came from. A year the question names
    alone is no filter: `boost_years` holds it and the next year (`infer_year_boost`), whose
    documents the retriever ranks higher.

    Args:
        known_values: The registry's documents (`known_filter_values()`), for job centres and
            topics; None infers neither.
        refresh_seconds: How long the list of job centres and topics is reused before it is
            read again (reading it scans every document: 0.6 s for 20,000 on a busy machine).
            Which of them the caller may see is decided per request from the list's
            visibilities, so a change of visibility counts after at most this long.
    """

    def __init__(
        self, *, known_values: FilterValueSource | None = None, refresh_seconds: float = 30.0
    ) -> None:
        self.known_values = known_values
        self.refresh_seconds = refresh_seconds
        self._known: list[KnownFilterValue] = []
        self._read_at: float | None = None

    @component.output_types(
        filters=SearchFilters | None,
        inferred_filters=SearchFilters | None,
        inferred=list[AppliedFilter],
        boost_years=list[int],
    )
    def run(
        self,
        query: str,
        filters: SearchFilters | None = None,
        infer: bool = True,
        visible_tokens: frozenset[str] | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Infer the question's filters (none when `infer` is off).

        Args:
            query: The question as asked.
            filters: The caller's filters; fields set there are not inferred.
            infer: Whether to infer at all (a request flag turns it off).
            visible_tokens: The caller's access tokens (`core.access.access_tokens`; None: all).
            today: The day of the request, for relative years ("letztes Jahr").
        """
        inferred: list[AppliedFilter] = []
        boost_years: list[int] = []
        if infer:
            boost_years = infer_year_boost(query, filters, today=today)
            inferred = infer_filters(
                query,
                filters,
                today=today,
                visible_tokens=visible_tokens,
                known_values=self._known_values(),
            )
        return {
            "filters": filters,
            "inferred_filters": as_search_filters(inferred),
            "inferred": inferred,
            "boost_years": boost_years,
        }

    def _known_values(self) -> list[KnownFilterValue]:
        if self.known_values is None:
            return []
        now = time.monotonic()
        if self._read_at is None or now - self._read_at > self.refresh_seconds:
            self._known = self.known_values.known_filter_values()
            self._read_at = now
        return self._known
