"""A data directory that cannot be written says so: `storage_unavailable`, the folder named.

The tests run as root, which ignores permission bits, so a folder is made unwritable by putting
a file where the folder belongs. An upload into such an uploads folder is 503
`storage_unavailable` naming the uploads folder (never its path) and keeps nothing; `/ready` is
not ready with the same reason; an ingest into such a sources folder reports each file as
`storage_unavailable` with the reason and leaves no chunk and no registry row behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.persistence.registry import Registry
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
