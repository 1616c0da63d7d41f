"""Document metadata: the fields every chunk carries, their allowed values and normalisation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# ASCII digits only: `\d` also takes other scripts' digits (`vr٣` would be `vr3`).
RING_PATTERN = re.compile(r"^\s*(?:vr|vergleichsring)?\s*([0-9]{1,2})\s*$", re.IGNORECASE)
VISIBILITY_PATTERN = re.compile(r"^(public|programme|office|ring:vr[0-9]{1,2}(,vr[0-9]{1,2})*)$")


class DocumentKind(StrEnum):
    """Kinds of documents the programme produces."""

    PROTOKOLL = "protokoll"
    EVALUATIONSBERICHT = "evaluationsbericht"
    TAGUNGSMATERIAL = "tagungsmaterial"
    PRAXISBEISPIEL = "praxisbeispiel"
    SONSTIGES = "sonstiges"


def normalize_ring(value: Any) -> str:
    """Turn `VR 3`, `vr3`, `Vergleichsring 3` or `3` into the ring id `vr3`."""
    match = RING_PATTERN.match(str(value))
    if not match or not 1 <= int(match.group(1)) <= 99:
        raise ValueError(f"ring must look like 'vr3' or 'VR 3', got {value!r}")
    return f"vr{int(match.group(1))}"


def is_topic(value: Any) -> bool:
    """A topic is a text; a number (a year in a sidecar) is taken as its text, a flag is not."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def normalize_visibility(value: Any) -> str:
    """Check and normalise a visibility: `public`, `programme`, `office` or `ring:vr3[,vr5]`."""
    text = str(value).strip()
    if text.lower().startswith("ring:"):
        rings = dict.fromkeys(normalize_ring(part) for part in text[5:].split(",") if part.strip())
        text = "ring:" + ",".join(rings)
    if not VISIBILITY_PATTERN.match(text):
        raise ValueError(
            f"visibility must be one of public, programme, office, ring:<id>; got {value!r}"
        )
    return text


def visibility_tokens(visibility: str) -> list[str]:
    """The access tokens a normalised visibility grants: `ring:vr3,vr5` → `ring:vr3`, `ring:vr5`.

    Stored as a list on every chunk, so one match "any of the caller's tokens" filters access.
    """
    if visibility.startswith("ring:"):
        return [f"ring:{ring}" for ring in visibility[5:].split(",")]
    return [visibility]


def parse_document_date(value: Any) -> dt.date | None:
    """Accept an ISO date (`2019-05-14`), a month (`2019-05`) or a year (`2019`)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern, fmt in ((r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"), (r"^\d{4}-\d{2}$", "%Y-%m")):
        if re.match(pattern, text):
            return dt.datetime.strptime(text, fmt).date()
    if re.match(r"^\d{4}$", text):
        return dt.date(int(text), 1, 1)
    raise ValueError(f"date must be YYYY-MM-DD, YYYY-MM or YYYY; got {value!r}")


class DocumentMetadata(BaseModel):
    """Metadata of one document, as given in its sidecar file or derived with defaults."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    kind: DocumentKind = DocumentKind.SONSTIGES
    ring: str | None = None
    date: dt.date | None = None
    job_centre: str | None = None
    topics: list[str] = Field(default_factory=list)
    visibility: str = "programme"

    @field_validator("ring", mode="before")
    @classmethod
    def _ring(cls, value: Any) -> str | None:
        return None if value in (None, "") else normalize_ring(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> dt.date | None:
        return parse_document_date(value)

    @field_validator("visibility", mode="before")
    @classmethod
    def _visibility(cls, value: Any) -> str:
        return normalize_visibility(value)

    @field_validator("topics", mode="before")
    @classmethod
    def _topics(cls, value: Any) -> list[str]:
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(is_topic(item) for item in items):
            raise ValueError("topics must be a text or a list of texts")
        return [str(item).strip() for item in items if str(item).strip()]

    def payload_fields(self) -> dict[str, Any]:
        """The metadata as stored on every chunk (plus lower-case keys for filtering)."""
        return {
            "kind": self.kind.value,
            "ring": self.ring,
            "date": self.date.isoformat() if self.date else None,
            "year": self.date.year if self.date else None,
            "job_centre": self.job_centre,
            "job_centre_key": self.job_centre.casefold() if self.job_centre else None,
            "topics": self.topics,
            "topic_keys": [topic.casefold() for topic in self.topics],
            "visibility": visibility_tokens(self.visibility),
        }


@dataclass(frozen=True)
class RecordedMetadata:
    """A registry row's metadata, typed: the document's fields and what the registry adds.

    The registry stores the JSON of `DocumentMetadata.model_dump(mode="json")` plus `inferred`
    (fields inferred from the text), `superseded_by` (curation) and the links of a part of a
    file (`parent_document_id`). Missing values read as the defaults below; a missing visibility
    reads as `office`, the narrowest, so a damaged row never widens access.
    """

    title: str | None = None
    kind: str = DocumentKind.SONSTIGES.value
    ring: str | None = None
    date: str | None = None
    job_centre: str | None = None
    topics: tuple[str, ...] = ()
    visibility: str = "office"
    inferred: tuple[str, ...] = ()
    superseded_by: str | None = None
    parent_document_id: str | None = None

    @classmethod
    def from_stored(cls, values: Mapping[str, Any]) -> RecordedMetadata:
        """Read the stored JSON object; unknown keys are ignored."""

        def text(name: str) -> str | None:
            value = values.get(name)
            return None if value is None else str(value)

        return cls(
            title=text("title"),
            kind=text("kind") or DocumentKind.SONSTIGES.value,
            ring=text("ring"),
            date=text("date"),
            job_centre=text("job_centre"),
            topics=tuple(str(topic) for topic in values.get("topics") or ()),
            visibility=text("visibility") or "office",
            inferred=tuple(str(name) for name in values.get("inferred") or ()),
            superseded_by=text("superseded_by"),
            parent_document_id=text("parent_document_id"),
        )

    @property
    def year(self) -> int | None:
        """The year of the date (None without a date)."""
        return int(self.date[:4]) if self.date else None

    def document_fields(self) -> dict[str, Any]:
        """The fields of `DocumentMetadata`, as stored (input for validating an edit)."""
        return {
            "title": self.title,
            "kind": self.kind,
            "ring": self.ring,
            "date": self.date,
            "job_centre": self.job_centre,
            "topics": list(self.topics),
            "visibility": self.visibility,
        }

    @property
    def is_part(self) -> bool:
        """Whether the document is a part of another file (an e-mail's attachment or body)."""
        return self.parent_document_id is not None
