"""A small corpus of its own for the curation tests, the app over it and its callers.

Each test uses its own documents, so the tests do not depend on each other's changes.
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

# stem → (visibility, kind, marker word in title, text, topic and job centre)
DOCUMENTS = {
    "ringdokument": ("ring:vr1", "protokoll", "Kupferkessel"),
    "bearbeiten": ("programme", "protokoll", "Leuchtturmwärter"),
    "zurueckziehen": ("programme", "evaluationsbericht", "Seidenraupenzucht"),
    "loeschen": ("programme", "sonstiges", "Mondfinsternis"),
    "alte-fassung": ("public", "praxisbeispiel", "Walnussbaum"),
    "neue-fassung": ("public", "praxisbeispiel", "Walnussbaum"),
    "geheime-fassung": ("office", "praxisbeispiel", "Sternschnuppe"),
    "kommandozeile": ("programme", "protokoll", "Zitronenfalter"),
}
CALLERS = {
    "buero": (["office"], []),
    "admin": (["admin"], []),
    "leser-vr1": (["reader"], ["vr1"]),
    "leser-vr2": (["reader"], ["vr2"]),
}


def document_text(stem: str, marker: str) -> str:
    """A short report about a project named by the marker; the two versions differ a little."""
    if stem == "alte-fassung":
        detail = "Die alte Fassung regelt die Förderung von Walnussbaum-Projekten im Jahr 2020."
    elif stem == "neue-fassung":
        detail = "Die neue Fassung regelt die Förderung von Walnussbaum-Projekten ab 2024."
    else:
        detail = f"Im Projekt {marker} begleiten Fachkräfte jede Person drei Monate lang."
    return (
        f"# Bericht {marker}\n\n"
        f"Das Jobcenter {marker} integriert Langzeitarbeitslose mit einem Coaching in den "
        f"Arbeitsmarkt. {detail} Arbeitgeber werden früh eingebunden und beraten.\n"
    )


def sidecar(stem: str) -> str:
    visibility, kind, marker = DOCUMENTS[stem]
    title = f"Bericht {marker}" + (" (neu)" if stem == "neue-fassung" else "")
    lines = [
        f'title: "{title}"',
        f"kind: {kind}",
        f'job_centre: "Jobcenter {marker}"',
        f"topics: [{marker}]",
        f"visibility: {visibility}",
    ]
    if visibility.startswith("ring:"):
        lines.append("ring: vr1")
    if stem != "bearbeiten":  # its date is inferred from nothing: left without one
        lines.append("date: 2023-06-01")
    return "\n".join(lines) + "\n"


@dataclass
class CurationWorld:
    """The app over the curation corpus, document ids by stem, headers by caller."""

    client: TestClient
    settings: Settings
    corpus: Path
    ids: dict[str, str]
    headers: dict[str, dict[str, str]]

    def call(self, caller: str, method: str, path: str, **kwargs: Any) -> Any:
        """One request as `caller` (`anonymous`: no credentials)."""
        return self.client.request(method, path, headers=self.headers[caller], **kwargs)


@contextmanager
def open_curation_world(root: Path) -> Iterator[CurationWorld]:
    """Write and ingest the corpus, start the app, create and sign in the callers."""
    corpus = root / "corpus"
    corpus.mkdir()
    for stem, (_, _, marker) in DOCUMENTS.items():
        (corpus / f"{stem}.md").write_text(document_text(stem, marker), encoding="utf-8")
        (corpus / f"{stem}.meta.yaml").write_text(sidecar(stem), encoding="utf-8")
    settings = make_settings(root / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == len(DOCUMENTS), report.render()
    ids = {Path(str(e.path)).stem: str(e.document_id) for e in report.entries}
    with TestClient(create_app(settings)) as client:
        accounts = engine_of(client).accounts
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for name, (roles, rings) in CALLERS.items():
            accounts.create_account(name, roles=roles, rings=rings, password=TEST_PASSWORD)
            headers[name] = sign_in(client, name, TEST_PASSWORD)
        yield CurationWorld(client, settings, corpus, ids, headers)
