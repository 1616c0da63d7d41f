"""Mail parts of differing visibility: an attachment made public never names its hidden mail.

An e-mail is ingested as its body and one document per attachment; each part names the mail's
document as `parent_document_id`. When the office makes an attachment public while the mail
stays office-only, a caller who may not see the mail must not learn its id (the id is the start
of the file's SHA-256, so it would confirm a guessed file) from any response: search results,
ask passages and citations, the document list and views, and the web UI's pages. Every
id-valued field of every JSON response is checked against the caller's visible documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.runner import run_ingest
from search_service.app import create_app
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings, sign_in

pytestmark = pytest.mark.model

QUERY = "Wie hilft die Lotsenstelle Auenwald Alleinerziehenden?"
MAIL = (
    "From: geschaeftsstelle@example.org\nTo: ring@example.org\n"
    "Subject: Vertrauliche Planung Auenwald\nDate: Mon, 4 Mar 2024 10:00:00 +0100\n"
    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="grenze"\n\n'
    "--grenze\nContent-Type: text/plain; charset=utf-8\n\n"
    "Vertraulich: die Planung der Geschäftsstelle zur Lotsenstelle Auenwald.\n"
    "--grenze\nContent-Type: text/plain; charset=utf-8\n"
    'Content-Disposition: attachment; filename="lotsenstelle.txt"\n\n'
    "Die Lotsenstelle Auenwald hilft Alleinerziehenden bei der Kinderbetreuung. "
    "Die Lotsin begleitet jede Person drei Monate lang bei der Arbeitsaufnahme.\n"
    "--grenze--\n"
)
ID_FIELDS = ("document_id", "parent_document_id", "superseded_by")


@pytest.fixture(scope="module")
def mail_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An office-only mail whose attachment the office made public, and three callers."""
    root = tmp_path_factory.mktemp("mail-parts")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "planung.eml").write_text(MAIL, encoding="utf-8")
    (corpus / "planung.eml.meta.yaml").write_text(
        "kind: sonstiges\nvisibility: office\n", encoding="utf-8"
    )
    settings = make_settings(root / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == 2, report.render()
    mail_id, attachment_id = (str(entry.document_id) for entry in report.entries)
    with TestClient(create_app(settings)) as client:
        accounts = context_of(client).accounts
        accounts.create_account("buero", roles=["office"], rings=[], password=TEST_PASSWORD)
        accounts.create_account("leser", roles=["reader"], rings=[], password=TEST_PASSWORD)
        headers = {
            "anonymous": {},
            "leser": sign_in(client, "leser", TEST_PASSWORD),
            "buero": sign_in(client, "buero", TEST_PASSWORD),
        }
        made_public = client.patch(
            f"/v1/documents/{attachment_id}",
            json={"visibility": "public"},
            headers=headers["buero"],
        )
        assert made_public.status_code == 200, made_public.text
        yield {"client": client, "headers": headers, "mail": mail_id, "attachment": attachment_id}


def id_values(body: Any) -> Iterator[str]:
    """Every value of an id-valued field anywhere in a JSON body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ID_FIELDS and isinstance(value, str):
                yield value
            yield from id_values(value)
    elif isinstance(body, list):
        for item in body:
            yield from id_values(item)


def responses_of(world: dict[str, Any], caller: str) -> dict[str, Any]:
    """Every read path that could carry the mail's id, as this caller sees it."""
    client: TestClient = world["client"]
    headers = world["headers"][caller]
    attachment = world["attachment"]
    search = client.post("/v1/search", json={"query": QUERY, "facets": True}, headers=headers)
    ask = client.post("/v1/ask", json={"query": QUERY}, headers=headers)
    json_paths = {
        "search": search,
        "ask": ask,
        "list": client.get("/v1/documents", headers=headers),
        "view": client.get(f"/v1/documents/{attachment}", headers=headers),
        "page": client.get(f"/v1/documents/{attachment}/pages/1", headers=headers),
    }
    for name, response in json_paths.items():
        assert response.status_code == 200, (caller, name, response.text)
    return {name: response.json() for name, response in json_paths.items()}


@pytest.mark.parametrize("caller", ["anonymous", "leser"])
def test_a_caller_who_may_not_see_the_mail_never_gets_its_id(
    mail_world: dict[str, Any], caller: str
) -> None:
    bodies = responses_of(mail_world, caller)
    results = bodies["search"]["results"]
    assert {hit["document_id"] for hit in results} == {mail_world["attachment"]}
    assert all(hit["parent_document_id"] is None for hit in results)
    assert bodies["ask"]["citations"] and bodies["ask"]["passages"]
    for name, body in bodies.items():
        assert set(id_values(body)) <= {mail_world["attachment"]}, (caller, name)
    client: TestClient = mail_world["client"]
    pages = [
        client.get("/", params={"q": QUERY}, headers=mail_world["headers"][caller]),
        client.get(f"/dokumente/{mail_world['attachment']}", headers=mail_world["headers"][caller]),
    ]
    for page in pages:
        assert page.status_code == 200
        assert mail_world["attachment"] in page.text
        assert mail_world["mail"] not in page.text
        assert "Vertraulich" not in page.text


def test_the_office_still_sees_which_mail_an_attachment_belongs_to(
    mail_world: dict[str, Any],
) -> None:
    bodies = responses_of(mail_world, "buero")
    parents = {
        hit["parent_document_id"]
        for hit in bodies["search"]["results"]
        if hit["document_id"] == mail_world["attachment"]
    }
    assert parents == {mail_world["mail"]}
    passages = bodies["ask"]["passages"]
    assert {
        p["parent_document_id"] for p in passages if p["document_id"] != mail_world["mail"]
    } == {mail_world["mail"]}
