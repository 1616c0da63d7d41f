"""Named collections side by side, one of them active: what a re-index builds and switches.

Qdrant Edge: each collection is a directory in the data directory. The first one is `qdrant/`
(so an existing data directory keeps working unchanged), later ones `qdrant-<UTC time>/`.

Qdrant server: each collection is `<name>-<UTC time>`, where `<name>` is
`BLOK_STORE__COLLECTION`; the service reads the alias `<name>`, which `publish` moves in one
`update_collection_aliases` call, Qdrant's atomic switch for every reader of the alias. The first
collection of an existing deployment is a real collection called `<name>`; an alias cannot take
a name a collection has, so the first switch deletes that collection and creates the alias in
one step after the other (the service's own searches are held by the switch lock meanwhile;
other readers of `<name>` see a short gap). qdrant-client's local mode supports aliases and
stands in for the server in the tests; a real server could not be run where this was written.

Which collection is active is recorded in the registry (`core.persistence.index_state`).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Protocol

from qdrant_client import QdrantClient
from qdrant_client import models as qm

from core.errors import StoreError
from pipelines.stores.base import SINGLE_NODE, ChunkStore, CollectionLayout
from pipelines.stores.client_store import QdrantClientChunkStore
from pipelines.stores.edge_store import EdgeChunkStore

FIRST_EDGE_COLLECTION = "qdrant"


def collection_stamp() -> str:
    """UTC time to the microsecond: collection names sort by when they were built."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")


def is_built_name(name: str, first: str) -> bool:
    """True for `<first>-<stamp>`, a name only a re-index gives (never a folder made by hand)."""
    return re.fullmatch(re.escape(first) + r"-\d{8}T\d{12}", name) is not None


class Collections(Protocol):
    """The collections of one service on one back end."""

    first: str
    swaps_store: bool  # True: the new collection's own store replaces the served one

    def names(self) -> list[str]:
        """Every collection of this service that exists."""

    def new_name(self) -> str:
        """A name no collection has."""

    def open(self, name: str) -> ChunkStore:
        """A store writing into (and reading from) the named collection."""

    def publish(self, name: str) -> None:
        """Make readers of the service's collection name read `name` (server: the alias)."""

    def drop(self, name: str) -> None:
        """Delete a collection (not the active one)."""

    def close(self) -> None:
        """Release connections."""


class EdgeCollections:
    """Collections as directories in the data directory."""

    first = FIRST_EDGE_COLLECTION
    swaps_store = True

    def __init__(self, data_dir: Path, layout: CollectionLayout = SINGLE_NODE) -> None:
        self.data_dir = data_dir
        self.layout = layout

    def path(self, name: str) -> Path:
        """The directory of a collection."""
        return self.data_dir / name

    def names(self) -> list[str]:
        """`qdrant` and every `qdrant-<stamp>` directory."""
        if not self.data_dir.is_dir():
            return []
        found = [
            p.name
            for p in self.data_dir.glob(f"{self.first}-*")
            if p.is_dir() and is_built_name(p.name, self.first)
        ]
        return ([self.first] if self.path(self.first).is_dir() else []) + sorted(found)

    def new_name(self) -> str:
        """`qdrant-<UTC time>`."""
        return f"{self.first}-{collection_stamp()}"

    def open(self, name: str) -> ChunkStore:
        """The Edge shard in the collection's directory (created by `ensure_collection`)."""
        return EdgeChunkStore(self.path(name), self.layout)

    def publish(self, name: str) -> None:
        """Nothing to do: the service's store object is exchanged instead."""

    def drop(self, name: str) -> None:
        """Remove the collection's directory (its store must be closed)."""
        shutil.rmtree(self.path(name), ignore_errors=True)

    def close(self) -> None:
        """Nothing is held open."""


class ClientCollections:
    """Collections on a Qdrant server, read through the alias `base`."""

    swaps_store = False

    def __init__(
        self,
        client: QdrantClient,
        base: str,
        *,
        owns_client: bool = True,
        layout: CollectionLayout = SINGLE_NODE,
    ) -> None:
        self.client = client
        self.first = base
        self.owns_client = owns_client
        self.layout = layout

    def _collection_names(self) -> list[str]:
        try:
            return [c.name for c in self.client.get_collections().collections]
        except Exception as exc:
            raise StoreError(f"Cannot reach the Qdrant server: {exc}") from exc

    def names(self) -> list[str]:
        """`<base>` (a collection of an existing deployment) and every `<base>-<stamp>`."""
        return sorted(
            name
            for name in self._collection_names()
            if name == self.first or is_built_name(name, self.first)
        )

    def new_name(self) -> str:
        """`<base>-<UTC time>`."""
        return f"{self.first}-{collection_stamp()}"

    def open(self, name: str) -> ChunkStore:
        """A store on the named collection sharing this client."""
        return QdrantClientChunkStore(self.client, name, owns_client=False, layout=self.layout)

    def alias_target(self) -> str | None:
        """The collection the alias points to, if there is an alias."""
        for alias in self.client.get_aliases().aliases:
            if alias.alias_name == self.first:
                return alias.collection_name
        return None

    def publish(self, name: str) -> None:
        """Point the alias at `name` in one atomic operation (see the module's docstring)."""
        if self.alias_target() is not None:
            operations: list[qm.AliasOperations] = [
                qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=self.first))
            ]
        else:
            operations = []
            if self.first in self._collection_names():
                self.client.delete_collection(self.first)  # the first collection, retired
        create = qm.CreateAlias(collection_name=name, alias_name=self.first)
        operations.append(qm.CreateAliasOperation(create_alias=create))
        self.client.update_collection_aliases(change_aliases_operations=operations)

    def drop(self, name: str) -> None:
        """Delete the collection if it exists."""
        if name in self._collection_names():
            self.client.delete_collection(name)

    def close(self) -> None:
        """Close the client if it is this object's own."""
        if self.owns_client:
            self.client.close()


def remove_leftovers(collections: Collections, active: str) -> list[str]:
    """Delete every collection but the active one (left by a crashed re-index); returns them.

    On a server the alias is first pointed at the active collection again, should a crash have
    come between the registry's commit and the alias's move.
    """
    if (
        isinstance(collections, ClientCollections)
        and active != collections.first
        and collections.alias_target() != active
    ):
        collections.publish(active)
    left = [name for name in collections.names() if name != active]
    for name in left:
        collections.drop(name)
    return left
