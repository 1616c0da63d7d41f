"""What one discovered file yields to ingest: itself, or an e-mail and each of its attachments.

Each `Source` is ingested on its own and all-or-nothing. An e-mail's attachments are written to
a temporary folder, get the mail's metadata (title from their file name) and name the mail's
document as `parent_document_id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ErrorCode
from core.metadata import DocumentMetadata
from core.names import clean_name
from ingest.metadata_sources import default_title
from ingest.report import ReportEntry
from pipelines.components.converters.file_types import sniff_format
from pipelines.components.converters.mail_reader import Mail, parse_mail

ATTACHMENT_SEPARATOR = " › "


@dataclass
class Source:
    """One document to ingest: the file to convert and how it is named and described.

    `path` is the file read on this machine; `display_name` names it in the ingest report (an
    attachment: `mail.eml › name.pdf`); `source_path` is the path the registry records the
    document under (its versions are the documents recorded under the same `source_path`).
    `metadata` None means the sidecar of `path`; `links` are added to the document's metadata
    and to every chunk (e.g. `parent_document_id`).
    """

    path: Path
    display_name: str
    source_path: str
    metadata: DocumentMetadata | None = None
    links: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExpandedFile:
    """The sources of one file, and entries for parts that cannot be ingested at all."""

    sources: list[Source]
    skipped: list[ReportEntry] = field(default_factory=list)


def is_mail(path: Path) -> bool:
    """True for a file whose content is an e-mail."""
    return sniff_format(path) == "eml"


def mail_metadata(path: Path, mail: Mail, metadata: DocumentMetadata) -> DocumentMetadata:
    """The mail's own metadata; subject and Date header fill a missing title and date."""
    metadata = metadata.model_copy()
    if mail.subject and metadata.title == default_title(path):
        metadata.title = mail.subject
    if metadata.date is None and mail.date is not None:
        metadata.date = mail.date
    return metadata


def expand_mail(
    path: Path,
    mail_document_id: str,
    metadata: DocumentMetadata,
    folder: Path,
    *,
    source_path: str | None = None,
) -> ExpandedFile:
    """The mail's body and each attachment written to `folder` as sources.

    `source_path` is the mail's recorded path (default: its path); an attachment's is
    `<source_path>#<name>`.

    Raises:
        ConversionError: the file is not a readable e-mail.
    """
    mail = parse_mail(path)
    metadata = mail_metadata(path, mail, metadata)
    source_path = source_path or str(path)
    mail_name = clean_name(path.name)
    expanded = ExpandedFile([Source(path, mail_name, source_path, metadata)])
    for index, attachment in enumerate(mail.attachments, start=1):
        name = f"{mail_name}{ATTACHMENT_SEPARATOR}{attachment.name}"
        if attachment.data is None:
            expanded.skipped.append(
                ReportEntry(
                    name,
                    "skipped",
                    code=ErrorCode.UNSUPPORTED_FORMAT.value,
                    reason=f"attachment {attachment.name} ({attachment.content_type}) is not a "
                    "file; attached e-mails are not read",
                )
            )
            continue
        target = folder / str(index) / attachment.name
        target.parent.mkdir(parents=True)
        target.write_bytes(attachment.data)
        attachment_metadata = metadata.model_copy(
            update={"title": default_title(Path(attachment.name))}
        )
        expanded.sources.append(
            Source(
                target,
                name,
                f"{source_path}#{attachment.name}",
                attachment_metadata,
                {"parent_document_id": mail_document_id},
            )
        )
    return expanded
