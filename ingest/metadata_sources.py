"""Metadata of a file from its sidecar and the folder manifests above it, validated, with defaults.

Sources, strongest first:

1. the sidecar `NAME.meta.yaml` (or `NAME.ext.meta.yaml`) beside the file;
2. the entry for the file under `files:` of a folder's `_manifest.yaml` (the nearest folder wins);
3. `defaults:` of the folder manifests, from the file's own folder up to the folder being
   ingested (the nearest folder wins; manifests above the ingested folder are not read);
4. values inferred from the document (title, date; see `DocumentMetadataExtractor`);
5. the settings' default (`BLOK_ACCESS__DEFAULT_VISIBILITY`) and the field defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.errors import MetadataError, validation_message
from core.metadata import DocumentKind, DocumentMetadata

MANIFEST_NAME = "_manifest.yaml"
MANIFEST_SECTIONS = ("defaults", "files")
INFERABLE_FIELDS = ("title", "date")
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


@dataclass
class Manifest:
    """A folder's `_manifest.yaml`: defaults for its files and entries for single files."""

    label: str
    defaults: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ResolvedMetadata:
    """A file's validated metadata and the inferable fields no source gave."""

    metadata: DocumentMetadata
    missing: list[str]


class ManifestReader:
    """Reads and validates folder manifests once per folder (one instance per ingest run)."""

    def __init__(self) -> None:
        self._cache: dict[Path, Manifest | MetadataError | None] = {}

    def manifest(self, folder: Path, label: str) -> Manifest | None:
        """The manifest of `folder`, or None; `label` names it in messages.

        Raises:
            MetadataError: the manifest is not valid YAML, not shaped as documented, or a field
                is invalid; the message names the manifest, the field and the allowed values.
        """
        if folder not in self._cache:
            try:
                self._cache[folder] = read_manifest(folder / MANIFEST_NAME, label)
            except MetadataError as exc:
                self._cache[folder] = exc
        cached = self._cache[folder]
        if isinstance(cached, MetadataError):
            raise MetadataError(cached.message)
        return cached

    def chain(self, path: Path, root: Path) -> list[tuple[Manifest, str]]:
        """Manifests from `root` down to the file's folder, each with the file's key in it."""
        folder = path.parent
        try:
            parts = folder.relative_to(root).parts
        except ValueError:
            root, parts = folder, ()
        chain: list[tuple[Manifest, str]] = []
        for depth in range(len(parts) + 1):
            current = root.joinpath(*parts[:depth])
            label = "/".join((root.name, *parts[:depth], MANIFEST_NAME)).lstrip("/")
            manifest = self.manifest(current, label)
            if manifest is not None:
                chain.append((manifest, path.relative_to(current).as_posix()))
        return chain


def read_manifest(manifest_path: Path, label: str) -> Manifest | None:
    """Parse and validate one `_manifest.yaml`; None when the folder has none."""
    if not manifest_path.is_file():
        return None
    raw = _read_yaml_mapping(manifest_path, label)
    unknown = sorted(set(raw) - set(MANIFEST_SECTIONS))
    if unknown:
        raise MetadataError(
            f"{label}: unknown section '{unknown[0]}' (allowed: {', '.join(MANIFEST_SECTIONS)})"
        )
    defaults = raw.get("defaults") or {}
    files = raw.get("files") or {}
    if not isinstance(defaults, dict):
        raise MetadataError(f"{label}: 'defaults' must be a mapping of fields to values")
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise MetadataError(f"{label}: 'files' must map file names to mappings of fields")
    _validate(defaults, f"{label} (defaults)")
    for name, entry in files.items():
        _validate(entry, f"{label} (files: {name})")
    return Manifest(label, defaults, {str(name): entry for name, entry in files.items()})


def resolve_metadata(
    path: Path,
    default_visibility: str = "programme",
    *,
    root: Path | None = None,
    manifests: ManifestReader | None = None,
) -> ResolvedMetadata:
    """Merge sidecar, manifests and defaults for `path` (ingested as part of folder `root`).

    A document no source gives a visibility gets `default_visibility`; a missing title is taken
    from the file name here (the indexing pipeline may replace it by the first heading).

    Raises:
        MetadataError: a sidecar or manifest is not valid YAML or a field is invalid; the message
            names the file, the field and the allowed values.
    """
    reader = manifests or ManifestReader()
    chain = reader.chain(path, root or path.parent)
    merged: dict[str, Any] = {}
    for manifest, _ in chain:
        merged.update(manifest.defaults)
    for manifest, key in chain:
        merged.update(manifest.files.get(key, {}))
    sidecar = sidecar_path(path)
    if sidecar is not None:
        raw = _read_yaml_mapping(sidecar, sidecar.name)
        _validate(raw, sidecar.name)
        merged.update(raw)
    missing = [name for name in INFERABLE_FIELDS if merged.get(name) in (None, "")]
    if merged.get("visibility") in (None, ""):
        merged["visibility"] = default_visibility
    metadata = _validate(merged, sidecar.name if sidecar else "metadata")
    if not metadata.title:
        metadata.title = default_title(path)
    return ResolvedMetadata(metadata, missing)


def validate_metadata(raw: dict[str, Any], label: str) -> DocumentMetadata:
    """Validate fields given as a mapping (an upload's metadata) like a sidecar's.

    Raises:
        MetadataError: a field is unknown or invalid; the message names it and the allowed values.
    """
    return _validate(raw, label)


def load_metadata(path: Path, default_visibility: str = "programme") -> DocumentMetadata:
    """The metadata of a file given on its own (its sidecar and its folder's manifest)."""
    return resolve_metadata(path, default_visibility).metadata


def default_title(path: Path) -> str:
    """A readable title from the file name: no extension, `_` and `-` as spaces."""
    return " ".join(path.stem.replace("_", " ").replace("-", " ").split()) or path.name


def _read_yaml_mapping(source: Path, label: str) -> dict[str, Any]:
    try:
        raw: Any = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{label} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise MetadataError(f"{label} must be a mapping of fields to values")
    return raw


def _validate(raw: dict[str, Any], label: str) -> DocumentMetadata:
    try:
        return DocumentMetadata.model_validate(raw)
    except ValidationError as exc:
        raise MetadataError(_describe(exc, label)) from exc


def _describe(exc: ValidationError, label: str) -> str:
    problems = []
    for error in exc.errors():
        field_name = ".".join(str(part) for part in error["loc"]) or "(file)"
        allowed = ALLOWED_VALUES.get(field_name.split(".")[0])
        if error["type"] == "extra_forbidden":
            known = ", ".join(DocumentMetadata.model_fields)
            problems.append(f"unknown field '{field_name}' (known fields: {known})")
            continue
        hint = f" (allowed: {allowed})" if allowed else ""
        message = validation_message(error, with_input=True)
        problems.append(f"field '{field_name}': {message}{hint}")
    return f"{label}: " + "; ".join(problems)
