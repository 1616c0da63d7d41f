"""`ReindexWorker`: the app's one background thread for a re-index (`ingest.reindex`).

Owned by the app (created at start-up, stopped at shutdown). One re-index at a time: a second
start gets `ReindexRunningError` (409), as does one while another process re-indexes. At
start-up a marker left by a crashed re-index is cleared and its half-built collection removed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core.errors import ReindexRunningError
from core.persistence.index_state import reindex_message
from ingest.reindex import Reindexer
from ingest.reindex_report import ReindexProgress
from pipelines.stores import (
    Collections,
    QdrantClientChunkStore,
    active_collection,
    build_collections,
)
from pipelines.stores.collections import remove_leftovers
from search_service.context import ServiceContext

logger = logging.getLogger(__name__)
STOP_TIMEOUT_SECONDS = 120.0


class ReindexWorker:
    """Starts re-indexes in a thread and tells their progress."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.progress = ReindexProgress()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        try:
            self._clean_up_after_crash()
        except Exception:  # the service serves anyway; the next re-index tries again
            logger.exception("could not remove what a crashed re-index left")

    def _collections(self) -> Collections:
        """The collections of the service's back end (a server: through the served client)."""
        with self.context.store.current() as store:
            client = store.client if isinstance(store, QdrantClientChunkStore) else None
        return build_collections(self.context.settings, client)

    def _clean_up_after_crash(self) -> None:
        state = self.context.registry.index_state
        marker = state.marker()
        if marker is not None and marker.is_alive():
            return  # another process re-indexes right now
        if marker is not None:
            logger.warning("removing what the re-index into %s left", marker.collection)
            state.end_reindex()
        collections = self._collections()
        try:
            active = state.active_collection(collections.first)
            removed = remove_leftovers(collections, active)
        finally:
            collections.close()
        if removed:
            logger.warning("removed collections left by a crashed re-index: %s", removed)

    def start(self, *, actor: str, allow_losses: bool) -> ReindexProgress:
        """Begin a re-index (marker set before this returns) and run it in the background.

        Raises:
            ReindexRunningError: a re-index runs already (here or in another process).
            ConflictError: documents are being written right now.
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise ReindexRunningError("A re-index is running already; see its progress.")
            collections = self._collections()
            progress = ReindexProgress()
            reindexer = Reindexer(
                self.context.settings,
                self.context.registry,
                self.context.store,
                collections,
                actor=actor,
                allow_losses=allow_losses,
                progress=progress,
                stop=self._stop,
            )
            try:
                reindexer.begin()
            except BaseException:
                collections.close()
                raise
            self.progress = progress
            self._thread = threading.Thread(
                target=self._run, args=(reindexer, collections), name="blok-reindex", daemon=True
            )
            self._thread.start()
        return progress

    @staticmethod
    def _run(reindexer: Reindexer, collections: Collections) -> None:
        try:
            reindexer.run()
        except BaseException:  # run() reports its own failures; this is a bug
            logger.exception("the re-index thread ended unexpectedly")
        finally:
            collections.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running re-index; True when none runs (any more)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def stop(self) -> None:
        """Ask a running re-index to abort (the old collection keeps serving) and wait for it."""
        self._stop.set()
        if not self.wait(STOP_TIMEOUT_SECONDS):
            logger.error("the re-index thread did not stop within %s s", STOP_TIMEOUT_SECONDS)

    def status(self) -> dict[str, Any]:
        """This app's last re-index, the active collection, and another process's marker."""
        state = self.context.registry.index_state
        snapshot = self.progress.snapshot()
        marker = state.live_marker()
        if snapshot["state"] != "running" and marker is not None:
            snapshot["message"] = reindex_message(marker)
            snapshot["state"] = "running"
            snapshot["new_collection"] = marker.collection
        snapshot["active_collection"] = active_collection(
            self.context.settings, self.context.registry
        )
        return snapshot
