"""`GlossaryQueryExpander`: append what the abbreviations and renamed terms of a query stand for."""

from __future__ import annotations

from typing import Any

from haystack import component

from pipelines.text.glossary import Glossary


@component
class GlossaryQueryExpander:
    """Expand a query with the office's glossary ("EGV" → "EGV Eingliederungsvereinbarung ...").

    `query` is the expanded query, `original_query` the query as asked. Without a glossary (or
    with an empty one) both are the query as asked.
    """

    def __init__(self, *, glossary: Glossary | None = None) -> None:
        self.glossary = glossary or Glossary()

    @component.output_types(query=str, original_query=str)
    def run(self, query: str) -> dict[str, Any]:
        """Return the query followed by the expansions of the glossary terms found in it."""
        return {"query": self.glossary.expand(query), "original_query": query}
