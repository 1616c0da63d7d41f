"""Receive an upload: stream a multipart request to disk under server-chosen names, with limits.

FastAPI's `UploadFile` is not used on purpose: Starlette spools every file of a request
completely before the handler runs, so a file far over the size limit would be stored whole
first. Here each file part is written in blocks straight to its final place and dropped as soon
as it passes `BLOK_INGEST__MAX_FILE_MB` (the rest of that part is read and discarded); the
request stops at `BLOK_UPLOAD__MAX_REQUEST_MB` or at the file after `BLOK_UPLOAD__MAX_FILES`.

The client's file name is only a label: a safe base name is derived from it, and the file is
stored as `<folder>/<n>/<safe name>` (one folder per file, so equal names cannot collide and no
sidecar or manifest of another upload is beside it). Each stored file's type is sniffed from its
content (`file_types.detect_format`); an unsupported or mislabelled file is rejected with the
reason and removed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import python_multipart
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from core.errors import ConversionError, ErrorCode, FileTooLargeError, InvalidRequestError
from core.names import clean_name
from ingest.discovery import SIDECAR_SUFFIX
from ingest.metadata_sources import MANIFEST_NAME
from pipelines.components.converters.file_types import detect_format

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "files"
MAX_FIELD_BYTES = 64_000
MAX_NAME_BYTES = 200
MAX_SUFFIX_CHARS = 16
PATH_SEPARATORS = re.compile(r"[/\\]")


@dataclass
class ReceivedFile:
    """One file part: where it was stored, or why it was rejected."""

    name: str
    path: Path | None = None
    size: int = 0
    code: str | None = None
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        """Stored and of a supported type."""
        return self.path is not None

    def reject(self, code: ErrorCode, reason: str) -> None:
        """Drop the stored file (if any) and record why."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()
        self.path, self.code, self.reason = None, code.value, reason


@dataclass
class ReceivedUpload:
    """The files and the plain form fields of one request."""

    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def safe_file_name(raw: str) -> str:
    """A file name safe to store: base name only, NFC, no control characters, not hidden.

    Raises:
        InvalidRequestError: the name is empty, hidden, names a parent folder (`..`) or is a
            metadata file (sidecar or manifest), which an upload cannot carry.
    """
    text = clean_name(raw)
    if ".." in PATH_SEPARATORS.split(text):
        raise InvalidRequestError("a file name must not contain '..'")
    name = PATH_SEPARATORS.split(text)[-1].strip().rstrip(". ")
    if not name:
        raise InvalidRequestError("the file has no usable name")
    if name.startswith("."):
        raise InvalidRequestError(f"hidden file names are not accepted: {name}")
    if name.endswith(SIDECAR_SUFFIX) or name == MANIFEST_NAME:
        raise InvalidRequestError(
            f"{name} is a metadata file; send the metadata as the 'metadata' field"
        )
    return shorten(name)


def shorten(name: str) -> str:
    """Cap the name at `MAX_NAME_BYTES` (UTF-8), keeping its extension."""
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > MAX_SUFFIX_CHARS:
        stem, suffix = name, ""
    tail = f".{suffix}" if suffix else ""
    budget = MAX_NAME_BYTES - len(tail.encode())
    return stem.encode()[:budget].decode(errors="ignore").rstrip() + tail


class UploadReceiver:
    """Parses one multipart request into `folder`; one instance per request."""

    def __init__(
        self, folder: Path, *, max_file_bytes: int, max_files: int, max_request_bytes: int
    ) -> None:
        self.folder = folder
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.max_request_bytes = max_request_bytes
        self.upload = ReceivedUpload()
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._field: tuple[str, bytearray] | None = None
        self._file: ReceivedFile | None = None
        self._handle: BinaryIO | None = None

    async def receive(self, content_type: str, stream: AsyncIterator[bytes]) -> ReceivedUpload:
        """Read the whole request; returns the stored and the rejected files and the fields.

        Raises:
            InvalidRequestError: not multipart, malformed, a field too long, a file part not
                named `files`.
            FileTooLargeError: the request passed `max_request_bytes` or has too many files.
        """
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise InvalidRequestError(
                "send multipart/form-data with one or more 'files' and a 'metadata' field"
            )
        parser = python_multipart.MultipartParser(boundary, self._callbacks())
        received = 0
        try:
            async for chunk in stream:
                received += len(chunk)
                if received > self.max_request_bytes:
                    raise FileTooLargeError(
                        f"the request is larger than {self.max_request_bytes / 1e6:g} MB, the "
                        "limit set by BLOK_UPLOAD__MAX_REQUEST_MB"
                    )
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise InvalidRequestError("the multipart body is malformed") from exc
        finally:
            self._close_file()
        if self._file is not None or self._field is not None:
            raise InvalidRequestError("the multipart body ended in the middle of a part")
        for received_file in self.upload.files:
            sniff(received_file)
        return self.upload

    def _callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._on_part_begin,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
        }

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        field_name = options.get(b"name", b"").decode("utf-8", errors="replace")
        if b"filename" not in options:
            self._field = (field_name, bytearray())
            return
        if field_name != FILE_FIELD:
            raise InvalidRequestError(f"send files as '{FILE_FIELD}', not as '{field_name}'")
        if len(self.upload.files) >= self.max_files:
            raise FileTooLargeError(
                f"more than {self.max_files} files in one request, the limit set by "
                "BLOK_UPLOAD__MAX_FILES"
            )
        raw_name = options[b"filename"].decode("utf-8", errors="replace")
        self._file = ReceivedFile(name=clean_name(raw_name))
        self.upload.files.append(self._file)
        try:
            self._file.name = safe_file_name(raw_name)
        except InvalidRequestError as exc:
            self._file.name = shorten(clean_name(raw_name).strip()) or "(no name)"
            self._file.reject(ErrorCode.INVALID_REQUEST, exc.message)
            return
        target = self.folder / str(len(self.upload.files)) / self._file.name
        target.parent.mkdir(parents=True)
        self._file.path = target
        self._handle = target.open("wb")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._field is not None:
            name, value = self._field
            value += data[start:end]
            if len(value) > MAX_FIELD_BYTES:
                raise InvalidRequestError(f"the field '{name}' is longer than {MAX_FIELD_BYTES}")
            return
        current = self._file
        if current is None or self._handle is None:
            return  # a rejected file: its data is read and dropped
        current.size += end - start
        if current.size > self.max_file_bytes:
            self._close_file()
            current.reject(
                ErrorCode.TOO_LARGE,
                f"{current.name} is larger than {self.max_file_bytes / 1e6:g} MB, the limit "
                "set by BLOK_INGEST__MAX_FILE_MB",
            )
            return
        self._handle.write(data[start:end])

    def _on_part_end(self) -> None:
        if self._field is not None:
            name, value = self._field
            self.upload.fields[name] = value.decode("utf-8", errors="replace")
            self._field = None
            return
        self._close_file()
        current, self._file = self._file, None
        if current is not None and current.accepted and current.size == 0:
            current.reject(ErrorCode.EMPTY_DOCUMENT, f"{current.name} is empty")

    def _close_file(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def sniff(received: ReceivedFile) -> None:
    """Reject a stored file whose content is not a supported format (or not what its name says)."""
    if received.path is None:
        return
    try:
        with received.path.open("rb") as handle:
            detect_format(received.path, handle.read(4096))
    except ConversionError as exc:
        received.reject(exc.code, exc.message)
