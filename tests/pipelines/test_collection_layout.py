"""A collection on a Qdrant cluster gets the shards, replicas and write consistency of the settings.

qdrant-client's local mode takes these parameters and ignores them (it is one process); a real
cluster is not available here, so the tests check that the settings reach every store and
collection set built for a server, that bad combinations are refused at start, and that the
local stand-in still creates and serves the collection with them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from qdrant_client import QdrantClient

from pipelines.stores import build_chunk_store, build_collections
from pipelines.stores.base import SINGLE_NODE, ChunkRecord, CollectionLayout
from pipelines.stores.client_store import QdrantClientChunkStore
from pipelines.stores.collections import ClientCollections, EdgeCollections
from tests.support.helpers import make_settings

CLUSTER = {"shards": 6, "replication_factor": 2, "write_consistency_factor": 2}


def test_a_server_store_and_its_collections_carry_the_cluster_layout(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, store={"backend": "server", "url": "http://127.0.0.1:1", **CLUSTER}
    )
    expected = CollectionLayout(shards=6, replication_factor=2, write_consistency_factor=2)
    store = build_chunk_store(settings)
    assert isinstance(store, QdrantClientChunkStore) and store.layout == expected
    store.close()
    client = QdrantClient(path=str(tmp_path / "local"))
    try:
        collections = build_collections(settings, client)
        assert isinstance(collections, ClientCollections)
        built = collections.open(collections.new_name())
        assert isinstance(built, QdrantClientChunkStore) and built.layout == expected
    finally:
        client.close()


def test_a_single_server_keeps_one_shard_and_one_copy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, store={"backend": "server", "url": "http://127.0.0.1:1"})
    store = build_chunk_store(settings)
    assert isinstance(store, QdrantClientChunkStore) and store.layout == SINGLE_NODE
    store.close()


def test_more_confirmations_than_copies_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="WRITE_CONSISTENCY_FACTOR"):
        make_settings(tmp_path, store={"replication_factor": 2, "write_consistency_factor": 3})


@pytest.mark.filterwarnings("ignore:Payload indexes have no effect")
def test_the_local_stand_in_creates_and_counts_a_collection_with_the_layout(
    tmp_path: Path,
) -> None:
    layout = CollectionLayout(shards=3, replication_factor=2, write_consistency_factor=1)
    client = QdrantClient(path=str(tmp_path / "local"))
    store = QdrantClientChunkStore(client, "blok_chunks", layout=layout)
    try:
        store.ensure_collection(384)
        assert store.count() == 0
    finally:
        store.close()


def test_a_new_collection_gets_the_hnsw_graph_of_the_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", store={"hnsw_m": 10, "hnsw_ef_construct": 40})
    store = build_chunk_store(settings)
    try:
        store.ensure_collection(8)
    finally:
        store.close()
    (config,) = settings.data_dir.rglob("edge_config.json")
    hnsw = json.loads(config.read_text(encoding="utf-8"))["hnsw_config"]
    assert (hnsw["m"], hnsw["ef_construct"]) == (10, 40)
    # a re-index's new collection too, and the server's through its layout
    collections = build_collections(settings)
    assert isinstance(collections, EdgeCollections)
    assert collections.layout == CollectionLayout(hnsw_m=10, hnsw_ef_construct=40)
    server = make_settings(
        tmp_path / "server",
        store={"backend": "server", "url": "http://127.0.0.1:1", "hnsw_m": 10},
    )
    remote = build_chunk_store(server)
    assert isinstance(remote, QdrantClientChunkStore) and remote.layout.hnsw_m == 10
    remote.close()


def test_the_default_graph_is_the_measured_one() -> None:
    assert (SINGLE_NODE.hnsw_m, SINGLE_NODE.hnsw_ef_construct) == (12, 64)
    assert SINGLE_NODE.int8 and SINGLE_NODE.oversampling == 2.0


def test_a_new_collection_keeps_an_int8_copy_unless_told_not_to(tmp_path: Path) -> None:
    configs = {}
    for quantization in ("int8", "none"):
        settings = make_settings(tmp_path / quantization, store={"quantization": quantization})
        store = build_chunk_store(settings)
        try:
            store.ensure_collection(8)
            store.upsert(
                [chunk_record(f"{n:08d}-0000-0000-0000-000000000000", n) for n in range(1, 4)]
            )
            # the dense search rescored with the full vectors finds the nearest first either way
            assert store.query_dense([1.0] + [0.0] * 7, [], 3)[0].chunk_id.startswith("00000001")
        finally:
            store.close()
        (config,) = settings.data_dir.rglob("edge_config.json")
        configs[quantization] = json.loads(config.read_text(encoding="utf-8"))["vectors"]["dense"]
    assert configs["int8"]["quantization_config"]["scalar"]["type"] == "int8"
    assert "quantization_config" not in configs["none"]


def chunk_record(chunk_id: str, n: int) -> ChunkRecord:
    """A chunk whose dense vector points further from the first axis the larger `n` is."""
    dense = [1.0 / n, 1.0 - 1.0 / n] + [0.0] * 6
    return ChunkRecord(chunk_id, dense, [n], [1.0], {"document_id": f"d{n}", "text": "x"})
