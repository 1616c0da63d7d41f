"""Filters read from a question: each phrase finder on its own (no model, no store).

The same inference on the real store, with the access filter and the fallback, is in
`tests/search_service/test_filter_inference.py`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.filters import KnownFilterValue, SearchFilters
from pipelines.query_filters.applied import AppliedFilter, as_search_filters, given_filters
from pipelines.query_filters.inference import infer_filters, infer_year_boost
from pipelines.query_filters.kinds import find_kinds
from pipelines.query_filters.known_values import find_known_values
from pipelines.query_filters.rings import find_rings
from pipelines.query_filters.years import find_years, lone_year

TODAY = dt.date(2026, 12, 2)


def values(found: list[AppliedFilter]) -> list[tuple[str, str | int]]:
    return [(item.field, item.value) for item in found]


@pytest.mark.parametrize(
    ("question", "rings", "source"),
    [
        ("Was hat VR 3 2019 vereinbart?", ["vr3"], "VR 3"),
        ("Was hat VR3 vereinbart?", ["vr3"], "VR3"),
        ("Themen im Vergleichsring 3", ["vr3"], "Vergleichsring 3"),
        ("Protokolle aus Ring 3", ["vr3"], "Ring 3"),
        ("Was wurde im dritten Vergleichsring besprochen?", ["vr3"], "dritten Vergleichsring"),
        ("Die 3. Sitzung des Vergleichsrings 5", ["vr5"], "Vergleichsrings 5"),
        ("Was verbindet VR 3, 5 und 7?", ["vr3", "vr5", "vr7"], "VR 3"),
    ],
)
def test_rings_are_read_in_every_form(question: str, rings: list[str], source: str) -> None:
    found = find_rings(question)
    assert [item.value for item in found] == rings
    assert found[0].source_text == source
    assert all(item.field == "ring" and item.inferred for item in found)


@pytest.mark.parametrize(
    "question",
    ["Was ist ein Vergleichsring?", "Bring 3 Beispiele", "VR 100", "Ring frei", "vr٣ Protokoll"],
)
def test_no_ring_without_a_ring_number(question: str) -> None:
    assert find_rings(question) == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Was hat VR 3 2019 vereinbart?", []),  # a year alone ranks, it does not filter
        ("Was ist 2019 und 2021 passiert?", [("year_from", 2019), ("year_to", 2022)]),
        ("Protokoll vom 14.05.2019", [("year_from", 2019), ("year_to", 2019)]),
        ("Praxisbeispiele seit 2020", [("year_from", 2020)]),
        ("Tagungen ab 2021", [("year_from", 2021)]),
        ("Berichte nach 2020", [("year_from", 2021)]),
        ("Berichte vor 2020", [("year_to", 2019)]),
        ("Berichte bis 2021", [("year_to", 2021)]),
        ("zwischen 2019 und 2021", [("year_from", 2019), ("year_to", 2021)]),
        ("von 2019 bis 2021", [("year_from", 2019), ("year_to", 2021)]),
        ("Evaluation 2019–2021", [("year_from", 2019), ("year_to", 2021)]),
        ("Was wurde letztes Jahr beschlossen?", [("year_from", 2025), ("year_to", 2025)]),
        ("Was wurde im vergangenen Jahr beschlossen?", [("year_from", 2025), ("year_to", 2025)]),
        ("Was gilt seit letztem Jahr?", [("year_from", 2025)]),
        ("Tagungen in diesem Jahr", [("year_from", 2026), ("year_to", 2026)]),
        ("in den letzten drei Jahren", [("year_from", 2024), ("year_to", 2026)]),
    ],
)
def test_years_and_ranges(question: str, expected: list[tuple[str, int]]) -> None:
    assert values(find_years(question, TODAY)) == expected


@pytest.mark.parametrize(
    "question",
    ["Zuschuss über 2000 Euro", "Was regelt § 2019?", "2019 Teilnehmende", "Nr. 2020", "12019"],
)
def test_numbers_that_are_not_years(question: str) -> None:
    assert find_years(question, TODAY) == []


@pytest.mark.parametrize(
    ("question", "year", "boost"),
    [
        ("Was hat VR 3 2019 vereinbart?", 2019, [2019, 2020]),
        ("Anteil Online-Anträge Januar 2021", 2021, [2021, 2022]),
        ("Jahresthema 2023, Rückblick 2023", 2023, [2023, 2024]),
        ("zwischen 2019 und 2021", None, []),
        ("Praxisbeispiele seit 2020", None, []),
        ("Protokoll vom 14.05.2019", None, []),
        ("Was ist 2019 und 2021 passiert?", None, []),
        ("Zuschuss über 2000 Euro", None, []),
    ],
)
def test_a_year_named_alone_is_a_boost_not_a_filter(
    question: str, year: int | None, boost: list[int]
) -> None:
    assert lone_year(question, TODAY) == year
    assert infer_year_boost(question) == boost
    years = [f for f in infer_filters(question) if f.field in ("year_from", "year_to")]
    assert bool(years) != bool(boost) or question == "Zuschuss über 2000 Euro"


def test_a_year_filter_of_the_request_leaves_no_boost() -> None:
    given = SearchFilters(year_from=2018)
    assert infer_year_boost("Was hat VR 3 2019 vereinbart?", given) == []
    assert infer_year_boost("Was hat VR 3 2019 vereinbart?", SearchFilters(ring=["vr3"])) == [
        2019,
        2020,
    ]


def test_relative_years_need_the_day_of_the_request() -> None:
    assert find_years("Was wurde letztes Jahr beschlossen?", None) == []
    found = find_years("Was wurde letztes Jahr beschlossen?", dt.date(2020, 1, 1))
    assert values(found) == [("year_from", 2019), ("year_to", 2019)]
    assert found[0].source_text == "letztes Jahr"


@pytest.mark.parametrize(
    ("question", "kind", "source"),
    [
        ("Steht das im Protokoll?", "protokoll", "Protokoll"),
        ("Sitzungsprotokolle zur Digitalisierung", "protokoll", "Sitzungsprotokolle"),
        ("Gibt es Praxisbeispiele dazu?", "praxisbeispiel", "Praxisbeispiele"),
        ("Was sagt der Evaluationsbericht?", "evaluationsbericht", "Evaluationsbericht"),
        ("Was wurde auf der Tagung vorgestellt?", "tagungsmaterial", "Tagung"),
        ("Folien der Fachtagung", "tagungsmaterial", "Fachtagung"),
    ],
)
def test_document_kinds(question: str, kind: str, source: str) -> None:
    assert [(item.value, item.source_text) for item in find_kinds(question)] == [(kind, source)]


KNOWN = [
    KnownFilterValue("job_centre", "Landkreis Görlitz", "programme"),
    KnownFilterValue("job_centre", "Kreis Offenbach", "public"),
    KnownFilterValue("topic", "Geflüchtete", "public"),
    KnownFilterValue("topic", "Kennzahlen", "ring:vr3"),
]


def test_job_centres_and_topics_known_to_the_registry() -> None:
    question = "Wie begleitet Görlitz Geflüchteten, und was macht der Kreis Offenbach?"
    found = find_known_values(question, KNOWN, visible_tokens=None)
    assert [(f.field, f.value, f.source_text) for f in found] == [
        ("job_centre", "Landkreis Görlitz", "Görlitz"),
        ("topic", "Geflüchtete", "Geflüchteten"),
        ("job_centre", "Kreis Offenbach", "Kreis Offenbach"),
    ]


def test_names_of_documents_the_caller_may_not_see_are_not_matched() -> None:
    question = "Welche Kennzahlen nutzt Görlitz?"
    assert find_known_values(question, KNOWN, visible_tokens=frozenset({"public"})) == []
    reader = frozenset({"public", "programme", "ring:vr3"})
    assert values(find_known_values(question, KNOWN, visible_tokens=reader)) == [
        ("topic", "Kennzahlen"),
        ("job_centre", "Landkreis Görlitz"),
    ]


def test_rings_the_caller_may_not_see_are_not_inferred() -> None:
    question = "Was hat VR 3 2019 beschlossen?"
    anonymous = infer_filters(question, visible_tokens=frozenset({"public"}))
    assert values(anonymous) == []  # the year alone is a boost (`infer_year_boost`)
    member = infer_filters(question, visible_tokens=frozenset({"public", "ring:vr3"}))
    assert values(member)[0] == ("ring", "vr3")


def test_fields_the_caller_set_are_not_inferred() -> None:
    given = SearchFilters(ring=["vr5"], year_from=2018)
    found = infer_filters("Protokolle von VR 3 aus 2019", given)
    assert values(found) == [("kind", "protokoll")]


def test_applied_filters_round_trip_into_search_filters() -> None:
    given = SearchFilters.model_validate(
        {"kind": ["protokoll"], "ring": ["VR 3"], "year_from": 2019, "year_to": 2021}
    )
    applied = given_filters(given)
    assert values(applied) == [
        ("ring", "vr3"),
        ("year_from", 2019),
        ("year_to", 2021),
        ("kind", "protokoll"),
    ]
    assert not any(item.inferred for item in applied)
    assert as_search_filters(applied) == given
    assert as_search_filters([]) is None
