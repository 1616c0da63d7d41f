"""Years and ranges of years in a question: "2019", "seit 2020", "zwischen 2019 und 2021",
"letztes Jahr" (relative to the day of the request).

A year named alone ("Was hat VR 3 2019 vereinbart?") is no filter: `lone_year` returns it and
the retriever ranks documents of that year (and the next, when it is often written up) higher
instead, so a relevant document of another year is still found. Ranges, bounds ("seit 2020"),
dates and relative years are filters.

A four-digit number from 1990 to 2100 is a year unless a unit follows ("2000 Euro", "2019
Teilnehmende") or it is part of a larger number or a section ("§ 2019", "2.019").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipelines.query_filters.applied import AppliedFilter

YEAR = r"(?:199[0-9]|20[0-9][0-9]|2100)"
_NOT_A_YEAR_AFTER = (
    r"(?!\s*(?:€|%|euro|eur\b|prozent|personen|menschen|teilnehmend|fälle|stellen|plätze|"
    r"mitarbeit|beschäftigt|leistungsberechtigt|kund|bedarfsgemeinschaft|stunden|minuten|"
    r"km|kilometer|mal\b|haushalt))"
)
_BARE = rf"(?<![\w§.,/-])(?<!§ )(?<!Nr\. )({YEAR})(?![\w.,]?\d){_NOT_A_YEAR_AFTER}"
BETWEEN = re.compile(
    rf"(?:zwischen|von)\s+(?:(?:dem\s+)?jahr\s+)?{_BARE}\s+(?:und|bis(?:\s+zum)?|bis\s+einschließlich)"
    rf"\s+(?:(?:dem\s+)?jahr\s+)?{_BARE}|{_BARE}\s*(?:–|-|bis)\s*{_BARE}",
    re.IGNORECASE,
)
SINCE = re.compile(rf"(?:seit|ab)\s+(?:(?:dem\s+)?jahr\s+)?{_BARE}", re.IGNORECASE)
AFTER = re.compile(rf"nach\s+(?:dem\s+jahr\s+)?{_BARE}", re.IGNORECASE)
UNTIL = re.compile(rf"bis\s+(?:(?:zum|einschließlich)\s+)?(?:jahr\s+)?{_BARE}", re.IGNORECASE)
BEFORE = re.compile(rf"vor\s+(?:dem\s+jahr\s+)?{_BARE}", re.IGNORECASE)
SINGLE = re.compile(_BARE, re.IGNORECASE)
DATE = re.compile(rf"(?<![\d.])[0-9]{{1,2}}\.[0-9]{{1,2}}\.({YEAR})(?!\d)")

_NUMBER_WORDS = {"zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "zehn": 10}
LAST_YEARS = re.compile(
    rf"(?:in\s+den\s+)?(?:letzten|vergangenen)\s+([0-9]{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s+jahren?",
    re.IGNORECASE,
)
# Relative years: offset from the current year.
RELATIVE = (
    (re.compile(r"(?:seit\s+)?(?:dem\s+)?vorletzte[mnrs]?\s+jahr(?:es)?", re.IGNORECASE), -2),
    (
        re.compile(
            r"(?:seit\s+)?(?:im\s+|dem\s+)?(?:letzte[mnrs]?|vergangene[mnrs]?)\s+jahr(?:es)?|vorjahr(?:es)?",
            re.IGNORECASE,
        ),
        -1,
    ),
    (
        re.compile(
            r"(?:in\s+)?(?:diese[mns]?|de[mn]\s+laufenden|laufende[mns]?|de[mn]\s+aktuellen|aktuelle[mns]?)"
            r"\s+jahr(?:es)?|heuer",
            re.IGNORECASE,
        ),
        0,
    ),
)


@dataclass(frozen=True)
class YearRange:
    """Earliest and latest year (open where None) and the words they were read from."""

    year_from: int | None
    year_to: int | None
    source_text: str
    bare: bool = False

    def filters(self) -> list[AppliedFilter]:
        """The range as `year_from` / `year_to` filters."""
        found = []
        if self.year_from is not None:
            found.append(AppliedFilter("year_from", self.year_from, source_text=self.source_text))
        if self.year_to is not None:
            found.append(AppliedFilter("year_to", self.year_to, source_text=self.source_text))
        return found


def find_years(question: str, today: dt.date | None = None) -> list[AppliedFilter]:
    """The years the question limits itself to, as `year_from`/`year_to` filters.

    Relative phrases ("letztes Jahr", "in den letzten drei Jahren") count only with `today`.
    Several years or ranges are joined into one range from the earliest to the latest.
    """
    ranges = _ranges(question, today)
    if not ranges or _lone(ranges) is not None:
        return []
    starts = [r.year_from for r in ranges]
    ends = [r.year_to for r in ranges]
    year_from = None if None in starts else min(y for y in starts if y is not None)
    year_to = None if None in ends else max(y for y in ends if y is not None)
    if year_from is not None and year_to is not None and year_from > year_to:
        return []  # "vor 2019 ... seit 2021": contradictory, so no year filter
    source = " … ".join(r.source_text for r in ranges)
    return YearRange(year_from, year_to, source).filters()


def lone_year(question: str, today: dt.date | None = None) -> int | None:
    """The year when the question names one year alone and no other year or range, else None.

    "Was hat VR 3 2019 vereinbart?" → 2019; "zwischen 2019 und 2021", "seit 2020", "am
    14.05.2019", "2019 und 2021" → None (those are `find_years`' filters).
    """
    return _lone(_ranges(question, today))


def _lone(ranges: list[YearRange]) -> int | None:
    years = {r.year_from for r in ranges if r.bare}
    if len(years) == 1 and all(r.bare for r in ranges):
        return years.pop()
    return None


def _ranges(question: str, today: dt.date | None) -> list[YearRange]:
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, YearRange]] = []

    def take(
        match: re.Match[str], year_from: int | None, year_to: int | None, bare: bool = False
    ) -> None:
        span = match.span()
        if any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        found.append((span[0], YearRange(year_from, year_to, match.group().strip(), bare)))

    for match in BETWEEN.finditer(question):
        years = sorted(int(y) for y in match.groups() if y)
        take(match, years[0], years[-1])
    for pattern, kind in ((SINCE, "from"), (AFTER, "after"), (UNTIL, "to"), (BEFORE, "before")):
        for match in pattern.finditer(question):
            year = int(match.group(1))
            bounds = {
                "from": (year, None),
                "after": (year + 1, None),
                "to": (None, year),
                "before": (None, year - 1),
            }[kind]
            take(match, *bounds)
    for match in DATE.finditer(question):
        take(match, int(match.group(1)), int(match.group(1)))
    for match in SINGLE.finditer(question):  # what happened in a year is often written up the next
        take(match, int(match.group(1)), int(match.group(1)) + 1, bare=True)
    if today is not None:
        for match in LAST_YEARS.finditer(question):
            count = match.group(1)
            number = int(count) if count.isdigit() else _NUMBER_WORDS[count.lower()]
            take(match, today.year - number + 1, today.year)  # this year and the ones before
        for pattern, offset in RELATIVE:
            for match in pattern.finditer(question):
                year = today.year + offset
                since = match.group().lower().startswith("seit")
                take(match, year, None if since else year)
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]
