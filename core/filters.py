"""Metadata filters of a search, independent of the store back end.

`SearchFilters` is what callers send; `FieldMatch`, `FieldRange` and `FieldExclude` are the
neutral conditions the store adapters translate into their own filter models, so Edge and
qdrant-client filter alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from core.metadata import DocumentKind, normalize_ring


@dataclass(frozen=True)
class FieldMatch:
    """The payload field holds (or, for lists, contains) one of `values`."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FieldRange:
    """The numeric payload field lies in [`gte`, `lte`] (open where None)."""

    key: str
    gte: int | None = None
    lte: int | None = None


@dataclass(frozen=True)
class FieldExclude:
    """The payload field holds (or, for lists, contains) none of `values`."""

    key: str
    values: tuple[str, ...]


Condition = FieldMatch | FieldRange | FieldExclude


@dataclass(frozen=True)
class KnownFilterValue:
    """A job centre or topic of an indexed document, with that document's visibility.

    The registry lists them (`DocumentRepository.known_filter_values`) so a question can name
    them (`pipelines.query_filters.known_values`).
    """

    field: str  # `job_centre` or `topic`
    value: str
    visibility: str


# Bounds of one filter: a query names a few values, never a corpus (the query log keeps them).
MAX_FILTER_VALUES = 50
MAX_FILTER_VALUE_LENGTH = 200
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FILTER_VALUE_LENGTH)]
# The query log keeps at most this many values of one filter field, and how many there were.
LOGGED_FILTER_VALUES = 10


def _as_list(value: Any) -> list[Any]:
    """One text or a list of them as a list; anything else is refused (a 422 naming the field)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError("must be a text or a list of texts")


class SearchFilters(BaseModel):
    """Metadata filters; each field takes one value or a list (any of them matches)."""

    model_config = ConfigDict(extra="forbid")

    kind: list[DocumentKind] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Document kinds."
    )
    ring: list[FilterValue] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Rings, `vr3` or `VR 3`."
    )
    year_from: int | None = Field(default=None, ge=1990, le=2100, description="Earliest year.")
    year_to: int | None = Field(default=None, ge=1990, le=2100, description="Latest year.")
    topic: list[FilterValue] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Topics (any case)."
    )
    job_centre: list[FilterValue] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Job centres."
    )
    document_id: list[FilterValue] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="Document ids."
    )

    @field_validator("kind", "topic", "job_centre", "document_id", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> list[Any]:
        return _as_list(value)

    @field_validator("ring", mode="before")
    @classmethod
    def _rings(cls, value: Any) -> list[Any]:
        items = _as_list(value)
        if len(items) > MAX_FILTER_VALUES:
            return items  # refused by the length bound, without normalising a long list
        return [normalize_ring(item) if isinstance(item, str) else item for item in items]

    @model_validator(mode="after")
    def _check_years(self) -> SearchFilters:
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError("year_from must not be later than year_to")
        return self

    def log_summary(self) -> dict[str, Any]:
        """The filters that are set, as the query log keeps them (bounded).

        A field with more than `LOGGED_FILTER_VALUES` values keeps its first ones, and
        `<field>_count` says how many it had.
        """
        summary: dict[str, Any] = self.model_dump(mode="json", exclude_defaults=True)
        for name, value in list(summary.items()):
            if isinstance(value, list) and len(value) > LOGGED_FILTER_VALUES:
                summary[name] = value[:LOGGED_FILTER_VALUES]
                summary[f"{name}_count"] = len(value)
        return summary

    def conditions(self) -> list[Condition]:
        """All conditions; every one must hold."""
        result: list[Condition] = []
        pairs = (
            ("kind", [kind.value for kind in self.kind]),
            ("ring", self.ring),
            ("topic_keys", [topic.casefold() for topic in self.topic]),
            ("job_centre_key", [centre.casefold() for centre in self.job_centre]),
            ("document_id", self.document_id),
        )
        for key, values in pairs:
            if values:
                result.append(FieldMatch(key, tuple(values)))
        if self.year_from is not None or self.year_to is not None:
            result.append(FieldRange("year", self.year_from, self.year_to))
        return result
