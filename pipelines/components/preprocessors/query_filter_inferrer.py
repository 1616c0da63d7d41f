"""`QueryFilterInferrer`: the filters a question sets itself, beside those the caller gave."""

from __future__ import annotations

import datetime as dt
from typing import Any

from haystack import component

from core.filters import SearchFilters
from pipelines.query_filters.applied import AppliedFilter, as_search_filters
from pipelines.query_filters.inference import infer_filters
from pipelines.query_filters.known_values import FilterValueSource


@component
class QueryFilterInferrer:
    """Read ring, years, kind, job centre and topic from the question (`infer_filters`).

    `filters` passes the caller's filters through; `inferred_filters` holds what the question
    adds (None when nothing), which the retriever drops again when it leaves no candidate;
    `inferred` lists each inferred value with the words it came from.

    Args:
        known_values: The registry's documents (`known_filter_values()`), for job centres and
            topics; None infers neither.
    """

    def __init__(self, *, known_values: FilterValueSource | None = None) -> None:
        self.known_values = known_values

    @component.output_types(
        filters=SearchFilters | None,
        inferred_filters=SearchFilters | None,
        inferred=list[AppliedFilter],
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
        if infer:
            known = self.known_values.known_filter_values() if self.known_values else []
            inferred = infer_filters(
                query, filters, today=today, visible_tokens=visible_tokens, known_values=known
            )
        return {
            "filters": filters,
            "inferred_filters": as_search_filters(inferred),
            "inferred": inferred,
        }
