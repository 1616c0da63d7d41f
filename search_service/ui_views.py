"""What the search page shows, built from the URL and the API's responses (no store access).

The page keeps all of its state in the query string, with German names: `q`, the filters `art`,
`ring`, `thema`, `jobcenter` (each repeatable), `jahr_von`, `jahr_bis`, and `seite`.
`SearchForm` reads and writes them and turns them into the API's `SearchFilters`; the rest
turns responses into what the templates render: facet checkboxes, removable filter chips, the
answer with its citation links, highlighted passages and the pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markupsafe import Markup, escape

from core.filters import SearchFilters
from pipelines.components.validators.generated_answer_checker import content_stems
from search_service.schemas import Facets

RESULTS_PER_PAGE = 10
KIND_LABELS = {
    "protokoll": "Protokoll",
    "evaluationsbericht": "Evaluationsbericht",
    "tagungsmaterial": "Tagungsmaterial",
    "praxisbeispiel": "Praxisbeispiel",
    "sonstiges": "Sonstiges",
}
WORD = re.compile(r"\w+")
CITATION_MARKER = re.compile(r"\[(\d{1,3})\]")


def optional_int(value: str | None) -> int | None:
    """A number from a form field; empty or not a number is None."""
    return int(value) if value and value.strip().isdigit() else None


def kind_label(kind: str) -> str:
    """The German name of a document kind."""
    return KIND_LABELS.get(kind, kind)


def ring_label(ring: str | None) -> str:
    """`vr3` → `VR 3`."""
    return f"VR {ring[2:]}" if ring and ring.startswith("vr") else (ring or "")


def date_label(date: str | None) -> str:
    """`2023-05-17` → `17.05.2023` (a year or year-month as given)."""
    if not date:
        return ""
    parts = date.split("-")
    return ".".join(reversed(parts)) if len(parts) == 3 else date


@dataclass
class SearchForm:
    """The search as the URL states it."""

    q: str = ""
    art: list[str] = field(default_factory=list)
    ring: list[str] = field(default_factory=list)
    thema: list[str] = field(default_factory=list)
    jobcenter: list[str] = field(default_factory=list)
    jahr_von: int | None = None
    jahr_bis: int | None = None
    seite: int = 1
    ableiten: bool = True  # read filters from the question (`ableiten=nein` turns it off)

    @property
    def has_filters(self) -> bool:
        """Whether any filter is set."""
        lists = self.art or self.ring or self.thema or self.jobcenter
        return bool(lists or self.jahr_von or self.jahr_bis)

    def filters(self) -> SearchFilters | None:
        """The API's filters (raises `pydantic.ValidationError` on values it refuses)."""
        if not self.has_filters:
            return None
        return SearchFilters(
            kind=self.art,  # type: ignore[arg-type]  # validated into DocumentKind
            ring=self.ring,
            topic=self.thema,
            job_centre=self.jobcenter,
            year_from=self.jahr_von,
            year_to=self.jahr_bis,
        )

    def pairs(self, *, seite: int | None = None) -> list[tuple[str, str]]:
        """The query string's pairs; `seite` only when not the first page."""
        pairs = [("q", self.q)]
        pairs += [("art", value) for value in self.art]
        pairs += [("ring", value) for value in self.ring]
        pairs += [("thema", value) for value in self.thema]
        pairs += [("jobcenter", value) for value in self.jobcenter]
        if self.jahr_von:
            pairs.append(("jahr_von", str(self.jahr_von)))
        if self.jahr_bis:
            pairs.append(("jahr_bis", str(self.jahr_bis)))
        if not self.ableiten:
            pairs.append(("ableiten", "nein"))
        page = self.seite if seite is None else seite
        if page > 1:
            pairs.append(("seite", str(page)))
        return pairs

    def url(self, *, seite: int | None = None) -> str:
        """This search's URL (on page `seite`)."""
        return "/?" + urlencode(self.pairs(seite=seite))

    def without(self, name: str, value: str | None = None) -> str:
        """The URL of this search without one filter value (first page)."""
        kept = [
            (key, item)
            for key, item in self.pairs(seite=1)
            if not (key == name and (value is None or item == value))
        ]
        return "/?" + urlencode(kept)


@dataclass(frozen=True)
class Chip:
    """An active filter and the URL that removes it."""

    label: str
    remove_url: str


def filter_chips(form: SearchForm) -> list[Chip]:
    """One chip per active filter value."""
    chips = [Chip(f"Art: {kind_label(v)}", form.without("art", v)) for v in form.art]
    chips += [Chip(f"Ring: {ring_label(v)}", form.without("ring", v)) for v in form.ring]
    chips += [Chip(f"Thema: {v}", form.without("thema", v)) for v in form.thema]
    chips += [Chip(f"Jobcenter: {v}", form.without("jobcenter", v)) for v in form.jobcenter]
    if form.jahr_von:
        chips.append(Chip(f"Jahr ab {form.jahr_von}", form.without("jahr_von")))
    if form.jahr_bis:
        chips.append(Chip(f"Jahr bis {form.jahr_bis}", form.without("jahr_bis")))
    return chips


@dataclass(frozen=True)
class FacetOption:
    """One checkbox of a facet."""

    value: str
    label: str
    count: int
    checked: bool


@dataclass(frozen=True)
class FacetGroup:
    """A facet as a group of checkboxes named `parameter`."""

    parameter: str
    legend: str
    options: list[FacetOption]


def facet_groups(facets: Facets | None, form: SearchForm) -> list[FacetGroup]:
    """Kind, ring, topic and job centre as checkboxes with counts; selected values stay listed."""
    if facets is None:
        return []
    specs = (
        ("art", "Dokumentart", facets.kind, form.art, kind_label),
        ("ring", "Vergleichsring", facets.ring, form.ring, ring_label),
        ("thema", "Thema", facets.topic, form.thema, str),
        ("jobcenter", "Jobcenter", facets.job_centre, form.jobcenter, str),
    )
    groups = []
    for parameter, legend, values, selected, label in specs:
        counted = {str(item.value): item.count for item in values}
        for value in selected:
            counted.setdefault(value, 0)
        options = [
            FacetOption(value, label(value), count, value in selected)
            for value, count in counted.items()
        ]
        if options:
            groups.append(FacetGroup(parameter, legend, options))
    return groups


def year_options(facets: Facets | None, form: SearchForm) -> list[tuple[int, int | None]]:
    """The years for the from/to selects, newest first, with their counts where known."""
    counted: dict[int, int | None] = {}
    if facets is not None:
        counted = {int(item.value): item.count for item in facets.year}
    for year in (form.jahr_von, form.jahr_bis):
        if year:
            counted.setdefault(year, None)
    return sorted(counted.items(), reverse=True)


def highlight(text: str, query: str) -> Markup:
    """The text escaped, words that begin like the query's content words in `<mark>`."""
    stems = content_stems(query)
    if not stems:
        return escape(text)
    parts: list[Markup] = []
    position = 0
    for match in WORD.finditer(text):
        word = match.group()
        if len(word) >= 4 and word.casefold()[:6] in stems:
            parts.append(escape(text[position : match.start()]))
            parts.append(Markup('<mark class="blok-treffer">%s</mark>') % word)
            position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def answer_markup(answer: str, citation_count: int) -> Markup:
    """The answer escaped, each `[n]` a link to the n-th citation card."""
    parts: list[Markup] = []
    position = 0
    for match in CITATION_MARKER.finditer(answer):
        number = int(match.group(1))
        if not 1 <= number <= citation_count:
            continue
        parts.append(escape(answer[position : match.start()]))
        parts.append(
            Markup('<a class="kern-link blok-beleg" href="#beleg-%d">[%d]</a>') % (number, number)
        )
        position = match.end()
    parts.append(escape(answer[position:]))
    return Markup("").join(parts)


@dataclass(frozen=True)
class Pagination:
    """Links to the previous and next page of results."""

    page: int
    previous_url: str | None
    next_url: str | None


def pagination(form: SearchForm, has_next: bool) -> Pagination:
    """Previous (from page 2) and next (when more results exist) links."""
    previous_url = form.url(seite=form.seite - 1) if form.seite > 1 else None
    next_url = form.url(seite=form.seite + 1) if has_next else None
    return Pagination(form.seite, previous_url, next_url)
