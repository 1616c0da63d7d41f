"""The metadata form of the office (upload and edit): its fields, German errors, labels.

The form checks each field on its own to name the problem in German beside the field; the
values then go through the same validation as the API's (`ingest.metadata_sources.
validate_metadata` for an upload, `DocumentCurator.edit` for an edit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.metadata import (
    DocumentKind,
    RecordedMetadata,
    normalize_ring,
    normalize_visibility,
    parse_document_date,
)
from search_service.ui_views import KIND_LABELS, ring_label

VISIBILITY_LABELS = {
    "public": "Öffentlich",
    "programme": "Programm (alle Angemeldeten)",
    "ring": "Vergleichsring (nur seine Mitglieder)",
    "office": "Nur Geschäftsstelle",
}
TOPIC_SEPARATOR = re.compile(r"[,;\n]")
MAX_TEXT = 500


def visibility_label(visibility: str) -> str:
    """`ring:vr3,vr5` → `Vergleichsring VR 3, VR 5`; the others by `VISIBILITY_LABELS`."""
    if visibility.startswith("ring:"):
        rings = ", ".join(ring_label(ring) for ring in visibility[5:].split(","))
        return f"Vergleichsring {rings}"
    return VISIBILITY_LABELS.get(visibility, visibility).split(" (")[0]


def kind_options(*, blank: str | None = None) -> list[tuple[str, str]]:
    """The kinds for a select, with a first blank option when `blank` names it."""
    options = [(kind.value, KIND_LABELS.get(kind.value, kind.value)) for kind in DocumentKind]
    return [("", blank), *options] if blank else options


def visibility_options() -> list[tuple[str, str]]:
    """The visibilities for a select."""
    return list(VISIBILITY_LABELS.items())


@dataclass
class MetadataForm:
    """The fields of the metadata form as the office typed them (texts, never lost)."""

    title: str = ""
    kind: str = ""
    ring: str = ""
    date: str = ""
    job_centre: str = ""
    topics: str = ""
    visibility: str = "programme"
    visibility_rings: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> MetadataForm:
        """The form from posted fields (missing ones empty), texts cut at `MAX_TEXT`."""

        def text(name: str) -> str:
            return str(fields.get(name, ""))[:MAX_TEXT].strip()

        return cls(
            title=text("title"),
            kind=text("kind"),
            ring=text("ring"),
            date=text("date"),
            job_centre=text("job_centre"),
            topics=text("topics"),
            visibility=text("visibility"),
            visibility_rings=text("visibility_rings"),
        )

    @classmethod
    def from_metadata(cls, title: str, metadata: RecordedMetadata) -> MetadataForm:
        """The form filled with a document's metadata."""
        visibility, rings = metadata.visibility, ""
        if visibility.startswith("ring:"):
            visibility, rings = "ring", visibility[5:].replace(",", ", ")
        return cls(
            title=title,
            kind=metadata.kind,
            ring=ring_label(metadata.ring),
            date=metadata.date or "",
            job_centre=metadata.job_centre or "",
            topics=", ".join(metadata.topics),
            visibility=visibility,
            visibility_rings=rings,
        )

    def metadata(self, *, title_required: bool) -> dict[str, Any]:
        """The fields to send (empty ones left out, so they are inferred); fills `errors`."""
        values: dict[str, Any] = {}
        if self.title:
            values["title"] = self.title
        elif title_required:
            self.errors["title"] = "Bitte geben Sie einen Titel an."
        if self.kind:
            if self.kind in {kind.value for kind in DocumentKind}:
                values["kind"] = self.kind
            else:
                self.errors["kind"] = "Bitte wählen Sie eine der angebotenen Dokumentarten."
        ring = self._ring()
        if ring:
            values["ring"] = ring
        if self.date:
            try:
                parse_document_date(self.date)
                values["date"] = self.date
            except ValueError:
                self.errors["date"] = "Das Datum bitte als JJJJ-MM-TT, JJJJ-MM oder JJJJ angeben."
        if self.job_centre:
            values["job_centre"] = self.job_centre
        topics = [part.strip() for part in TOPIC_SEPARATOR.split(self.topics) if part.strip()]
        if topics:
            values["topics"] = topics
        visibility = self._visibility(ring)
        if visibility:
            values["visibility"] = visibility
        return values

    def _ring(self) -> str | None:
        if not self.ring:
            return None
        try:
            return normalize_ring(self.ring)
        except ValueError:
            self.errors["ring"] = "Den Vergleichsring bitte als Zahl oder wie „VR 3“ angeben."
            return None

    def _visibility(self, ring: str | None) -> str | None:
        if self.visibility not in VISIBILITY_LABELS:
            self.errors["visibility"] = "Bitte wählen Sie eine der angebotenen Sichtbarkeiten."
            return None
        if self.visibility != "ring":
            return self.visibility
        rings = self.visibility_rings or ring or ""
        if not rings:
            self.errors["visibility_rings"] = (
                "Für die Sichtbarkeit „Vergleichsring“ bitte die Ringe mit Zugriff angeben."
            )
            return None
        try:
            return normalize_visibility("ring:" + rings.replace(";", ","))
        except ValueError:
            self.errors["visibility_rings"] = (
                "Die Ringe bitte durch Komma getrennt angeben, etwa „VR 3, VR 5“."
            )
            return None
