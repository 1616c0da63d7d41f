"""Rings named in a question: "VR 3", "Vergleichsring 3", "Ring 3", "im dritten Vergleichsring"."""

from __future__ import annotations

import re

from pipelines.query_filters.applied import AppliedFilter

ORDINALS = {
    "erst": 1,
    "zweit": 2,
    "dritt": 3,
    "viert": 4,
    "fünft": 5,
    "sechst": 6,
    "siebt": 7,
    "siebent": 7,
    "acht": 8,
    "neunt": 9,
    "zehnt": 10,
    "elft": 11,
    "zwölft": 12,
}
_RING_WORD = r"(?:Vergleichs)?[Rr]ing(?:e|en|es|s)?"
# "VR 3", "VR3", "Vergleichsring 3", "Vergleichsrings 3", "Ring 3", "Ring Nr. 3";
# ASCII digits only, like `core.metadata.normalize_ring`.
NUMBERED = re.compile(
    rf"(?<!\w)(?:VR|vr|Vr|{_RING_WORD})\s*(?:Nr\.\s*)?([0-9]{{1,2}})(?![0-9]|\.[0-9])"
)
# "im dritten Vergleichsring", "der 3. Vergleichsring" (not "3. Sitzung des Vergleichsrings").
ORDINAL = re.compile(
    rf"(?<!\w)(?:({'|'.join(ORDINALS)})(?:e|en|er|es|em)|([0-9]{{1,2}})\.)\s*{_RING_WORD}(?!\w)",
    re.IGNORECASE,
)
# "Ringe 3 und 5", "VR 3, 5 und 7": further numbers after a numbered ring.
MORE_NUMBERS = re.compile(r"\s*(?:,|und|oder|sowie)\s*([0-9]{1,2})(?![0-9])")


def find_rings(question: str) -> list[AppliedFilter]:
    """The rings the question names, in order, each with the words it was read from."""
    found: list[tuple[int, AppliedFilter]] = []
    for match in NUMBERED.finditer(question):
        found += _ring(match.start(), int(match.group(1)), match.group())
        position = match.end()
        while more := MORE_NUMBERS.match(question, position):
            found += _ring(more.start(1), int(more.group(1)), more.group(1))
            position = more.end()
    for match in ORDINAL.finditer(question):
        word, digits = match.group(1), match.group(2)
        number = ORDINALS[word.lower()] if word else int(digits)
        found += _ring(match.start(), number, match.group())
    seen: set[str | int] = set()
    unique = []
    for _, item in sorted(found, key=lambda pair: pair[0]):
        if item.value not in seen:
            seen.add(item.value)
            unique.append(item)
    return unique


def _ring(position: int, number: int, text: str) -> list[tuple[int, AppliedFilter]]:
    if not 1 <= number <= 99:
        return []
    return [(position, AppliedFilter("ring", f"vr{number}", source_text=text.strip()))]
