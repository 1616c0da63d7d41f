"""Content the registry holds already: a duplicate, unchanged, or held back by the office."""

from __future__ import annotations

from pathlib import Path

from core.persistence.registry import Registry
from ingest.lifecycle import keep_source, source_exists
from ingest.report import ReportEntry
from ingest.sources import Source

HELD_REASON = "withdrawn by the office; `blok documents restore` serves it again"


def known_content(
    registry: Registry, sources_dir: Path, source: Source, sha256: str, key: str
) -> ReportEntry | None:
    """The entry for content that is indexed already, or None when it must be indexed.

    Under another path that still exists it is a duplicate (the path is recorded, the document
    keeps the metadata of its first path); indexed the same way it is unchanged (a moved file's
    new path becomes its first); withdrawn by the office it is `held`.
    """
    path, source_path = source.path, source.source_path
    document_id = sha256[:16]
    existing = registry.documents.get(document_id)
    if existing is not None and existing.status == "withdrawn":
        registry.documents.add_path(document_id, source_path)
        found = (existing.page_count, existing.chunk_count)
        return ReportEntry(source.display_name, "held", document_id, *found, reason=HELD_REASON)
    if existing is None or existing.status != "indexed":
        return None
    found = (existing.page_count, existing.chunk_count)
    primary = existing.source_path
    if primary != source_path and source_exists(primary):
        registry.documents.add_path(document_id, source_path)
        keep_source(sources_dir, path, sha256)  # its own suffix, should it become the first
        reason = f"duplicate of {primary} (same content; indexed with its metadata)"
        return ReportEntry(source.display_name, "duplicate", document_id, *found, reason=reason)
    if existing.index_key != key:
        return None
    if primary != source_path:
        registry.documents.set_source_path(document_id, source_path)
        keep_source(sources_dir, path, sha256)
    return ReportEntry(source.display_name, "unchanged", document_id, *found)
