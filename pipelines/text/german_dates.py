"""Dates written in German in a document's text: "14. Mai 2019", "14.05.2019", "Mai 2019"."""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
}
_MONTH = "|".join(MONTHS)
DAY_MONTH_NAME_YEAR = re.compile(rf"\b(\d{{1,2}})\.\s*({_MONTH})\s+(\d{{4}})\b", re.IGNORECASE)
DAY_MONTH_YEAR = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d])")
ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
MONTH_NAME_YEAR = re.compile(rf"\b({_MONTH})\s+(\d{{4}})\b", re.IGNORECASE)
YEARS = range(1990, 2101)


def _day(year: str, month: int, day: str) -> str | None:
    try:
        value = dt.date(int(year), month, int(day))
    except ValueError:
        return None
    return value.isoformat() if value.year in YEARS else None


def find_dates(text: str) -> set[str]:
    """Distinct dates in `text`, as `YYYY-MM-DD`, or `YYYY-MM` for a month without a day."""
    days: set[str | None] = set()
    for match in DAY_MONTH_NAME_YEAR.finditer(text):
        days.add(_day(match.group(3), MONTHS[match.group(2).lower()], match.group(1)))
    for match in DAY_MONTH_YEAR.finditer(text):
        days.add(_day(match.group(3), int(match.group(2)), match.group(1)))
    for match in ISO_DATE.finditer(text):
        days.add(_day(match.group(1), int(match.group(2)), match.group(3)))
    without_days = DAY_MONTH_NAME_YEAR.sub(" ", text)
    months = {
        f"{int(match.group(2)):04d}-{MONTHS[match.group(1).lower()]:02d}"
        for match in MONTH_NAME_YEAR.finditer(without_days)
        if int(match.group(2)) in YEARS
    }
    found = {day for day in days if day}
    # "Mai 2019" beside "14. Mai 2019" names the same date, not a second one.
    return found | {month for month in months if not any(d.startswith(month) for d in found)}


def unambiguous_date(text: str) -> dt.date | None:
    """The one date `text` names, or None when it names none or several."""
    dates = find_dates(text)
    if len(dates) != 1:
        return None
    (value,) = dates
    return dt.date.fromisoformat(value if len(value) == 10 else f"{value}-01")
