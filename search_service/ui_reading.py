"""The reading view's quote: which characters of which pages a citation link marks.

A citation link names the quote by its stored offsets (`?seite=N&von=START&bis=END`, offsets
into the text of page N; `bis_seite=M` when the quote ends on a later page, `bis` then counts
in page M). The marks come from these offsets alone: a span that does not fit the stored pages
marks nothing, it is never searched for or guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

QUOTE_ANCHOR = "zitat"


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
