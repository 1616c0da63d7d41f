"""`AppliedFilter`: one filter a search applied, given by the caller or read from the question."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.filters import SearchFilters

# The `SearchFilters` fields a question can set, in the order responses list them.
INFERABLE_FIELDS = ("ring", "year_from", "year_to", "kind", "job_centre", "topic")
LIST_FIELDS = frozenset({"ring", "kind", "job_centre", "topic"})


@dataclass(frozen=True)
class AppliedFilter:
    """One value of one `SearchFilters` field.

    Attributes:
        field: The `SearchFilters` field (`ring`, `year_from`, `year_to`, `kind`, `job_centre`,
            `topic`).
        value: The value as the filter holds it (`vr3`, 2019, `protokoll`, …).
        inferred: Read from the question (True) or given by the caller (False).
        source_text: The words of the question it was read from (None when given).
    """

    field: str
    value: str | int
    inferred: bool = True
    source_text: str | None = None


def given_filters(filters: SearchFilters | None) -> list[AppliedFilter]:
    """The caller's metadata filters, one entry per value, `inferred` False.

    `document_id` is left out: a list of ids is no filter to show or remove, and a response
    then never repeats the id of a document the caller may not see.
    """
    if filters is None:
        return []
    applied: list[AppliedFilter] = []
    for name in INFERABLE_FIELDS:
        value = getattr(filters, name)
        values = value if isinstance(value, list) else [] if value is None else [value]
        applied += [AppliedFilter(name, _plain(item), inferred=False) for item in values]
    return applied


def given_fields(filters: SearchFilters | None) -> set[str]:
    """The fields the caller set (a question does not override them)."""
    return {item.field for item in given_filters(filters)}


def as_search_filters(applied: Iterable[AppliedFilter]) -> SearchFilters | None:
    """The filters of `applied` as one `SearchFilters` (None when there are none)."""
    values: dict[str, Any] = {}
    for item in applied:
        if item.field in LIST_FIELDS:
            values.setdefault(item.field, []).append(item.value)
        else:
            values[item.field] = item.value
    return SearchFilters.model_validate(values) if values else None


def _plain(value: Any) -> str | int:
    return value if isinstance(value, int) else str(getattr(value, "value", value))
