"""Read an e-mail (EML, RFC 822) with the standard `email` package.

The body (text/plain preferred, else HTML turned into text) is the mail's own document; each
attachment is returned as bytes with its file name, to be ingested as a document of its own.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import mimetypes
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from core.errors import ConversionError
from core.names import clean_name
from pipelines.components.converters.page_readers import RawPage, decode_text


@dataclass
class MailAttachment:
    """One attached file; `data` is None for parts that are not files (e.g. attached mails)."""

    name: str
    content_type: str
    data: bytes | None


@dataclass
class Mail:
    """Subject, date, body text and attachments of one e-mail."""

    subject: str
    date: dt.date | None
    body: str
    attachments: list[MailAttachment] = field(default_factory=list)


def parse_mail(path: Path) -> Mail:
    """Parse an EML file.

    Raises:
        ConversionError: the file is not a readable e-mail.
    """
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    except (ValueError, TypeError, IndexError) as exc:
        raise ConversionError(f"{path.name} is not a readable e-mail: {exc}") from exc
    if not isinstance(message, EmailMessage):
        raise ConversionError(f"{path.name} is not a readable e-mail")
    return Mail(
        subject=" ".join(str(message.get("Subject", "")).split()),
        date=_mail_date(message.get("Date")),
        body=_body_text(message, path.name),
        attachments=[_attachment(part, index) for index, part in enumerate(_attachments(message))],
    )


def _mail_date(value: object) -> dt.date | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value)).date()
    except (ValueError, TypeError):
        return None


def _body_text(message: EmailMessage, name: str) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset: fall back to our own decoding
        payload = part.get_payload(decode=True)
        content = decode_text(payload if isinstance(payload, bytes) else b"", name)
    text = str(content)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text


def html_to_text(html: str) -> str:
    """An HTML mail body as text, through the same element reader as HTML files."""
    from pipelines.components.converters.unstructured_readers import (
        elements_to_pages,
        prepare_unstructured,
    )

    prepare_unstructured()
    from unstructured.partition.html import partition_html

    pages = elements_to_pages(partition_html(text=html, languages=["deu"]))
    return "\n\n".join(page.text for page in pages)


def _attachments(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.iter_attachments() if isinstance(part, EmailMessage)]


def _attachment(part: EmailMessage, index: int) -> MailAttachment:
    # Only the last path component: a name like "../../x.pdf" must not leave the folder; no
    # control characters (they would reach the registry, the logs and the UI).
    name = Path(clean_name(part.get_filename() or "")).name.strip() or f"anhang-{index + 1}"
    if not Path(name).suffix:
        name += mimetypes.guess_extension(part.get_content_type()) or ""
    if part.get_content_maintype() in ("multipart", "message"):
        return MailAttachment(name, part.get_content_type(), None)
    payload = part.get_payload(decode=True)
    return MailAttachment(
        name, part.get_content_type(), payload if isinstance(payload, bytes) else None
    )


def read_eml_pages(path: Path) -> list[RawPage]:
    """The mail's body as one page (attachments are ingested as documents of their own).

    A mail without body text (only attachments) is its subject, so that its attachments still
    have a parent document.
    """
    mail = parse_mail(path)
    return [RawPage(1, mail.body if mail.body.strip() else mail.subject)]
