"""The ingest report: one entry per file, and a summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# `duplicate`: the same content is indexed under another path (recorded as a second path);
# `deleted`: a document `--prune` deleted because its files are gone;
# `held`: content the office withdrew (`POST /v1/documents/{id}/withdraw`); it stays withdrawn.
EntryStatus = Literal["indexed", "unchanged", "skipped", "duplicate", "deleted", "held"]
# Summary keys (the JSON of `--json` and of `GET /v1/ingest/jobs/{id}`) and their words in the
# rendered summary; `withdrawn` is the published key of the `deleted` count.
SUMMARY_EXTRAS = {"duplicates": "duplicates", "withdrawn": "deleted", "held": "held"}


@dataclass
class ReportEntry:
    """What happened to one file; `seconds` is its wall time, `extraction` the pages and
    conversion seconds per extraction method (`text`, `ocr`) of an indexed file."""

    source: str
    status: EntryStatus
    document_id: str | None = None
    pages: int = 0
    chunks: int = 0
    code: str | None = None
    reason: str | None = None
    skipped_pages: list[dict[str, Any]] = field(default_factory=list)
    path: str | None = None
    seconds: float = 0.0
    extraction: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class IngestReport:
    """All entries of one ingest run."""

    entries: list[ReportEntry] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: EntryStatus) -> int:
        """Entries with this status."""
        return sum(entry.status == status for entry in self.entries)

    def summary(self) -> dict[str, Any]:
        """Totals of the run."""
        indexed = [entry for entry in self.entries if entry.status == "indexed"]
        return {
            "files": len(self.entries) - self.count("deleted"),
            "indexed": len(indexed),
            "unchanged": self.count("unchanged"),
            "skipped": self.count("skipped"),
            "duplicates": self.count("duplicate"),
            "withdrawn": self.count("deleted"),
            "held": self.count("held"),
            "pages": sum(entry.pages for entry in indexed),
            "chunks": sum(entry.chunks for entry in indexed),
            "seconds": round(self.seconds, 2),
        }

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable report."""
        return {"summary": self.summary(), "entries": [asdict(e) for e in self.entries]}

    def render(self) -> str:
        """A human-readable summary with every skipped file and its reason."""
        totals = self.summary()
        extra = "".join(
            f", {totals[key]} {word}" for key, word in SUMMARY_EXTRAS.items() if totals[key]
        )
        lines = [
            f"{totals['files']} files: {totals['indexed']} indexed, {totals['unchanged']} "
            f"unchanged, {totals['skipped']} skipped{extra}; {totals['pages']} pages, "
            f"{totals['chunks']} chunks in {totals['seconds']:.1f} s"
        ]
        for entry in self.entries:
            if entry.status == "skipped":
                lines.append(f"  skipped {entry.source}: [{entry.code}] {entry.reason}")
            elif entry.status == "duplicate":
                lines.append(f"  duplicate {entry.source}: {entry.reason}")
            elif entry.status == "held":
                lines.append(f"  held {entry.source}: {entry.reason}")
            elif entry.status == "deleted":
                lines.append(f"  deleted {entry.document_id} ({entry.path}): {entry.reason}")
            for page in entry.skipped_pages:
                lines.append(f"  page {page['page']} of {entry.source} left out: {page['reason']}")
        return "\n".join(lines)
