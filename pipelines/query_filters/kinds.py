"""Document kinds named in a question: "Protokoll", "Praxisbeispiel", "Evaluationsbericht", …"""

from __future__ import annotations

import re

from core.metadata import DocumentKind
from pipelines.query_filters.applied import AppliedFilter

# Whole words, any case, with their plural and genitive endings.
KIND_WORDS: dict[DocumentKind, str] = {
    DocumentKind.PROTOKOLL: r"(?:sitzungs|ergebnis)?protokoll(?:e|s|en)?",
    DocumentKind.PRAXISBEISPIEL: (
        r"praxisbeispiel(?:e|s|en)?|gute[ns]?\s+praxis|good[\s-]practice|best[\s-]practice"
    ),
    DocumentKind.EVALUATIONSBERICHT: r"evaluationsbericht(?:e|s|en)?|evaluation(?:en)?",
    DocumentKind.TAGUNGSMATERIAL: (
        r"(?:fach)?tagung(?:en)?|tagungs(?:bericht|material|unterlage)\w*|konferenz(?:en)?"
    ),
}
PATTERNS = {
    kind: re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)
    for kind, words in KIND_WORDS.items()
}


def find_kinds(question: str) -> list[AppliedFilter]:
    """The document kinds the question asks for, in the order they appear."""
    found = []
    for kind, pattern in PATTERNS.items():
        match = pattern.search(question)
        if match:
            applied = AppliedFilter("kind", kind.value, source_text=match.group())
            found.append((match.start(), applied))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]
