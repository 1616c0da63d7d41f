"""The results page's filters read from the question: chips that remove them, the fallback note.

Removing one inferred filter repeats the search with inference off (`ableiten=nein`) and the
other inferred filters as ordinary URL filters, so what stays is visible and removable like any
filter. A job centre has no URL filter on this page, so it is not kept that way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from search_service.schemas import AppliedFilterEntry, SearchResponse
from search_service.ui_views import Chip, SearchForm, kind_label, ring_label


@dataclass(frozen=True)
class InferredFilters:
    """Chips of the inferred filters, the search without any of them, and the dropped ones.

    Attributes:
        chips: One chip per inferred value (a year range is one chip).
        without_url: The same search with inference off.
        relaxed: Labels of inferred filters that found nothing, so the search ran without them.
    """

    chips: list[Chip]
    without_url: str
    relaxed: list[str]

    def __bool__(self) -> bool:
        return bool(self.chips or self.relaxed)


def inferred_filters_view(form: SearchForm, found: SearchResponse) -> InferredFilters:
    """The inferred filters of a search as the results page shows them."""
    groups = _groups([entry for entry in found.applied_filters if entry.inferred])
    chips = []
    for index, group in enumerate(groups):
        others = [entry for number, g in enumerate(groups) if number != index for entry in g]
        chips.append(Chip(f"Aus der Frage: {_label(group)}", _url_with(form, others)))
    relaxed = [_label(group) for group in _groups(found.relaxed_filters)]
    return InferredFilters(chips, _url_with(form, []), relaxed)


def _groups(entries: list[AppliedFilterEntry]) -> list[list[AppliedFilterEntry]]:
    """One group per value; `year_from` and `year_to` read from the same words together."""
    groups: list[list[AppliedFilterEntry]] = []
    for entry in entries:
        year = entry.field in ("year_from", "year_to")
        same = [
            group
            for group in groups
            if year
            and group[0].field in ("year_from", "year_to")
            and group[0].source_text == entry.source_text
        ]
        if same:
            same[0].append(entry)
        else:
            groups.append([entry])
    return groups


def _label(group: list[AppliedFilterEntry]) -> str:
    first = group[0]
    if first.field in ("year_from", "year_to"):
        bounds = {entry.field: entry.value for entry in group}
        start, end = bounds.get("year_from"), bounds.get("year_to")
        if start is not None and start == end:
            return f"Jahr {start}"
        if start is not None and end is not None:
            return f"Jahre {start}–{end}"
        return f"Jahr ab {start}" if start is not None else f"Jahr bis {end}"
    value = str(first.value)
    labels = {
        "ring": f"Ring: {ring_label(value)}",
        "kind": f"Art: {kind_label(value)}",
        "topic": f"Thema: {value}",
        "job_centre": f"Jobcenter: {value}",
    }
    return labels.get(first.field, f"{first.field}: {value}")


def _url_with(form: SearchForm, kept: list[AppliedFilterEntry]) -> str:
    """This search on its first page with inference off and the `kept` filters in the URL."""
    rings, kinds, topics = list(form.ring), list(form.art), list(form.thema)
    targets = {"ring": rings, "kind": kinds, "topic": topics}
    year_from, year_to = form.jahr_von, form.jahr_bis
    for entry in kept:
        if entry.field in targets and str(entry.value) not in targets[entry.field]:
            targets[entry.field].append(str(entry.value))
        elif entry.field == "year_from" and isinstance(entry.value, int):
            year_from = entry.value
        elif entry.field == "year_to" and isinstance(entry.value, int):
            year_to = entry.value
    changed = replace(
        form,
        art=kinds,
        ring=rings,
        thema=topics,
        jahr_von=year_from,
        jahr_bis=year_to,
        seite=1,
        ableiten=False,
    )
    return changed.url()
