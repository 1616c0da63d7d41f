"""The reading view's quote: which characters of which pages a citation link marks.

A citation link names the quote by its stored offsets (`?seite=N&von=START&bis=END`, offsets
into the text of page N; `bis_seite=M` when the quote ends on a later page, `bis` then counts
in page M). The marks come from these offsets alone: a span that does not fit the stored pages
marks nothing, it is never searched for or guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

QUOTE_ANCHOR = "zitat"
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class QuoteSpan:
    """A quote from (`start_page`, `start`) to (`end_page`, `end`); pages 1-based."""

    start_page: int
    start: int
    end_page: int
    end: int


def marked_ranges(pages: list[str], span: QuoteSpan) -> dict[int, tuple[int, int]]:
    """Per page number, the character range of the quote on it; empty if the span is invalid.

    A quote on one page needs `0 <= start < end <= len(page)`; a quote across pages runs from
    `start` to the end of its first page, over every page between, to `end` on its last page.
    """
    first, last = span.start_page, span.end_page
    if not 1 <= first <= last <= len(pages):
        return {}
    if first == last:
        if 0 <= span.start < span.end <= len(pages[first - 1]):
            return {first: (span.start, span.end)}
        return {}
    if not (0 <= span.start < len(pages[first - 1]) and 0 < span.end <= len(pages[last - 1])):
        return {}
    ranges = {first: (span.start, len(pages[first - 1]))}
    for page in range(first + 1, last):
        if pages[page - 1]:
            ranges[page] = (0, len(pages[page - 1]))
    ranges[last] = (0, span.end)
    return ranges


def render_page_text(text: str, marked: tuple[int, int] | None, *, anchor: bool) -> Markup:
    """The page's text escaped, the marked range (if any) in `<mark>`.

    With `anchor`, the mark is the citation's target: `id="zitat"`, focusable and focused on
    load, so the browser scrolls to it and a screen reader starts there.
    """
    if marked is None:
        return escape(text)
    start, end = marked
    attributes = Markup(' class="blok-zitat"')
    if anchor:
        attributes += Markup(f' id="{QUOTE_ANCHOR}" tabindex="-1" autofocus')
    return (
        escape(text[:start])
        + Markup("<mark")
        + attributes
        + Markup(">")
        + escape(text[start:end])
        + Markup("</mark>")
        + escape(text[end:])
    )


def citation_href(
    document_id: str, page: int, start: int, end: int, end_page: int | None = None
) -> str:
    """The reading view's link to a quote."""
    end_part = f"&bis_seite={end_page}" if end_page is not None and end_page != page else ""
    path = f"/dokumente/{quote(document_id, safe='')}"
    return f"{path}?seite={page}&von={start}&bis={end}{end_part}#{QUOTE_ANCHOR}"


@dataclass(frozen=True)
class PageQuote:
    """The part of a quote on one page, as the page view looks for it in the PDF's text layer.

    The text layer of a PDF page splits, spaces and orders text differently from the stored
    page text, so both sides compare with all white space removed (`squeezed`). The quote is
    the `occurrence`-th (0-based) of `occurrences` places where its squeezed text stands in the
    squeezed page text; the page view marks a place only when the text layer has the same
    number of them, so it never marks a different place than the stored offsets name.
    """

    text: str
    occurrence: int
    occurrences: int


def squeezed(text: str) -> str:
    """The text without any white space."""
    return SPACE.sub("", text)


def page_quote(text: str, marked: tuple[int, int]) -> PageQuote | None:
    """Where the marked range of a page's text stands among its equal passages (None: blank)."""
    start, end = marked
    needle = squeezed(text[start:end])
    if not needle:
        return None
    haystack = squeezed(text)
    target = len(squeezed(text[:start]))
    places = []
    place = haystack.find(needle)
    while place >= 0:
        places.append(place)
        place = haystack.find(needle, place + 1)
    return PageQuote(needle, places.index(target), len(places))


def requested_ranges(pages: list[str], query: dict[str, int | None]) -> dict[int, tuple[int, int]]:
    """The marked ranges a link's `seite`, `von`, `bis` and `bis_seite` name (empty: none)."""
    start_page, start, end = query.get("seite"), query.get("von"), query.get("bis")
    if not start_page or start is None or end is None:
        return {}
    end_page = query.get("bis_seite") or start_page
    return marked_ranges(pages, QuoteSpan(start_page, start, end_page, end))


def quote_query(query: dict[str, int | None]) -> list[tuple[str, str]]:
    """The pairs of a link to the same quote: `seite`, `von`, `bis`, `bis_seite` as given."""
    return [(name, str(value)) for name, value in query.items() if value is not None]
