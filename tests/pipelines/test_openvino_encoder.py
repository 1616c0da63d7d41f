"""The OpenVINO int8 encoder: built offline beside the model, close to float32, torch otherwise."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
from haystack import Document
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
    SentenceTransformersTextEmbedder,
)
from sentence_transformers import SentenceTransformer

from core.errors import ModelUnavailableError
from core.settings import BUILTIN_MODEL_NAME, EmbeddingSettings
from pipelines.components.embedders.openvino_embedders import (
    OpenVinoDocumentEmbedder,
    OpenVinoTextEmbedder,
)
from pipelines.models.embedding_model import (
    build_document_embedder,
    build_text_embedder,
    resolve_dense_encoder,
)
from pipelines.models.openvino_encoder import OpenVinoEncoder
from pipelines.models.openvino_export import EXPORT_MARKER, MODEL_XML, export_dir_for
from tests.support.helpers import MODELS_DIR

SENTENCES = [
    "Wie binden andere Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?",
    "Der Vergleichsring 3 vereinbarte ein gemeinsames Set von Sozialraumindikatoren.",
    "Die Integrationsquote (K2) stieg gem. § 48a SGB II um ca. 2,1 Prozentpunkte.",
    "Bürgergeld, Kooperationsplan und Eingliederungsleistungen für eLb in der BG.",
]
COSINE_BOUND = 0.98  # per sentence; the mean over 500+ passages is in evaluation.encoder_quality


def no_network(*args: object, **kwargs: object) -> None:
    raise OSError("no network in this test")


@pytest.mark.model
def test_int8_vectors_are_close_to_float32_and_load_without_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoder = resolve_dense_encoder(
        EmbeddingSettings(backend="openvino", models_dir=MODELS_DIR), MODELS_DIR
    )
    assert encoder.backend == "openvino"
    assert encoder.export_dir == export_dir_for(MODELS_DIR / BUILTIN_MODEL_NAME)
    assert encoder.export_dir is not None
    assert (encoder.export_dir / MODEL_XML).is_file()
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fast = OpenVinoEncoder(encoder.export_dir)  # a fresh compile, not the process's cached one
    documents = build_document_embedder(
        encoder, prefix="passage: ", batch_size=3, meta_fields_to_embed=["title"]
    )
    assert isinstance(documents, OpenVinoDocumentEmbedder)
    queries = build_text_embedder(encoder, prefix="query: ")
    assert isinstance(queries, OpenVinoTextEmbedder)
    monkeypatch.undo()
    reference = SentenceTransformer(encoder.model, device="cpu", local_files_only=True)
    for prefix in ("query: ", "passage: "):
        ours = fast.encode([prefix + s for s in SENTENCES])
        theirs = reference.encode([prefix + s for s in SENTENCES], normalize_embeddings=True)
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() > COSINE_BOUND, cosines
    # The components build the texts as the sentence-transformers embedders do (meta, newline).
    docs = [Document(content=s, meta={"title": "Protokoll"}) for s in SENTENCES]
    embedded = documents.run(documents=docs)["documents"]
    assert [d.content for d in embedded] == SENTENCES
    theirs = reference.encode(
        [f"passage: Protokoll\n{s}" for s in SENTENCES], normalize_embeddings=True
    )
    cosines = (np.array([d.embedding for d in embedded]) * theirs).sum(axis=1)
    assert cosines.min() > COSINE_BOUND, cosines
    query = np.array(queries.run(text=SENTENCES[0])["embedding"])
    assert float(query @ reference.encode("query: " + SENTENCES[0])) > COSINE_BOUND
    assert documents.run(documents=[])["documents"] == []


@pytest.mark.model
def test_auto_falls_back_to_torch_without_a_current_export(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / BUILTIN_MODEL_NAME).symlink_to(MODELS_DIR / BUILTIN_MODEL_NAME)
    settings = EmbeddingSettings(models_dir=models)
    assert settings.backend == "auto"
    encoder = resolve_dense_encoder(settings, models)
    assert encoder.backend == "torch"
    assert encoder.export_dir is None
    embedder = build_text_embedder(encoder, prefix="query: ")
    assert isinstance(embedder, SentenceTransformersTextEmbedder)
    embedder.warm_up()
    assert len(embedder.run(text="Jobcenter")["embedding"]) == 384
    # An export of another build of the model is stale: still torch.
    stale = export_dir_for(models / BUILTIN_MODEL_NAME)
    stale.mkdir()
    (stale / MODEL_XML).write_text("<net/>", encoding="utf-8")
    (stale / "tokenizer.json").write_text("{}", encoding="utf-8")
    marker = {"format_version": 1, "source": {"source_bytes": 1}}
    (stale / EXPORT_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    assert resolve_dense_encoder(settings, models).backend == "torch"
    assert resolve_dense_encoder(settings.model_copy(update={"backend": "torch"}), models) == (
        encoder
    )


def test_openvino_applies_to_the_built_in_model_only(tmp_path: Path) -> None:
    other = tmp_path / "my-model"
    other.mkdir()
    with pytest.raises(ModelUnavailableError) as error:
        resolve_dense_encoder(EmbeddingSettings(model=str(other), backend="openvino"), tmp_path)
    assert "BLOK_EMBEDDING__BACKEND" in error.value.message
    encoder = resolve_dense_encoder(EmbeddingSettings(model=str(other)), tmp_path)
    assert encoder.backend == "torch"
    embedder = build_document_embedder(
        encoder, prefix="passage: ", batch_size=4, meta_fields_to_embed=[]
    )
    assert isinstance(embedder, SentenceTransformersDocumentEmbedder)
