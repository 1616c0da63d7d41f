"""A small corpus with one document per visibility, and the callers of the access tests.

Each document has a marker word in its title, text, topic and job centre, so a leak of any of
them shows in a response body.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import TEST_PASSWORD, engine_of, make_settings, sign_in
from fastapi.testclient import TestClient

from core.settings import Settings
from ingest.runner import run_ingest
from search_service.app import create_app


@dataclass(frozen=True)
class LeakDocument:
    """One generated document; `visibility` None means the sidecar names none."""

    stem: str
    visibility: str | None
    marker: str
    kind: str
    ring: str | None = None


DOCUMENTS = (
    LeakDocument("oeffentlich", "public", "Zitronenfalter", "praxisbeispiel"),
    LeakDocument("programm", "programme", "Leuchtturmwärter", "evaluationsbericht"),
    LeakDocument("ohne-angabe", None, "Seidenraupenzucht", "tagungsmaterial"),
    LeakDocument("ring-eins", "ring:vr1", "Kupferkessel", "protokoll", "vr1"),
    LeakDocument("ring-zwei", "ring:vr2", "Mondfinsternis", "protokoll", "vr2"),
    LeakDocument("ring-eins-zwei", "ring:vr1,vr2", "Walnussbaum", "protokoll", "vr1"),
    LeakDocument("geschaeftsstelle", "office", "Sternschnuppe", "sonstiges"),
)
ALL = frozenset(document.stem for document in DOCUMENTS)
PUBLIC = frozenset({"oeffentlich"})
PROGRAMME = PUBLIC | {"programm", "ohne-angabe"}
# Caller → the documents it may see.
EXPECTED = {
    "anonymous": PUBLIC,
    "leser-ohne-ring": PROGRAMME,
    "leser-vr1": PROGRAMME | {"ring-eins", "ring-eins-zwei"},
    "leser-vr2": PROGRAMME | {"ring-zwei", "ring-eins-zwei"},
    "schluessel-vr2": PROGRAMME | {"ring-zwei", "ring-eins-zwei"},
    "buero": ALL,
    "admin": ALL,
}
ACCOUNTS = {
    "leser-ohne-ring": (["reader"], []),
    "leser-vr1": (["reader"], ["vr1"]),
    "leser-vr2": (["reader"], ["vr2"]),
    "buero": (["office"], []),
    "admin": (["admin"], []),
}
GENERIC_QUERY = "Wie integrieren Jobcenter Langzeitarbeitslose in den Arbeitsmarkt?"


def document_text(document: LeakDocument) -> str:
    marker = document.marker
    return (
        f"# Bericht {marker}\n\n"
        f"Das Jobcenter {marker} integriert Langzeitarbeitslose mit einem Coaching in den "
        f"Arbeitsmarkt. Die Vereinbarung zum Projekt {marker} gilt bis zum Jahresende. "
        f"Im Projekt {marker} begleiten Fachkräfte jede Person drei Monate lang bei der "
        "Arbeitsaufnahme. Arbeitgeber werden früh eingebunden und beraten.\n"
    )


def sidecar(document: LeakDocument) -> str:
    lines = [
        f'title: "Bericht {document.marker}"',
        f"kind: {document.kind}",
        "date: 2024-03-01",
        f'job_centre: "Jobcenter {document.marker}"',
        f"topics: [{document.marker}]",
    ]
    if document.ring:
        lines.append(f"ring: {document.ring}")
    if document.visibility:
        lines.append(f"visibility: {document.visibility}")
    return "\n".join(lines) + "\n"


@dataclass
class LeakWorld:
    """The app over the access corpus, the document ids (by stem) and each caller's headers."""

    client: TestClient
    settings: Settings
    document_ids: dict[str, str]
    headers: dict[str, dict[str, str]]

    def call(self, caller: str, method: str, path: str, **kwargs: Any) -> Any:
        """One request as `caller`."""
        return self.client.request(method, path, headers=self.headers[caller], **kwargs)


@contextmanager
def open_access_world(root: Path) -> Iterator[LeakWorld]:
    """Write and ingest the corpus, start the app, create the accounts and sign them in."""
    corpus = root / "corpus"
    corpus.mkdir()
    for document in DOCUMENTS:
        (corpus / f"{document.stem}.md").write_text(document_text(document), encoding="utf-8")
        (corpus / f"{document.stem}.meta.yaml").write_text(sidecar(document), encoding="utf-8")
    settings = make_settings(root / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == len(DOCUMENTS), report.render()
    document_ids = {Path(str(e.path)).stem: str(e.document_id) for e in report.entries}
    with TestClient(create_app(settings)) as client:
        accounts = engine_of(client).accounts
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for name, (roles, rings) in ACCOUNTS.items():
            accounts.create_account(name, roles=roles, rings=rings, password=TEST_PASSWORD)
            headers[name] = sign_in(client, name, TEST_PASSWORD)
        _, key = accounts.create_api_key("schluessel-vr2", roles=["reader"], rings=["vr2"])
        headers["schluessel-vr2"] = {"X-API-Key": key}
        yield LeakWorld(client, settings, document_ids, headers)
