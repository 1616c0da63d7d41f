"""German text tools: sentences, lexical analysis, dates, page layout, the glossary."""
