"""Upload jobs take turns: a small upload does not wait behind every file of a large one.

The first job has three PDFs of blank pages, each stopped at the per-file limit; a small upload
sent right after it is ingested after the first job's first file, while the large job still has
files to go.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from search_service.app import create_app
from tests.search_service.test_upload import entries_of, upload, wait_for_job
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings, sign_in
from tests.support.slow_files import blank_pages_pdf

pytestmark = [pytest.mark.model, pytest.mark.slow]

LIMIT_SECONDS = 8.0
SMALL = "# Kurzbericht\n\nDas Jobcenter Auenwald berät Alleinerziehende zur Kinderbetreuung.\n"


@pytest.fixture
def office_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path_factory.mktemp("turns") / "data", ingest={"max_seconds_per_file": LIMIT_SECONDS}
    )
    with TestClient(create_app(settings)) as client:
        context_of(client).accounts.create_account(
            "buero", roles=["office"], rings=[], password=TEST_PASSWORD
        )
        client.headers.update(sign_in(client, "buero", TEST_PASSWORD))
        yield client


def test_a_small_upload_runs_between_the_files_of_a_large_one(office_client: TestClient) -> None:
    large_files = [(f"leer-{n}.pdf", blank_pages_pdf(2000 + n)) for n in range(3)]
    large = upload(office_client, large_files).json()["job_id"]
    sent = time.monotonic()
    small = upload(office_client, [("kurz.md", SMALL.encode())]).json()["job_id"]
    small_job = wait_for_job(office_client, small)
    waited = time.monotonic() - sent
    large_job = office_client.get(f"/v1/ingest/jobs/{large}").json()
    assert small_job["state"] == "done"
    assert [entry["status"] for entry in entries_of(small_job)] == ["indexed"]
    assert large_job["state"] == "running"
    assert sum(item["entries"] is not None for item in large_job["files"]) == 1  # one turn
    finished = wait_for_job(office_client, large)
    assert [(e["status"], e["code"]) for e in entries_of(finished)] == [("skipped", "timeout")] * 3
    print(
        f"the small upload waited {waited:.1f} s behind a job of 3 files, each stopped at "
        f"{LIMIT_SECONDS:g} s"
    )
