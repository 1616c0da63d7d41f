"""`infer_filters`: the filters a question sets itself, without those the caller set.

```
question ─┬─ find_rings ──────── ring (only rings the caller may see)
          ├─ find_years ──────── year_from / year_to ("letztes Jahr" needs today)
          │  (a year named alone is no filter: `infer_year_boost` ranks its documents higher)
          ├─ find_kinds ──────── kind
          └─ find_known_values ─ job_centre, topic (of documents the caller may see)
```

A field the caller set is never inferred. A ring the caller may not see is dropped, so the
search is exactly the one without it: the question learns nothing about that ring's documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.filters import KnownFilterValue, SearchFilters
from pipelines.query_filters.applied import AppliedFilter, given_fields
from pipelines.query_filters.kinds import find_kinds
from pipelines.query_filters.known_values import find_known_values
from pipelines.query_filters.rings import find_rings
from pipelines.query_filters.years import find_years, lone_year


def infer_filters(
    question: str,
    given: SearchFilters | None = None,
    *,
    today: dt.date | None = None,
    visible_tokens: frozenset[str] | None = None,
    known_values: Iterable[KnownFilterValue] = (),
) -> list[AppliedFilter]:
    """The filters `question` names that the caller did not set.

    Args:
        question: The question as asked.
        given: The caller's filters; their fields are left alone.
        today: The day of the request, for "letztes Jahr" (None: relative years are ignored).
        visible_tokens: The caller's access tokens (`core.access.access_tokens`; None: all).
        known_values: Job centres and topics of the indexed documents.
    """
    taken = given_fields(given)
    if {"year_from", "year_to"} & taken:
        taken |= {"year_from", "year_to"}
    found = [
        *(ring for ring in find_rings(question) if _may_see_ring(str(ring.value), visible_tokens)),
        *find_years(question, today),
        *find_kinds(question),
        *find_known_values(question, known_values, visible_tokens),
    ]
    return [item for item in found if item.field not in taken]


def infer_year_boost(
    question: str, given: SearchFilters | None = None, *, today: dt.date | None = None
) -> list[int]:
    """The years whose documents rank higher: a year the question names alone, and the next.

    Empty when the caller set a year filter or the question names a range (`find_years`).
    What happened in a year is often written up the next, so both years count.
    """
    if {"year_from", "year_to"} & given_fields(given):
        return []
    year = lone_year(question, today)
    return [] if year is None else [year, year + 1]


def _may_see_ring(ring: str, visible_tokens: frozenset[str] | None) -> bool:
    return visible_tokens is None or f"ring:{ring}" in visible_tokens
