"""German BM25 sparse vectors (Snowball stemmer, German stopwords) from Qdrant Edge's tokenizer.

Documents get term-frequency weights; queries get weight 1 per term. The store's IDF modifier
supplies the inverse document frequency, so scores match a Qdrant server's BM25. With `analyzer`
on (the default), text first goes through `GermanLexicalAnalyzer` (umlaut spellings folded,
compounds followed by their parts), the same way for documents and queries.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import qdrant_edge as edge
from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from pipelines.text.german_lexical import GermanLexicalAnalyzer


def build_bm25(language: str = "german") -> edge.Bm25:
    """The BM25 model shared by documents and queries."""
    return edge.Bm25(edge.Bm25Config(language=language))


def embedding_text(document: Document, meta_fields: list[str], separator: str = "\n") -> str:
    """The text a chunk is embedded with: selected meta fields, then the content."""
    parts = [str(document.meta[field]) for field in meta_fields if document.meta.get(field)]
    return separator.join([*parts, document.content or ""])


@component
class Bm25DocumentEmbedder:
    """Attach a German BM25 sparse embedding to every document."""

    def __init__(
        self,
        *,
        language: str = "german",
        meta_fields_to_embed: list[str] | None = None,
        analyzer: bool = True,
    ):
        self.language = language
        self.meta_fields_to_embed = meta_fields_to_embed or []
        self.analyzer = analyzer
        self._model: edge.Bm25 | None = None
        self._analyzer = GermanLexicalAnalyzer() if analyzer else None

    def warm_up(self) -> None:
        """Build the tokenizer (and load the compound splitter) once."""
        if self._model is None:
            self._model = build_bm25(self.language)
        if self._analyzer is not None:
            self._analyzer.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Return the documents with `sparse_embedding` set."""
        self.warm_up()
        assert self._model is not None
        embedded = []
        for document in documents:
            text = embedding_text(document, self.meta_fields_to_embed)
            if self._analyzer is not None:
                text = self._analyzer.document_text(text)
            vector = self._model.embed_document(text)
            sparse = SparseEmbedding(list(vector.indices), list(vector.values))
            embedded.append(replace(document, sparse_embedding=sparse))
        return {"documents": embedded}


@component
class Bm25TextEmbedder:
    """German BM25 sparse embedding of a query."""

    def __init__(self, *, language: str = "german", analyzer: bool = True):
        self.language = language
        self.analyzer = analyzer
        self._model: edge.Bm25 | None = None
        self._analyzer = GermanLexicalAnalyzer() if analyzer else None

    def warm_up(self) -> None:
        """Build the tokenizer (and load the compound splitter) once."""
        if self._model is None:
            self._model = build_bm25(self.language)
        if self._analyzer is not None:
            self._analyzer.warm_up()

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str) -> dict[str, Any]:
        """Embed the query text."""
        self.warm_up()
        assert self._model is not None
        if self._analyzer is not None:
            text = self._analyzer.query_text(text)
        vector = self._model.embed_query(text)
        return {"sparse_embedding": SparseEmbedding(list(vector.indices), list(vector.values))}
