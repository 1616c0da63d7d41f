"""Run ingestion: discover files, skip unchanged ones, index the rest one file at a time.

A file is first marked `pending` in the registry (queries leave it out), then its chunks are
written, then it is marked `indexed` with its page texts. A changed file replaces its old version
atomically: one registry transaction marks the new version `indexed` and the old one `replaced`
(both hidden and shown switch at once, `core.serving`); then the old chunks and row go. A
file that fails leaves no chunks behind; a run that was killed leaves `pending` or `replaced`
rows, which the next run finishes before it starts. An e-mail is
ingested as its body plus one document per attachment (`ingest.sources`), each on its own.

The same content under a second path is one document with both paths (reported as `duplicate`).
A file over `BLOK_INGEST__MAX_FILE_MB` is rejected before it is read (`too_large`); one whose
processing passes `BLOK_INGEST__MAX_SECONDS_PER_FILE` is stopped (`timeout`): its page reader
runs in a child process that is killed then, the later steps are checked between each other and
the dense embedding before every batch (`pipelines.deadline`).
With `prune`, documents whose files under the ingested folders are all gone are deleted
(`ingest.lifecycle`).

Content the office withdrew (status `withdrawn`, `ingest.curation`) stays withdrawn when its file
is ingested again: it is reported as `held`, never indexed anew, and `--prune` leaves it to the
office. Should its file change, the new content is a new document; the withdrawn version loses
that path like any replaced version.

A file may be recorded under another path than its own (`ingest_path(..., source_path=)`): the
service stores uploads under server-chosen names, and the recorded `source_path` (the file's path
on the office's machine) is what identifies the document's versions, as in a local ingest.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from core.errors import FileTooLargeError, NotFoundError
from core.names import clean_name
from core.persistence.registry import DocumentRecord, Registry, utc_now_text
from core.settings import Settings
from ingest.discovery import discover_files_with_roots
from ingest.failures import failure_entry
from ingest.file_indexer import FileIndexer, IndexedFile
from ingest.identity import file_sha256, index_key
from ingest.known_content import known_content
from ingest.lifecycle import (
    delete_document,
    forget_path,
    keep_source,
    prune_missing,
    replaced_versions,
)
from ingest.metadata_sources import ManifestReader, resolve_metadata
from ingest.report import IngestReport, ReportEntry
from ingest.sources import ExpandedFile, Source, expand_mail, is_mail
from pipelines.deadline import Deadline
from pipelines.stores import ChunkStore, build_chunk_store

Progress = Callable[[Path, ReportEntry], None]
T = TypeVar("T")


class IngestRunner:
    """Ingest files into one store and registry."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        registry: Registry,
        *,
        actor: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        # Who deletions of replaced versions are audited under (None: `cli:<os user>`).
        self.actor = actor
        # Told the ids a file is about to write (and the versions it replaces), before it does:
        # an ingest job records them, so that another process's recovery leaves them alone.
        self.on_writing: Callable[[list[str]], None] | None = None
        # The indexing pipeline; the re-index indexes through it too (`ingest.reindex`).
        self.indexer = FileIndexer(settings, store)
        self._manifests = ManifestReader()

    def close(self) -> None:
        """Stop the pipeline's page-reader process; the next file builds the pipeline again."""
        self.indexer.close()

    def recover_interrupted(
        self, *, keep: frozenset[str] = frozenset(), before: str | None = None
    ) -> int:
        """Finish what a killed run left: remove `pending` documents and `replaced` versions.

        A `replaced` row's successor is indexed (the same transaction said so); only its chunks,
        row and kept original are left to remove. Rows in `keep` (what live workers of other
        processes are writing) stay, and so do `pending` rows from `before` (a registry time)
        on: another process may have begun them since. Returns the number of rows cleaned up.
        """
        replaced = [
            record
            for record in self.registry.documents.list_documents(status="replaced")
            if record.document_id not in keep
        ]
        for record in replaced:
            with suppress(NotFoundError):  # another process removed it meanwhile
                delete_document(
                    self.store,
                    self.registry,
                    self.settings.sources_dir,
                    record.document_id,
                    actor=self.actor,
                )
        pending = [
            record
            for record in self.registry.documents.list_documents(status="pending")
            if record.document_id not in keep and (before is None or record.ingested_at < before)
        ]
        for record in pending:
            self.store.delete_document(record.document_id)
            self.registry.documents.delete(record.document_id)
        return len(replaced) + len(pending)

    def recover_unheld(self, *, owner: str = "") -> int:
        """`recover_interrupted`, but leave what live upload workers other than `owner` write
        (their jobs name it) and what was begun from now on (`search_service.ingest_jobs`)."""
        before = utc_now_text()
        keep = self.registry.ingest_jobs.written_by_others(owner, now=time.time())
        return self.recover_interrupted(keep=frozenset(keep), before=before)

    def run(
        self, paths: list[Path], progress: Progress | None = None, *, prune: bool = False
    ) -> IngestReport:
        """Ingest every file under `paths`; one failing file never stops the batch.

        With `prune`, afterwards delete documents whose files under the given folders are gone.
        """
        self.registry.index_state.refuse_during_reindex()
        started = time.perf_counter()
        report = IngestReport()
        self.recover_unheld()
        for path, root in discover_files_with_roots(paths):
            entries = self.ingest_path(path, root)
            for entry in entries:
                entry.path = str(path)
            report.entries += entries
            if progress:
                progress(path, entries[0])
        if prune:
            folders = [path for path in paths if path.is_dir()]
            sources = self.settings.sources_dir
            for record in prune_missing(self.store, self.registry, sources, folders):
                report.entries.append(
                    ReportEntry(
                        record.source_name,
                        "deleted",
                        record.document_id,
                        record.page_count,
                        record.chunk_count,
                        reason="its files are gone",
                        path=record.source_path,
                    )
                )
        if report.count("indexed"):
            self.store.optimize()
        report.seconds = time.perf_counter() - started
        return report

    def ingest_path(
        self, path: Path, root: Path | None = None, *, source_path: str | None = None
    ) -> list[ReportEntry]:
        """Index one file found under folder `root` (an e-mail: its body and each attachment).

        `source_path` is the path the document is recorded under (default: the file's path).

        Raises:
            ReindexRunningError: a re-index is running (its switch would lose this write).
        """
        self.registry.index_state.refuse_during_reindex()
        root = root or path.parent
        source_path = source_path or str(path)
        if not is_mail(path):
            return [self.ingest_file(Source(path, clean_name(path.name), source_path), root)]
        with tempfile.TemporaryDirectory(prefix="blok-mail-") as folder:

            def expand() -> ExpandedFile:
                self._check_size(path)
                metadata = resolve_metadata(
                    path,
                    self.settings.access.default_visibility,
                    root=root,
                    manifests=self._manifests,
                ).metadata
                return expand_mail(
                    path, file_sha256(path)[:16], metadata, Path(folder), source_path=source_path
                )

            expanded = self._guarded(path.name, expand)
            if isinstance(expanded, ReportEntry):
                return [expanded]
            entries = [self.ingest_file(source, root) for source in expanded.sources]
            return entries + expanded.skipped

    def ingest_file(self, source: Path | Source, root: Path | None = None) -> ReportEntry:
        """Index one file (or one part of a file) found under folder `root`, or say why not.

        Raises:
            ReindexRunningError: a re-index is running (its switch would lose this write).
        """
        self.registry.index_state.refuse_during_reindex()
        if isinstance(source, Path):
            source = Source(source, clean_name(source.name), str(source))
        fixed = source  # not reassigned: the closure below sees a `Source`
        started = time.perf_counter()
        folder = root or fixed.path.parent
        entry = self._guarded(fixed.display_name, lambda: self._ingest(fixed, folder))
        entry.seconds = time.perf_counter() - started
        return entry

    def _guarded(self, name: str, work: Callable[[], T]) -> T | ReportEntry:
        """Run `work`; a failure of this file becomes its report entry."""
        try:
            return work()
        except Exception as exc:  # a bug or a library failure must not end the batch
            return failure_entry(name, exc, self.settings.ingest.max_seconds_per_file)

    def _check_size(self, path: Path) -> None:
        reason = self.settings.ingest.too_large_reason(path.name, path.stat().st_size)
        if reason is not None:
            raise FileTooLargeError(reason)

    def _ingest(self, source: Source, root: Path) -> ReportEntry:
        path = source.path
        self._check_size(path)
        self.indexer.prepare()  # model and page reader: not counted against the file's time
        deadline = Deadline.after(self.settings.ingest.max_seconds_per_file)
        sha256 = file_sha256(path)
        if source.metadata is not None:  # a part of a file: its metadata comes with it
            document_metadata, missing = source.metadata, []
        else:
            resolved = resolve_metadata(
                path, self.settings.access.default_visibility, root=root, manifests=self._manifests
            )
            document_metadata, missing = resolved.metadata, resolved.missing
        metadata = {**document_metadata.model_dump(mode="json"), **source.links}
        key = index_key(metadata, self.settings)
        known = known_content(self.registry, self.settings.sources_dir, source, sha256, key)
        if known is not None:
            return known
        record = pending_record(source, sha256, metadata, key)
        payload = {**document_metadata.payload_fields(), **source.links, "infer_fields": missing}
        indexed = self._index_and_commit(source, record, payload, missing, deadline)
        return ReportEntry(
            source.display_name,
            "indexed",
            record.document_id,
            len(indexed.pages),
            indexed.chunk_count,
            skipped_pages=indexed.skipped_pages,
            extraction=indexed.extraction,
        )

    def _index_and_commit(
        self,
        source: Source,
        record: DocumentRecord,
        payload: dict[str, Any],
        missing: list[str],
        deadline: Deadline,
    ) -> IndexedFile:
        """Write the chunks while `pending`, then commit: indexed, its old versions replaced."""
        document_id = record.document_id
        replaced = replaced_versions(self.registry, source.source_path, document_id)
        if self.on_writing is not None:
            self.on_writing([document_id, *replaced])
        with self._cleanup_on_failure(document_id):
            self.registry.documents.mark_pending(record)
            indexed = self.indexer.index_file(source.path, record, payload, missing, deadline)
            # before the commit: an indexed document has its file
            keep_source(self.settings.sources_dir, source.path, record.sha256)
            self.registry.documents.mark_indexed(
                document_id,
                indexed.pages,
                indexed.chunk_count,
                title=indexed.metadata["title"],
                metadata=indexed.metadata,
                methods=indexed.methods,
                replaces=replaced,
            )
        for old_id in replaced:
            with suppress(NotFoundError):  # the recovery of another process was quicker
                delete_document(
                    self.store, self.registry, self.settings.sources_dir, old_id, actor=self.actor
                )
        self._delete_replaced_versions(source.source_path, document_id)
        return indexed

    @contextmanager
    def _cleanup_on_failure(self, document_id: str) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.store.delete_document(document_id)
            self.registry.documents.delete(document_id)
            raise

    def _delete_replaced_versions(self, source_path: str, document_id: str) -> None:
        """The file at `source_path` now holds other content: its old documents lose the path."""
        for old in self.registry.documents.find_by_path(source_path):
            if old.document_id != document_id:
                forget_path(
                    self.store,
                    self.registry,
                    self.settings.sources_dir,
                    old.document_id,
                    source_path,
                    actor=self.actor,
                )


def pending_record(
    source: Source, sha256: str, metadata: dict[str, Any], key: str
) -> DocumentRecord:
    """The registry row of a new document while its chunks are written (`pending`)."""
    return DocumentRecord(
        document_id=sha256[:16],
        sha256=sha256,
        source_path=source.source_path,
        source_name=clean_name(source.path.name),
        title=metadata["title"],
        metadata=metadata,
        index_key=key,
        status="pending",
        page_count=0,
        chunk_count=0,
        ingested_at="",
    )


def run_ingest(
    settings: Settings,
    paths: list[Path],
    progress: Progress | None = None,
    store: ChunkStore | None = None,
    *,
    prune: bool = False,
) -> IngestReport:
    """Open the store (unless given) and the registry, ingest, close them again."""
    registry = Registry.open(settings)
    store = store or build_chunk_store(settings, registry)
    runner = IngestRunner(settings, store, registry)
    try:
        return runner.run(paths, progress, prune=prune)
    finally:
        runner.close()
        store.close()
        registry.close()
