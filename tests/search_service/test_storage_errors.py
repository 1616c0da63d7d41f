"""A data directory that cannot be written says so: `storage_unavailable`, the folder named.

The tests run as root, which ignores permission bits, so a folder is made unwritable by putting
a file where the folder belongs. An upload into such an uploads folder is 503
`storage_unavailable` naming the uploads folder (never its path) and keeps nothing; `/ready` is
not ready with the same reason; an ingest into such a sources folder reports each file as
`storage_unavailable` with the reason and leaves no chunk and no registry row behind.

A disk with less room than `BLOK_UPLOAD__MIN_FREE_DISK_MB` (here: more than any disk has) is the
same 503 before the upload is read, and `/ready` gives the room in MB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.errors import StorageError
from core.persistence.registry import Registry
from core.storage import check_room
from ingest.runner import run_ingest
from pipelines.stores import build_chunk_store
from search_service.app import SECURITY_HEADERS, create_app
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings, sign_in

pytestmark = pytest.mark.model

TEXT = "# Bericht\n\nDas Jobcenter Auenwald begleitet Alleinerziehende bei der Arbeitsaufnahme.\n"


@pytest.fixture(scope="module")
def blocked_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a data directory whose `uploads` and `sources` are files, not folders."""
    data_dir = tmp_path_factory.mktemp("blocked") / "data"
    data_dir.mkdir()
    (data_dir / "uploads").write_text("kein Ordner", encoding="utf-8")
    (data_dir / "sources").write_text("kein Ordner", encoding="utf-8")
    with TestClient(create_app(make_settings(data_dir))) as client:
        context_of(client).accounts.create_account(
            "buero", roles=["office"], rings=[], password=TEST_PASSWORD
        )
        client.headers.update(sign_in(client, "buero", TEST_PASSWORD))
        yield client


def test_an_upload_into_an_unwritable_uploads_folder_is_a_503_naming_it(
    blocked_app: TestClient,
) -> None:
    response = blocked_app.post("/v1/documents", files=[("files", ("bericht.md", TEXT.encode()))])
    assert response.status_code == 503
    assert_error_shape(response.json(), "storage_unavailable")
    message = response.json()["error"]["message"]
    assert "uploads folder" in message and "cannot be written" in message
    assert str(context_of(blocked_app).settings.data_dir) not in message
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert blocked_app.get("/v1/ingest/jobs").json()["jobs"] == []  # nothing queued


def test_ready_says_why_it_is_not_ready_without_a_path(blocked_app: TestClient) -> None:
    anonymous = TestClient(blocked_app.app)  # no credentials, the same running app
    for response in (blocked_app.get("/ready"), anonymous.get("/ready")):
        assert response.status_code == 503
        assert_error_shape(response.json(), "storage_unavailable")
        assert "uploads folder" in response.json()["error"]["message"]
        assert str(context_of(blocked_app).settings.data_dir) not in response.text


def test_an_ingest_into_an_unwritable_sources_folder_names_the_reason(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    settings.sources_dir.write_text("kein Ordner", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bericht.md").write_text(TEXT, encoding="utf-8")
    report = run_ingest(settings, [corpus])
    (entry,) = report.entries
    assert entry.status == "skipped" and entry.code == "storage_unavailable"
    assert entry.reason is not None and "sources folder" in entry.reason
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    try:
        assert registry.documents.list_documents() == []  # nothing half-indexed
        assert store.count([]) == 0
    finally:
        store.close()
        registry.close()


def test_a_nearly_full_disk_refuses_uploads_and_is_not_ready(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", upload={"min_free_disk_mb": 1e12})
    with TestClient(create_app(settings)) as client:
        context_of(client).accounts.create_account(
            "buero", roles=["office"], rings=[], password=TEST_PASSWORD
        )
        client.headers.update(sign_in(client, "buero", TEST_PASSWORD))
        response = client.post("/v1/documents", files=[("files", ("bericht.md", TEXT.encode()))])
        assert response.status_code == 503
        assert_error_shape(response.json(), "storage_unavailable")
        message = response.json()["error"]["message"]
        assert "MB free" in message and "BLOK_UPLOAD__MIN_FREE_DISK_MB" in message
        assert str(settings.data_dir) not in message
        assert client.get("/v1/ingest/jobs").json()["jobs"] == []  # nothing queued
        assert not any(settings.uploads_dir.iterdir())  # nothing kept
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "MB free" in ready.json()["error"]["message"]


def test_the_room_check_counts_the_incoming_upload() -> None:
    mb = 1_000_000
    check_room("uploads", 500 * mb, 200)  # 300 MB over the minimum
    check_room("uploads", 500 * mb, 200, incoming_bytes=300 * mb)  # exactly the minimum left
    with pytest.raises(StorageError, match="400 MB more would leave less than the 200 MB"):
        check_room("uploads", 500 * mb, 200, incoming_bytes=400 * mb)
    with pytest.raises(StorageError, match="has 150 MB free, less than the 200 MB"):
        check_room("sources", 150 * mb, 200)
    check_room("sources", 0, 0)  # 0 turns the check off
