"""Re-index every document into a fresh collection, then switch to it in one step.

For when the embedding model, the chunking or the cleaning changed (`INDEX_FORMAT_VERSION`), or
for a clean rebuild. Searches keep working on the active collection meanwhile:

1. A marker in the registry says a re-index runs (`core.persistence.index_state`); writers refuse
   with 409 until it is gone, so no write to the old collection gets lost. Collections left by a
   crashed re-index are removed first.
2. Every indexed document is indexed again from its kept original (`DATA_DIR/sources/`) and its
   stored metadata, with the ingest's own pipeline (`IngestRunner.index_file`), into a new
   collection next to the active one. Document ids and chunk ids stay. Page texts and counts go
   to staging tables. Documents that changed meanwhile (fingerprint) are done again.
3. When every document succeeded (or `allow_losses` accepts deleting the failed ones), one step
   under the switch lock of the served store (`SwitchableChunkStore`) commits the registry
   (staged pages and counts, the active collection, the serving generation) and exchanges the
   store. Then the old collection is deleted. A failure of any document otherwise aborts: the
   new collection is deleted and the old one keeps serving; nothing is lost.

A crash at any point before the commit leaves the old collection active; the half-built one is
removed at the next start of the service or the next re-index.
"""

from __future__ import annotations

import logging
import threading

from core.audit_actions import AuditAction
from core.document_snapshot import DocumentSnapshot
from core.errors import ConflictError, ErrorCode, find_domain_error
from core.persistence.index_state import (
    ReindexMarker,
    StagedDocument,
    document_fingerprint,
)
from core.persistence.registry import DocumentRecord, Registry, utc_now_text
from core.settings import Settings
from ingest.failures import BATCH_ERRORS
from ingest.lifecycle import kept_sources
from ingest.reindex_documents import prepare_document
from ingest.reindex_report import ReindexFailure, ReindexProgress, ReindexState
from ingest.runner import IngestRunner
from pipelines.deadline import Deadline
from pipelines.stores import ChunkStore, Collections, SwitchableChunkStore, active_collection
from pipelines.stores.collections import remove_leftovers

logger = logging.getLogger(__name__)
# Passes over documents that changed while the previous pass ran; then the re-index gives up.
MAX_CATCH_UP_PASSES = 3
TRANSIENT_STATUSES = ("pending", "replaced")


class Reindexer:
    """One re-index of the documents in `registry` behind the served `store`."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        store: SwitchableChunkStore,
        collections: Collections,
        *,
        actor: str,
        allow_losses: bool = False,
        progress: ReindexProgress | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.collections = collections
        self.actor = actor
        self.allow_losses = allow_losses
        self.progress = progress or ReindexProgress()
        self.stop = stop or threading.Event()
        self.state = registry.index_state
        self.audit = registry.audit
        self._failed: dict[str, str] = {}  # document id → fingerprint of the failed version

    def begin(self) -> None:
        """Set the marker and clean up; raises `ConflictError` when a re-index or ingest runs."""
        old = active_collection(self.settings, self.registry)
        new = self.collections.new_name()
        self.state.begin_reindex(ReindexMarker(new, utc_now_text(), self.actor))
        try:
            remove_leftovers(self.collections, old)
            self.audit.record(
                actor=self.actor,
                action=AuditAction.REINDEX_START,
                target=new,
                before={"collection": old},
                after={"collection": new, "allow_losses": self.allow_losses},
            )
        except BaseException:
            self.state.end_reindex()  # writers must not stay blocked
            raise
        self.progress.update(
            state="running",
            old_collection=old,
            new_collection=new,
            allow_losses=self.allow_losses,
            actor=self.actor,
            started_at=utc_now_text(),
        )

    def run(self) -> ReindexProgress:
        """Begin (unless begun), build, switch or abort; returns the progress with the outcome."""
        if self.progress.state != "running":
            self.begin()
        new = str(self.progress.new_collection)
        build = self.collections.open(new)
        swapped = False
        runner = IngestRunner(self.settings, build, self.registry)
        try:
            self._index_all(runner, build)
            if self.stop.is_set():
                return self._abort(build, "stopped before the switch (the service is stopping)")
            if self._failed and not self.allow_losses:
                failed = len(self._failed)
                return self._abort(build, f"{failed} document(s) failed; nothing was switched")
            build.optimize()
            lost = self._switch(build)
            swapped = True
        except Exception as exc:
            logger.exception("re-index into %s failed", new)
            domain_error = find_domain_error(exc)
            message = domain_error.message if domain_error else f"{type(exc).__name__}: {exc}"
            state: ReindexState = "aborted" if isinstance(domain_error, ConflictError) else "failed"
            return self._abort(build, message, state=state)
        finally:
            runner.close()
            if not swapped or not self.collections.swaps_store:
                build.close()
        self._finish(lost)
        return self.progress

    def _index_all(self, runner: IngestRunner, build: ChunkStore) -> None:
        """Index every indexed document, then catch up with documents that changed meanwhile."""
        for _ in range(1 + MAX_CATCH_UP_PASSES):
            todo, gone = self._outstanding()
            for document_id in gone:
                build.delete_document(document_id)
                self.state.unstage(document_id)
            if not todo:
                return
            self.progress.update(documents_total=self.progress.documents_total + len(todo))
            for record in todo:
                if self.stop.is_set():
                    return
                self._index_one(runner, build, record)
        raise ConflictError("Documents kept changing during the re-index; run it again.")

    def _documents(self) -> list[DocumentRecord]:
        """Every document that has chunks to carry over: all but those in transit.

        `pending` ones are being written (a re-index does not start then) and `replaced` ones
        are about to go; any other status (`indexed`, or one that hides a document without
        deleting it) keeps its chunks, so the new collection must hold them too.
        """
        return [
            r
            for r in self.registry.documents.list_documents()
            if r.status not in TRANSIENT_STATUSES
        ]

    def _outstanding(self) -> tuple[list[DocumentRecord], list[str]]:
        """Indexed documents not staged in their current version; staged ones gone since."""
        staged = self.state.staged_fingerprints()
        current = self._documents()
        todo = [
            record
            for record in current
            if staged.get(record.document_id) != document_fingerprint(record)
            and self._failed.get(record.document_id) != document_fingerprint(record)
        ]
        present = {record.document_id for record in current}
        for document_id in [d for d in self._failed if d not in present]:
            del self._failed[document_id]
        return todo, [document_id for document_id in staged if document_id not in present]

    def _index_one(self, runner: IngestRunner, build: ChunkStore, record: DocumentRecord) -> None:
        fingerprint = document_fingerprint(record)
        try:
            kept, start, payload, missing = prepare_document(self.settings, record)
            runner.indexer.prepare()  # model and page reader, outside the document's time
            deadline = Deadline.after(self.settings.ingest.max_seconds_per_file)
            indexed = runner.indexer.index_file(kept, start, payload, missing, deadline)
        except Exception as exc:
            self._record_failure(build, record, fingerprint, exc)
            return
        self.state.stage(
            StagedDocument(
                document_id=record.document_id,
                fingerprint=fingerprint,
                title=str(indexed.metadata["title"]),
                metadata=indexed.metadata,
                index_key=start.index_key,
                pages=indexed.pages,
                methods=indexed.methods,
                chunk_count=indexed.chunk_count,
            )
        )
        self._failed.pop(record.document_id, None)
        self.progress.update(
            documents_done=self.progress.documents_done + 1,
            chunks=self.progress.chunks + indexed.chunk_count,
        )

    def _record_failure(
        self, build: ChunkStore, record: DocumentRecord, fingerprint: str, exc: Exception
    ) -> None:
        domain_error = find_domain_error(exc)
        if isinstance(domain_error, BATCH_ERRORS):
            raise domain_error from exc  # no document can be indexed: stop
        build.delete_document(record.document_id)
        self.state.unstage(record.document_id)
        self._failed[record.document_id] = fingerprint
        if domain_error is not None:
            code, reason = domain_error.code.value, domain_error.message
        else:
            code, reason = ErrorCode.INTERNAL.value, f"{type(exc).__name__}: {exc}"
        failures = [f for f in self.progress.failures if f.document_id != record.document_id]
        failure = ReindexFailure(record.document_id, record.title, code, reason)
        self.progress.update(
            failures=[*failures, failure], documents_done=self.progress.documents_done + 1
        )

    def _switch(self, build: ChunkStore) -> list[DocumentRecord]:
        """Commit the registry and exchange the store while no query runs; returns the lost.

        The lost documents (they failed and `allow_losses` accepted it) are deleted in the commit.
        """
        new = str(self.progress.new_collection)
        lost = tuple(sorted(self._failed))
        records = {r.document_id: r for r in self._documents()}

        def commit() -> None:
            todo, gone = self._outstanding()
            if todo or gone:
                raise ConflictError("Documents changed during the switch; run the re-index again.")
            self.state.commit_reindex(new, lost)
            self.collections.publish(new)

        self.store.switch_to(build if self.collections.swaps_store else None, commit)
        return [records[document_id] for document_id in lost]  # checked in `commit`

    def _finish(self, lost: list[DocumentRecord]) -> None:
        """After the switch: delete the old collection, the originals of the lost documents.

        The progress lists the lost documents under `withdrawn` (the name in the API's JSON).
        """
        old = str(self.progress.old_collection)
        try:
            self.collections.drop(old)
            for record in lost:
                self._forget_deleted(record)
        except Exception:  # the switch stands; the next start removes the old collection
            logger.exception("cleaning up after the switch to %s", self.progress.new_collection)
        self.progress.update(
            state="switched",
            withdrawn=[record.document_id for record in lost],
            finished_at=utc_now_text(),
            message=f"{self.progress.new_collection} serves; {old} was deleted.",
        )
        self._audit_finish()

    def _forget_deleted(self, record: DocumentRecord) -> None:
        """Remove the kept original of a document the commit deleted; audit the deletion."""
        if not self.registry.documents.has_content(record.sha256):
            for path in kept_sources(self.settings.sources_dir, record.sha256):
                path.unlink(missing_ok=True)
        self.audit.record(
            actor=self.actor,
            action=AuditAction.DOCUMENT_DELETE,
            target=record.document_id,
            before=DocumentSnapshot.of(record, [record.source_path]).audit_state(),
        )

    def _abort(
        self, build: ChunkStore, message: str, *, state: ReindexState = "aborted"
    ) -> ReindexProgress:
        build.close()
        new = str(self.progress.new_collection)
        if active_collection(self.settings, self.registry) == new:
            # The registry committed, then the server's alias could not be moved; the next
            # start of the service points the alias at the registry's active collection.
            message += f"; the registry names {new} active: restart the service to repair."
        else:
            self.collections.drop(new)
            self.state.end_reindex()
            message += f"; {self.progress.old_collection} still serves."
        self.progress.update(state=state, finished_at=utc_now_text(), message=message)
        self._audit_finish()
        return self.progress

    def _audit_finish(self) -> None:
        snapshot = self.progress.snapshot()
        after = {
            key: snapshot[key]
            for key in ("state", "documents_total", "documents_done", "chunks", "withdrawn")
        }
        after["failed"] = [failure["document_id"] for failure in snapshot["failures"]]
        self.audit.record(
            actor=self.actor,
            action=AuditAction.REINDEX_FINISH,
            target=str(self.progress.new_collection),
            before={"collection": self.progress.old_collection},
            after=after,
        )
