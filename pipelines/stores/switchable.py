"""`SwitchableChunkStore`: a chunk store whose collection can be exchanged while it serves.

The query pipeline gets its store once, when it is built. To serve a freshly
built collection without rebuilding it, the service gives it this store, which delegates
every call to the current one. `switch_to` waits until the calls in flight have finished, keeps
new calls waiting meanwhile (a readers–writer lock that prefers the writer, so a steady stream
of searches cannot starve the switch), runs the caller's commit (the registry transaction) and
exchanges the store, all while no call runs; so no call ever sees the new registry state with
the old collection or the other way round. The old store is closed afterwards.

New store methods are delegated the same way: `with self.current() as store: ...`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from core.filters import Condition
from pipelines.stores.base import ChunkRecord, ChunkStore, ScoredChunk


class ReadersWriterLock:
    """Many readers or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the lock shared."""
        with self._condition:
            while self._writer or self._writers_waiting:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock alone, once every reader has left."""
        with self._condition:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._condition.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._condition:
                self._writer = False
                self._condition.notify_all()


class SwitchableChunkStore:
    """Delegates to the current store; `switch_to` exchanges it atomically."""

    def __init__(self, store: ChunkStore) -> None:
        self._store = store
        self._lock = ReadersWriterLock()

    @contextmanager
    def current(self) -> Iterator[ChunkStore]:
        """The current store, which stays current (and open) until the block ends."""
        with self._lock.reading():
            yield self._store

    def switch_to(
        self, new_store: ChunkStore | None, commit: Callable[[], None] | None = None
    ) -> ChunkStore | None:
        """Run `commit` and put `new_store` in place while no call runs; returns the old store.

        The old store is closed after the exchange (no call can still use it). `new_store` None
        keeps the store (a server back end whose alias moved inside `commit`). When `commit`
        raises, nothing is exchanged and the error propagates.
        """
        with self._lock.writing():
            if commit is not None:
                commit()
            if new_store is None:
                return None
            old, self._store = self._store, new_store
        old.close()
        return old

    def ensure_collection(self, dense_dim: int) -> None:
        """Create the collection and its payload indexes if they do not exist."""
        with self.current() as store:
            store.ensure_collection(dense_dim)

    def upsert(self, chunks: list[ChunkRecord]) -> None:
        """Insert or replace chunks by id."""
        with self.current() as store:
            store.upsert(chunks)

    def delete_document(self, document_id: str) -> None:
        """Remove every chunk of one document."""
        with self.current() as store:
            store.delete_document(document_id)

    def set_payload(self, document_id: str, payload: dict[str, Any]) -> None:
        """Set payload fields on every chunk of one document; vectors stay as they are."""
        with self.current() as store:
            store.set_payload(document_id, payload)

    def count(self, conditions: list[Condition] | None = None) -> int:
        """Exact number of chunks matching all conditions."""
        with self.current() as store:
            return store.count(conditions)

    def query_dense(
        self, vector: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Nearest chunks by cosine similarity of the dense vector."""
        with self.current() as store:
            return store.query_dense(vector, conditions, limit)

    def query_sparse(
        self, indices: list[int], values: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Best chunks by BM25."""
        with self.current() as store:
            return store.query_sparse(indices, values, conditions, limit)

    def optimize(self) -> None:
        """Build indexes after a batch of writes."""
        with self.current() as store:
            store.optimize()

    def close(self) -> None:
        """Close the current store (waits for calls in flight)."""
        with self._lock.writing():
            self._store.close()
