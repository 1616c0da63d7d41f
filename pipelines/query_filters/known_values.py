"""Job centres and topics of the indexed documents, found in a question by name.

The values come from the registry (`KnownFilterValue`: field, value, the document's visibility);
only values of documents the caller may see are matched, so a question never learns a name
from a document it could not read. A job centre also matches without its administrative prefix
("Görlitz" for "Landkreis Görlitz"); a topic matches as a whole word with a plural or
genitive ending ("Geflüchteten" for "Geflüchtete").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from core.filters import KnownFilterValue
from core.metadata import visibility_tokens
from pipelines.query_filters.applied import AppliedFilter

ADMINISTRATIVE_PREFIX = re.compile(
    r"^(?:kommunales\s+)?(?:jobcenter|landkreis|kreis|stadt|städteregion|region|regionalverband)"
    r"\s+",
    re.IGNORECASE,
)
ENDINGS = r"(?:s|n|en|e|es)?"
MIN_NAME_LENGTH = 4


class FilterValueSource(Protocol):
    """Where the known job centres and topics come from (the registry's documents)."""

    def known_filter_values(self) -> list[KnownFilterValue]:
        """Every (field, value, visibility) of the indexed documents."""
        ...


@dataclass(frozen=True)
class _Name:
    field: str
    value: str
    pattern: re.Pattern[str]
    tokens: frozenset[str]


@lru_cache(maxsize=4)
def _names(values: tuple[KnownFilterValue, ...]) -> list[_Name]:
    """One pattern per value (cached: the same list serves many questions)."""
    names = []
    for known in values:
        forms = {known.value.strip()}
        if known.field == "job_centre":
            forms.add(ADMINISTRATIVE_PREFIX.sub("", known.value.strip()))
        forms = {form for form in forms if len(form) >= MIN_NAME_LENGTH}
        if not forms:
            continue
        body = "|".join(
            r"[\s-]+".join(re.escape(word) for word in form.split())
            for form in sorted(forms, key=len, reverse=True)
        )
        pattern = re.compile(rf"(?<!\w)(?:{body}){ENDINGS}(?!\w)", re.IGNORECASE)
        tokens = frozenset(visibility_tokens(known.visibility))
        names.append(_Name(known.field, known.value, pattern, tokens))
    return names


def find_known_values(
    question: str,
    values: Iterable[KnownFilterValue],
    visible_tokens: frozenset[str] | None,
) -> list[AppliedFilter]:
    """Job centres and topics named in the question, of documents the caller may see.

    Args:
        question: The question.
        values: The known values (`FilterValueSource.known_filter_values`).
        visible_tokens: The caller's access tokens (`core.access.access_tokens`; None: all).
    """
    found: dict[tuple[str, str], tuple[int, AppliedFilter]] = {}
    for name in _names(tuple(values)):
        if visible_tokens is not None and visible_tokens.isdisjoint(name.tokens):
            continue
        match = name.pattern.search(question)
        key = (name.field, name.value)
        if match and key not in found:
            applied = AppliedFilter(name.field, name.value, source_text=match.group())
            found[key] = (match.start(), applied)
    return [item for _, item in sorted(found.values(), key=lambda pair: (pair[0], pair[1].field))]
