"""The web UI's pure parts: quote marks from offsets, escaping, highlighting, URL state."""

from __future__ import annotations

from search_service.document_schemas import DocumentSummary
from search_service.ui_reading import (
    QuoteSpan,
    citation_href,
    marked_ranges,
    page_quote,
    render_page_text,
    requested_ranges,
)
from search_service.ui_rings import group_by_year_and_kind
from search_service.ui_routes import local_path
from search_service.ui_views import (
    SearchForm,
    answer_markup,
    filter_chips,
    highlight,
    pagination,
)

PAGES = ["Erste Seite endet hier.", "", "Zweite Textseite.", "Dritte Seite mit Schluss."]


def test_a_quote_on_one_page_marks_exactly_its_offsets() -> None:
    ranges = marked_ranges(PAGES, QuoteSpan(1, 6, 1, 11))
    assert ranges == {1: (6, 11)}
    assert PAGES[0][6:11] == "Seite"


def test_a_quote_across_pages_is_marked_on_each_page() -> None:
    ranges = marked_ranges(PAGES, QuoteSpan(1, 6, 4, 6))
    assert ranges == {1: (6, len(PAGES[0])), 3: (0, len(PAGES[2])), 4: (0, 6)}


def test_offsets_outside_the_stored_text_mark_nothing() -> None:
    for span in (
        QuoteSpan(1, 5, 1, 5),  # empty
        QuoteSpan(1, 10, 1, 5),  # backwards
        QuoteSpan(1, 0, 1, len(PAGES[0]) + 1),  # past the page
        QuoteSpan(0, 0, 1, 3),  # no page 0
        QuoteSpan(5, 0, 5, 3),  # no page 5
        QuoteSpan(3, 0, 1, 3),  # ends before it starts
        QuoteSpan(1, len(PAGES[0]), 3, 2),  # starts past its first page
    ):
        assert marked_ranges(PAGES, span) == {}, span


def test_page_text_is_escaped_inside_and_around_the_mark() -> None:
    text = "<b>vor</b> Zitat <script>x</script> nach"
    html = render_page_text(text, (11, 35), anchor=True)
    assert "<script>" not in html and "<b>" not in html
    assert '<mark class="blok-zitat" id="zitat" tabindex="-1" autofocus>' in html
    assert html.count("<mark") == 1
    assert "&lt;script&gt;x&lt;/script&gt;</mark>" in html
    assert 'id="zitat"' not in render_page_text(text, (0, 3), anchor=False)


def test_highlight_marks_query_words_and_escapes_everything_else() -> None:
    html = highlight("Arbeitgebern <img src=x onerror=alert(1)> helfen", "Wie helfen Arbeitgeber?")
    assert '<mark class="blok-treffer">Arbeitgebern</mark>' in html
    assert '<mark class="blok-treffer">helfen</mark>' in html
    assert "<img" not in html and "&lt;img" in html


def test_answer_markers_link_to_their_citation_cards_only() -> None:
    html = answer_markup("„<i>Zitat</i>“ [1]; „zwei“ [2] und [7]", citation_count=2)
    assert '<a class="kern-link blok-beleg" href="#beleg-1">[1]</a>' in html
    assert 'href="#beleg-2"' in html and "#beleg-7" not in html and "[7]" in html
    assert "<i>" not in html


def test_search_state_round_trips_through_the_url() -> None:
    form = SearchForm(q="Sozialraum & Quartier", art=["protokoll"], ring=["vr3"], jahr_von=2019)
    query = "q=Sozialraum+%26+Quartier&art=protokoll&ring=vr3&jahr_von=2019&seite=2"
    assert form.url(seite=2) == f"/?{query}"
    chips = {chip.label: chip.remove_url for chip in filter_chips(form)}
    assert chips["Ring: VR 3"] == "/?q=Sozialraum+%26+Quartier&art=protokoll&jahr_von=2019"
    assert chips["Jahr ab 2019"] == "/?q=Sozialraum+%26+Quartier&art=protokoll&ring=vr3"
    filters = form.filters()
    assert filters is not None and filters.ring == ["vr3"] and filters.year_from == 2019


def test_citation_links_carry_page_and_offsets() -> None:
    assert citation_href("ab12", 3, 10, 42) == "/dokumente/ab12?seite=3&von=10&bis=42#zitat"
    assert citation_href("ab12", 3, 10, 5, end_page=4).endswith("&bis=5&bis_seite=4#zitat")


def test_redirects_stay_on_this_site() -> None:
    assert local_path("/?q=x") == "/?q=x"
    for outside in ("https://example.org/", "//example.org/", "/\\example.org", "javascript:x"):
        assert local_path(outside) == "/"


def test_pages_link_back_and_forth_only_where_results_exist() -> None:
    first = pagination(SearchForm(q="x"), has_next=True)
    assert first.previous_url is None and first.next_url == "/?q=x&seite=2"
    last = pagination(SearchForm(q="x", seite=3), has_next=False)
    assert last.previous_url == "/?q=x&seite=2" and last.next_url is None
    assert pagination(SearchForm(q="x", seite=2), has_next=False).previous_url == "/?q=x"


def test_the_page_view_looks_for_the_quote_at_its_place_among_equal_passages() -> None:
    text = "Die Quote steigt.\nDie  Quote\nsteigt. Ende."
    second = text.index("Die  Quote")
    quote = page_quote(text, (second, second + len("Die  Quote\nsteigt.")))
    assert quote is not None
    assert (quote.text, quote.occurrence, quote.occurrences) == ("DieQuotesteigt.", 1, 2)
    first = page_quote(text, (0, len("Die Quote steigt.")))
    assert first is not None and (first.occurrence, first.occurrences) == (0, 2)
    assert page_quote(text, (3, 4)) is None  # only white space: nothing to look for


def test_requested_ranges_need_page_start_and_end() -> None:
    assert requested_ranges(PAGES, {"seite": 1, "von": 6, "bis": None, "bis_seite": None}) == {}
    assert requested_ranges(PAGES, {"seite": 1, "von": 6, "bis": 11, "bis_seite": None}) == {
        1: (6, 11)
    }
    assert 4 in requested_ranges(PAGES, {"seite": 1, "von": 6, "bis": 6, "bis_seite": 4})


def summary_of(title: str, kind: str, date: str | None) -> DocumentSummary:
    """A document list entry of ring vr3."""
    year = int(date[:4]) if date else None
    return DocumentSummary(
        document_id=title,
        title=title,
        kind=kind,
        ring="vr3",
        date=date,
        year=year,
        visibility="ring:vr3",
        topics=[],
        job_centre=None,
        pages=1,
        chunks=1,
        status="indexed",
        superseded=False,
    )


def test_a_ring_lists_years_newest_first_then_kinds_then_newest_documents() -> None:
    documents = [
        summary_of("Bericht 2019", "evaluationsbericht", "2019-12-01"),
        summary_of("Protokoll Mai 2019", "protokoll", "2019-05-14"),
        summary_of("Ohne Datum", "sonstiges", None),
        summary_of("Protokoll Nov 2019", "protokoll", "2019-11-20"),
        summary_of("Folien 2021", "tagungsmaterial", "2021-03-09"),
    ]
    years = group_by_year_and_kind(documents)
    assert [group.year for group in years] == [2021, 2019, None]
    in_2019 = years[1].kinds
    assert [group.kind for group in in_2019] == ["protokoll", "evaluationsbericht"]
    titles = [d.title for d in in_2019[0].documents]
    assert titles == ["Protokoll Nov 2019", "Protokoll Mai 2019"]
