"""What re-indexing one document starts from: its kept original and its metadata as ingest had it.

The same file indexed the same way must come out as a new ingest would have it: the same
payload on every chunk, the same index key, fields inferred (title, date) inferred again with
today's pipeline.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from core.errors import NotFoundError
from core.metadata import DocumentMetadata
from core.persistence.registry import DocumentRecord
from core.settings import Settings
from ingest.identity import index_key
from ingest.lifecycle import kept_sources
from ingest.metadata_sources import INFERABLE_FIELDS, default_title
from ingest.sources import is_mail


def metadata_before_inference(
    record: DocumentRecord, mail_part: bool
) -> tuple[dict[str, Any], list[str]]:
    """The metadata as ingest had it before inference, and the fields to infer again.

    Inferred fields go back to what ingest started from (the title from the file name, no
    date), so they are inferred again with today's pipeline and the index key comes out as a
    new ingest of the same file would compute it. Parts of an e-mail infer nothing, as in ingest.
    """
    inferred = list(record.typed_metadata.inferred)
    before = {key: value for key, value in record.metadata.items() if key != "inferred"}
    for name in inferred:
        before[name] = default_title(Path(record.source_name)) if name == "title" else None
    if mail_part:
        return before, []
    missing = [
        name for name in INFERABLE_FIELDS if name in inferred or before.get(name) in (None, "")
    ]
    return before, missing


def prepare_document(
    settings: Settings, record: DocumentRecord
) -> tuple[Path, DocumentRecord, dict[str, Any], list[str]]:
    """The kept original, the record before inference, the chunk payload, the fields to infer.

    Raises:
        NotFoundError: the original is not kept under `DATA_DIR/sources/`.
    """
    sources = settings.sources_dir
    kept = sources / f"{record.sha256}{Path(record.source_name).suffix.lower()}"
    if not kept.is_file():
        found = ", ".join(path.name for path in kept_sources(sources, record.sha256))
        raise NotFoundError(
            f"its original {record.source_name} is not kept under sources/"
            + (f" (found {found})" if found else "")
        )
    mail_part = record.typed_metadata.is_part or is_mail(kept)
    before, missing = metadata_before_inference(record, mail_part)
    document = DocumentMetadata.model_validate(
        {name: before[name] for name in DocumentMetadata.model_fields if name in before}
    )
    links = {k: v for k, v in before.items() if k not in DocumentMetadata.model_fields}
    payload = {**document.payload_fields(), **links, "infer_fields": missing}
    start = replace(
        record,
        title=str(before["title"]),
        metadata=before,
        index_key=index_key(before, settings),
    )
    return kept, start, payload, missing
