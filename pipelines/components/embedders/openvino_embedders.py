"""Dense embedders on the OpenVINO int8 export of the built-in model (`OpenVinoEncoder`).

Drop-in for Haystack's `SentenceTransformersDocumentEmbedder` / `SentenceTransformersTextEmbedder`
as this project configures them: the same prefix, metadata fields joined with a newline before
the text, normalised vectors.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from haystack import Document, component

from pipelines.models.openvino_encoder import OpenVinoEncoder, load_openvino_encoder


@component
class OpenVinoDocumentEmbedder:
    """Embed documents' `prefix + meta fields + content` in batches of `batch_size`."""

    def __init__(
        self,
        *,
        folder: Path,
        prefix: str = "",
        batch_size: int = 16,
        meta_fields_to_embed: list[str] | None = None,
        embedding_separator: str = "\n",
    ) -> None:
        self.folder = folder
        self.prefix = prefix
        self.batch_size = batch_size
        self.meta_fields_to_embed = meta_fields_to_embed or []
        self.embedding_separator = embedding_separator
        self.encoder: OpenVinoEncoder | None = None

    def warm_up(self) -> None:
        """Compile the model (once per process and folder)."""
        if self.encoder is None:
            self.encoder = load_openvino_encoder(self.folder)

    def text_of(self, document: Document) -> str:
        """What is embedded for `document`, as the sentence-transformers embedder builds it."""
        meta = [
            str(document.meta[key])
            for key in self.meta_fields_to_embed
            if document.meta.get(key) is not None
        ]
        return self.prefix + self.embedding_separator.join([*meta, document.content or ""])

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """The documents with their embeddings, in order."""
        self.warm_up()
        assert self.encoder is not None
        texts = [self.text_of(document) for document in documents]
        embedded: list[Document] = []
        for start in range(0, len(texts), self.batch_size):
            vectors = self.encoder.encode(texts[start : start + self.batch_size])
            batch = documents[start : start + self.batch_size]
            embedded += [
                replace(doc, embedding=vector.tolist())
                for doc, vector in zip(batch, vectors, strict=True)
            ]
        return {"documents": embedded}


@component
class OpenVinoTextEmbedder:
    """Embed one text (a query) with `prefix`."""

    def __init__(self, *, folder: Path, prefix: str = "") -> None:
        self.folder = folder
        self.prefix = prefix
        self.encoder: OpenVinoEncoder | None = None

    def warm_up(self) -> None:
        """Compile the model (once per process and folder)."""
        if self.encoder is None:
            self.encoder = load_openvino_encoder(self.folder)

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, Any]:
        """The text's unit vector."""
        self.warm_up()
        assert self.encoder is not None
        return {"embedding": self.encoder.encode([self.prefix + text])[0].tolist()}
