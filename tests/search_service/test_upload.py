"""Upload and ingestion through the running service: `POST /v1/documents`, the ingest jobs.

One app on a fresh data directory with the real model; the worker thread ingests while the
tests search through the same app.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.errors import InvalidRequestError
from core.persistence.index_state import ReindexMarker
from core.persistence.ingest_jobs import JobFile
from core.settings import Settings
from ingest.lifecycle import prune_missing
from search_service.app import create_app
from search_service.ingest_jobs import IngestJobs, public_reason
from search_service.upload_receiver import safe_file_name
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings, sign_in
from tests.support.registry_sql import sql_execute

PROTOKOLL = (
    "# Protokoll der Sitzung im Vergleichsring\n\n"
    "Das Jobcenter Kranichfeld erprobt eine Lotsenstelle für Alleinerziehende. "
    "Die Lotsin vermittelt Kinderbetreuung und begleitet die Arbeitsaufnahme. "
    "Nach einem Jahr hatten 41 Alleinerziehende eine Beschäftigung aufgenommen.\n"
)
QUERY = "Lotsenstelle für Alleinerziehende in Kranichfeld"


@pytest.fixture(scope="module")
def upload_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    """The app on an empty data directory, with an office account and a reader signed in."""
    settings = make_settings(tmp_path_factory.mktemp("upload") / "data")
    with TestClient(create_app(settings)) as client:
        accounts = context_of(client).accounts
        accounts.create_account("buero", roles=["office"], rings=[], password=TEST_PASSWORD)
        accounts.create_account("leser", roles=["reader"], rings=[], password=TEST_PASSWORD)
        client.headers.update(sign_in(client, "buero", TEST_PASSWORD))
        yield client, settings


def upload(
    client: TestClient,
    files: list[tuple[str, bytes]],
    metadata: dict[str, Any] | str | None = None,
    **fields: str,
) -> Any:
    data = dict(fields)
    if metadata is not None:
        data["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
    parts = [("files", (name, content)) for name, content in files]
    return client.post("/v1/documents", files=parts, data=data)


def wait_for_job(client: TestClient, job_id: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/ingest/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "interrupted"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def entries_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for item in job["files"] for entry in item["entries"] or []]


def search_ids(client: TestClient, query: str) -> set[str]:
    response = client.post("/v1/search", json={"query": query, "top_k": 20})
    assert response.status_code == 200
    return {hit["document_id"] for hit in response.json()["results"]}


@pytest.mark.model
def test_upload_needs_the_office(upload_app: tuple[TestClient, Settings]) -> None:
    client, _ = upload_app
    files = [("files", ("a.md", PROTOKOLL.encode()))]
    anonymous = client.post("/v1/documents", files=files, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert_error_shape(anonymous.json(), "unauthorized")
    reader = client.post(
        "/v1/documents", files=files, headers=sign_in(client, "leser", TEST_PASSWORD)
    )
    assert reader.status_code == 403
    assert_error_shape(reader.json(), "forbidden")
    for path in ("/v1/ingest/jobs", "/v1/ingest/jobs/x"):
        assert client.get(path, headers={"Authorization": ""}).status_code == 401
    operation = client.get("/openapi.json").json()["paths"]["/v1/documents"]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(form["properties"]) == {"files", "metadata", "source_path"}
    assert "/v1/ingest/jobs/{job_id}" in client.get("/openapi.json").json()["paths"]


def test_reasons_lose_server_paths() -> None:
    reason = "duplicate of /srv/blok/data/uploads/ab12/1/bericht.pdf (same content)"
    assert public_reason(reason) == "duplicate of bericht.pdf (same content)"
    assert public_reason("Fehler in /tmp/x/y.txt: kaputt") == "Fehler in y.txt: kaputt"
    assert public_reason("ring:vr3 und 2023-04") == "ring:vr3 und 2023-04"


@pytest.mark.model
@pytest.mark.slow
def test_upload_is_ingested_while_searches_go_on(upload_app: tuple[TestClient, Settings]) -> None:
    client, settings = upload_app
    statuses: list[int] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            response = client.post("/v1/search", json={"query": QUERY})
            statuses.append(response.status_code)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        metadata = {"kind": "protokoll", "ring": "VR 4", "date": "2024-05", "topics": ["Lotsen"]}
        response = upload(client, [("lotsen.md", PROTOKOLL.encode())], metadata)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["files"] == [
            {"name": "lotsen.md", "status": "accepted", "code": None, "reason": None}
        ]
        assert body["job_url"] == f"/v1/ingest/jobs/{body['job_id']}"
        job = wait_for_job(client, body["job_id"])
    finally:
        stop.set()
        searcher.join()
    assert len(statuses) >= 2 and set(statuses) == {200}
    assert job["state"] == "done" and job["actor"] == "account:buero"
    [entry] = entries_of(job)
    assert entry["status"] == "indexed" and entry["chunks"] >= 1
    document_id = entry["document_id"]
    assert document_id in search_ids(client, QUERY)
    hit = client.post("/v1/search", json={"query": QUERY}).json()["results"][0]
    assert (hit["kind"], hit["ring"], hit["date"]) == ("protokoll", "vr4", "2024-05-01")
    assert hit["title"] == "Protokoll der Sitzung im Vergleichsring"  # inferred from the text
    stored = settings.data_dir / "uploads" / body["job_id"] / "1" / "lotsen.md"
    assert stored.read_bytes() == PROTOKOLL.encode()
    audit = client.get("/v1/admin/audit").json()["entries"]
    uploaded = [e for e in audit if e["action"] == "document.upload"]
    assert uploaded[0]["actor"] == "account:buero" and uploaded[0]["target"] == document_id
    assert uploaded[0]["after"]["job_id"] == body["job_id"]
    assert uploaded[0]["after"]["file"] == "lotsen.md"
    assert uploaded[0]["after"]["metadata"]["ring"] == "vr4"
    listed = client.get("/v1/ingest/jobs").json()["jobs"]
    assert body["job_id"] in {item["job_id"] for item in listed}

    again = upload(client, [("kopie.md", PROTOKOLL.encode())]).json()
    [duplicate] = entries_of(wait_for_job(client, again["job_id"]))
    assert duplicate["status"] == "duplicate" and duplicate["document_id"] == document_id
    assert "/" not in str(duplicate["reason"])  # no server path in the reason


@pytest.mark.model
@pytest.mark.parametrize(
    ("metadata", "names"),
    [
        ({"kind": "roman"}, ["kind", "protokoll, evaluationsbericht"]),
        ({"visibility": "alle"}, ["visibility", "public, programme, office"]),
        ({"ring": "Ring A"}, ["ring", "vr1"]),
        ({"date": "Mai 2024"}, ["date", "YYYY-MM-DD"]),
        ({"farbe": "rot"}, ["farbe", "known fields"]),
        ("{kein json", ["not valid JSON"]),
        ("[1, 2]", ["JSON object"]),
    ],
)
def test_invalid_metadata_is_422_naming_the_field(
    upload_app: tuple[TestClient, Settings], metadata: Any, names: list[str]
) -> None:
    client, settings = upload_app
    before = set((settings.data_dir / "uploads").glob("*"))
    response = upload(client, [("a.md", PROTOKOLL.encode())], metadata)
    assert response.status_code == 422
    assert_error_shape(response.json(), "invalid_metadata")
    for name in names:
        assert name in response.json()["error"]["message"]
    assert set((settings.data_dir / "uploads").glob("*")) == before  # nothing kept


@pytest.mark.model
def test_names_and_types_are_checked_per_file(upload_app: tuple[TestClient, Settings]) -> None:
    client, settings = upload_app
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    files = [
        ("../../ausbruch.md", b"# Pfad\n\nText.\n"),
        (".versteckt.md", b"# Versteckt\n\nText.\n"),
        ("bild.pdf", png),
        ("notiz.pdf", b"Nur Text, kein PDF."),
        ("leer.txt", b""),
        ("notiz.meta.yaml", b"title: x\n"),
        ("C:\\Users\\anna\\Bericht Kranichfeld.txt", b"Ein kurzer Bericht."),
        ("Straße/Übersicht.md", "# Übersicht\n\nDie Übersicht der Straße.\n".encode()),
    ]
    response = upload(client, files)
    assert response.status_code == 202, response.text
    by_name = {item["name"]: item for item in response.json()["files"]}
    statuses = [item["status"] for item in response.json()["files"]]
    assert statuses == ["rejected"] * 6 + ["accepted"] * 2
    assert ".." in by_name["../../ausbruch.md"]["reason"]
    assert "hidden" in by_name[".versteckt.md"]["reason"]
    assert by_name["bild.pdf"]["code"] == "unsupported_format"
    assert "PNG image" in by_name["bild.pdf"]["reason"]
    assert "not a PDF" in by_name["notiz.pdf"]["reason"]
    assert by_name["leer.txt"]["code"] == "empty_document"
    assert "metadata file" in by_name["notiz.meta.yaml"]["reason"]
    assert "Bericht Kranichfeld.txt" in by_name  # the base name only
    job_folder = settings.data_dir / "uploads" / response.json()["job_id"]
    stored = sorted(p.relative_to(job_folder).as_posix() for p in job_folder.rglob("*.*"))
    assert stored == [
        "7/Bericht Kranichfeld.txt",
        "7/Bericht Kranichfeld.txt.meta.yaml",
        "8/Übersicht.md",
        "8/Übersicht.md.meta.yaml",
    ]
    assert not (settings.data_dir / "ausbruch.md").exists()
    assert not (settings.data_dir.parent / "ausbruch.md").exists()
    job = wait_for_job(client, response.json()["job_id"])
    assert [entry["status"] for entry in entries_of(job)] == ["indexed", "indexed"]
    assert job["summary"]["rejected"] == 6 and job["summary"]["indexed"] == 2


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("bericht.pdf", "bericht.pdf"),
        ("ordner/unter/bericht.pdf", "bericht.pdf"),
        ("C:\\Daten\\bericht.pdf", "bericht.pdf"),
        ("Be\x07richt\x00\n.pdf", "Bericht.pdf"),
        ("U\u0308bersicht.md", "\u00dcbersicht.md"),  # NFC: one character Ü
        ("  bericht.pdf. ", "bericht.pdf"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_safe_file_names(raw: str, safe: str) -> None:
    assert safe_file_name(raw) == safe


@pytest.mark.parametrize("raw", ["", " ", "..", "../x.pdf", "a/../../x.pdf", ".env", "/", "x/."])
def test_unsafe_file_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidRequestError):
        safe_file_name(raw)


@pytest.mark.model
def test_limits_of_size_and_count(upload_app: tuple[TestClient, Settings]) -> None:
    client, settings = upload_app
    limits = context_of(client).settings
    old = (limits.ingest.max_file_mb, limits.upload.max_files, limits.upload.max_request_mb)
    limits.ingest.max_file_mb, limits.upload.max_files = 0.001, 2  # 1000 bytes per file
    try:
        big = b"Jobcenter " * 5000
        response = upload(client, [("gross.txt", big), ("klein.txt", b"Ein kleiner Text.")])
        assert response.status_code == 202
        [large, small] = response.json()["files"]
        assert large["status"] == "rejected" and large["code"] == "too_large"
        assert "BLOK_INGEST__MAX_FILE_MB" in large["reason"] and small["status"] == "accepted"
        folder = settings.data_dir / "uploads" / response.json()["job_id"]
        assert not list(folder.rglob("gross.txt"))  # the partial file is gone
        wait_for_job(client, response.json()["job_id"])

        three = upload(client, [(f"{n}.txt", b"Text.") for n in range(3)])
        assert three.status_code == 413
        assert_error_shape(three.json(), "too_large")
        assert "BLOK_UPLOAD__MAX_FILES" in three.json()["error"]["message"]

        limits.upload.max_request_mb = 0.0005
        whole = upload(client, [("a.txt", b"x" * 800)])
        assert whole.status_code == 413
        assert "BLOK_UPLOAD__MAX_REQUEST_MB" in whole.json()["error"]["message"]
    finally:
        limits.ingest.max_file_mb, limits.upload.max_files, limits.upload.max_request_mb = old


@pytest.mark.model
@pytest.mark.parametrize(
    ("kwargs", "status", "text"),
    [
        ({"files": [("metadata", (None, b"{}"))]}, 400, "one or more files"),
        ({"data": {"metadata": "{}"}}, 400, "multipart/form-data"),
        ({"files": [("datei", ("a.md", b"# A\n"))]}, 400, "'files'"),
        ({"files": [("files", ("a.md", b"# A\n"))], "data": {"farbe": "rot"}}, 400, "farbe"),
        (
            {"files": [("files", ("a.md", b"A")), ("files", ("b.md", b"B"))],
             "data": {"source_path": "x/a.md"}},
            400,
            "source_path",
        ),
    ],
)  # fmt: skip
def test_malformed_uploads_are_refused(
    upload_app: tuple[TestClient, Settings], kwargs: dict[str, Any], status: int, text: str
) -> None:
    client, _ = upload_app
    if "files" not in kwargs and "data" in kwargs:
        response = client.post("/v1/documents", data=kwargs["data"])
    else:
        response = client.post("/v1/documents", **kwargs)
    assert response.status_code == status, response.text
    assert_error_shape(response.json(), "invalid_request")
    assert text in response.json()["error"]["message"]


@pytest.mark.model
def test_a_broken_file_is_reported_without_traces_or_paths(
    upload_app: tuple[TestClient, Settings],
) -> None:
    client, settings = upload_app
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> kaputt\n" + b"\xff" * 200
    response = upload(client, [("kaputt.pdf", broken)])
    assert response.status_code == 202
    job = wait_for_job(client, response.json()["job_id"])
    [entry] = entries_of(job)
    assert entry["status"] == "skipped" and entry["reason"]
    text = json.dumps(job)
    for leak in ("Traceback", str(settings.data_dir), "/tmp", "/work", "site-packages"):
        assert leak not in text
    missing = client.get("/v1/ingest/jobs/nicht-da")
    assert missing.status_code == 404
    assert_error_shape(missing.json(), "not_found")


@pytest.mark.model
def test_a_label_makes_a_changed_file_replace_its_version(
    upload_app: tuple[TestClient, Settings],
) -> None:
    client, _ = upload_app
    label = "protokolle/vr2-2024.md"
    first = upload(client, [("vr2.md", b"# Fassung eins\n\nDie Zebrastreifen-Regel gilt.\n")],
                   {"ring": "vr2"}, source_path=label).json()  # fmt: skip
    [old] = entries_of(wait_for_job(client, first["job_id"]))
    second = upload(client, [("vr2.md", b"# Fassung zwei\n\nDie Zebrastreifen-Regel endet.\n")],
                    {"ring": "vr2"}, source_path=label).json()  # fmt: skip
    job = wait_for_job(client, second["job_id"])
    [new] = entries_of(job)
    assert new["status"] == "indexed" and new["document_id"] != old["document_id"]
    assert job["files"][0]["source_path"] == label
    found = search_ids(client, "Zebrastreifen-Regel")
    assert new["document_id"] in found and old["document_id"] not in found
    audit = client.get("/v1/admin/audit").json()["entries"]
    replaced = [e for e in audit if e["action"] == "document.replace"]
    assert replaced[0]["target"] == old["document_id"]
    assert replaced[0]["actor"] == "account:buero"


@pytest.mark.model
def test_uploads_are_refused_while_a_reindex_runs(upload_app: tuple[TestClient, Settings]) -> None:
    client, _ = upload_app
    state = context_of(client).registry.index_state
    state.begin_reindex(ReindexMarker("qdrant-test", "2026-01-01T00:00:00+00:00", "system"))
    try:
        response = upload(client, [("a.md", PROTOKOLL.encode())])
    finally:
        state.end_reindex()
    assert response.status_code == 409
    assert_error_shape(response.json(), "conflict")
    assert "re-index is running" in response.json()["error"]["message"]


@pytest.mark.model
def test_prune_never_withdraws_uploads(upload_app: tuple[TestClient, Settings]) -> None:
    client, settings = upload_app
    context = context_of(client)
    before = context.registry.documents.totals()
    assert before["documents"] >= 3
    sources = settings.data_dir / "sources"
    folders = [settings.data_dir.parent, Path("protokolle").resolve()]
    assert prune_missing(context.store, context.registry, sources, folders) == []
    assert context.registry.documents.totals() == before
    paths = [
        path
        for r in context.registry.documents.list_documents()
        for path in context.registry.documents.paths(r.document_id)
    ]
    assert all(Path(path).is_absolute() or path == "protokolle/vr2-2024.md" for path in paths)


@pytest.mark.model
@pytest.mark.slow
def test_unfinished_jobs_are_taken_up_again_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A job left `running` by a killed worker (its lease ran out) runs again, saying so; one
    without its files is not."""
    settings = make_settings(tmp_path / "data")
    from core.persistence.registry import Registry
    from pipelines.stores import build_chunk_store

    store, registry = build_chunk_store(settings), Registry.open(settings)
    jobs = IngestJobs(settings, store, registry)  # not started: only records the jobs
    kept = jobs.uploads_dir / "a" / "1" / "kranichfeld.md"
    kept.parent.mkdir(parents=True)
    kept.write_text(PROTOKOLL, encoding="utf-8")
    stored = kept.relative_to(settings.data_dir).as_posix()
    jobs.submit("a", "account:buero", {}, [JobFile("kranichfeld.md", "accepted", stored)])
    gone = "uploads/b/1/weg.md"
    jobs.submit("b", "account:buero", {}, [JobFile("weg.md", "accepted", gone)])
    sql_execute(
        registry,
        "UPDATE ingest_jobs SET state = 'running', owner = 'host:1:gone', lease_until = 0 "
        "WHERE job_id = 'a'",
    )
    store.close()
    registry.close()
    caplog.set_level("WARNING", logger="search_service.ingest_jobs")
    with TestClient(create_app(settings)) as client:
        context_of(client).accounts.create_account(
            "buero", roles=["office"], rings=[], password=TEST_PASSWORD
        )
        client.headers.update(sign_in(client, "buero", TEST_PASSWORD))
        done = wait_for_job(client, "a")
        resumed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("resum")]
        assert resumed == [
            "resuming ingest job a: its worker host:1:gone stopped while it ran (a file it was "
            "ingesting starts over); 1 of 1 files left"
        ]
        assert done["state"] == "done"
        assert [entry["status"] for entry in entries_of(done)] == ["indexed"]
        interrupted = wait_for_job(client, "b")
        assert interrupted["state"] == "interrupted" and "gone" in interrupted["error"]
        assert search_ids(client, QUERY)


@pytest.mark.model
def test_an_invalid_value_is_named_once(upload_app: tuple[TestClient, Settings]) -> None:
    client, _ = upload_app
    response = upload(client, [("a.md", PROTOKOLL.encode())], {"ring": "Ring X"})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.count("got 'Ring X'") == 1 and "Value error" not in message
    search = client.post("/v1/search", json={"query": QUERY, "filters": {"ring": "Ring X"}})
    assert search.status_code == 422
    (detail,) = search.json()["error"]["details"]
    assert detail["field"] == "filters.ring"
    assert detail["message"] == "ring must look like 'vr3' or 'VR 3', got 'Ring X'"


@pytest.mark.model
def test_control_characters_of_file_names_are_never_kept(
    upload_app: tuple[TestClient, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = upload_app
    escape = "\x1b[31m"
    mail = (
        "From: a@example.org\nTo: b@example.org\nSubject: Lotsenstelle Auenwald\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: text/plain; charset=utf-8\n\nDie Lotsenstelle Auenwald hilft.\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n"
        'Content-Disposition: attachment; filename="An\x1b[2Jlage\r.txt"\n\n'
        "Die Anlage beschreibt die Lotsenstelle Auenwald genauer.\n--b--\n"
    )
    files = [
        (
            f"Be{escape}richt\u202eAuenwald.md",
            PROTOKOLL.replace("Kranichfeld", "Auenwald").encode(),
        ),
        (f".ver{escape}steckt.md", b"# Versteckt\n\nText.\n"),
        (f"Post{escape}.eml", mail.encode()),
    ]
    with caplog.at_level("DEBUG"):
        response = upload(client, files)
        assert response.status_code == 202, response.text
        job = wait_for_job(client, response.json()["job_id"])
    names = [item["name"] for item in response.json()["files"]]
    assert names == ["Be[31mrichtAuenwald.md", ".ver[31msteckt.md", "Post[31m.eml"]
    sources = [entry["source"] for entry in entries_of(job)]
    assert sources == ["Be[31mrichtAuenwald.md", "Post[31m.eml", "Post[31m.eml › An[2Jlage.txt"]
    assert [entry["status"] for entry in entries_of(job)] == ["indexed"] * 3
    documents = [client.get(f"/v1/documents/{e['document_id']}").text for e in entries_of(job)]
    shown = [
        client.get("/v1/ingest/jobs").text,
        client.get("/v1/admin/audit", params={"limit": 20}).text,
        *documents,
        caplog.text,
    ]
    for text in shown:
        for character in ("\x1b", "\u202e", "\r"):
            assert character.encode().decode("unicode_escape") not in text
            assert json.dumps(character.encode().decode("unicode_escape"))[1:-1] not in text
