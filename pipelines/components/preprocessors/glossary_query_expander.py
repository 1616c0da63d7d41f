"""`GlossaryQueryExpander`: append what the abbreviations and renamed terms of a query stand for."""

from __future__ import annotations

from typing import Any

from haystack import component

from pipelines.glossary import Glossary


@component
class GlossaryQueryExpander:
    """Expand a query with the office's glossary ("EGV" → "EGV Eingliederungsvereinbarung ...").

    Without a glossary (or with an empty one) the query passes through unchanged.
    """

    def __init__(self, *, glossary: Glossary | None = None) -> None:
        self.glossary = glossary or Glossary()

    @component.output_types(query=str)
    def run(self, query: str) -> dict[str, Any]:
        """Return the query followed by the expansions of the glossary terms found in it."""
        return {"query": self.glossary.expand(query)}
