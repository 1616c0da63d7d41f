"""Metadata of a file from its sidecar `NAME.meta.yaml`, validated, with defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipelines.errors import MetadataError
from pipelines.metadata import DocumentKind, DocumentMetadata

ALLOWED_VALUES = {
    "kind": ", ".join(kind.value for kind in DocumentKind),
    "visibility": "public, programme, office, ring:<id> (e.g. ring:vr3)",
    "ring": "vr1 … vr99 (also written 'VR 3')",
    "date": "YYYY-MM-DD, YYYY-MM or YYYY",
}


def sidecar_path(path: Path) -> Path | None:
    """`NAME.meta.yaml` beside `NAME.ext` (or `NAME.ext.meta.yaml`), if present."""
    for candidate in (
        path.with_name(path.stem + ".meta.yaml"),
        path.with_name(path.name + ".meta.yaml"),
    ):
        if candidate.is_file():
            return candidate
    return None


def load_metadata(path: Path, default_visibility: str = "programme") -> DocumentMetadata:
    """Read and validate the sidecar of `path`; missing fields get defaults.

    A document whose sidecar names no visibility gets `default_visibility`
    (`BLOK_ACCESS__DEFAULT_VISIBILITY`).

    Raises:
        MetadataError: the sidecar is not valid YAML or a field is invalid; the message names
            the field and the allowed values.
    """
    sidecar = sidecar_path(path)
    raw: Any = {}
    if sidecar is not None:
        try:
            raw = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise MetadataError(f"{sidecar.name} is not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise MetadataError(f"{sidecar.name} must be a mapping of fields to values")
    if raw.get("visibility") in (None, ""):
        raw = {**raw, "visibility": default_visibility}
    try:
        metadata = DocumentMetadata.model_validate(raw)
    except ValidationError as exc:
        raise MetadataError(_describe(exc, sidecar)) from exc
    if not metadata.title:
        metadata.title = default_title(path)
    return metadata


def default_title(path: Path) -> str:
    """A readable title from the file name."""
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def _describe(exc: ValidationError, sidecar: Path | None) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(file)"
        allowed = ALLOWED_VALUES.get(field.split(".")[0])
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(DocumentMetadata.model_fields)
            problems.append(f"unknown field '{field}' (known fields: {allowed})")
            continue
        hint = f" (allowed: {allowed})" if allowed else ""
        problems.append(f"field '{field}': {error['msg']}, got {error.get('input')!r}{hint}")
    where = sidecar.name if sidecar else "metadata"
    return f"{where}: " + "; ".join(problems)
