"""Small corpora with documents of every visibility, the app over them, and their callers.

One builder, `open_world`, writes a dataset's documents with their sidecars, ingests them with
the real model, starts the app and signs in the dataset's callers. Two datasets:

- `ACCESS`: one document per visibility, for the leak suite (`search_service/test_access.py`) and
  the sign-in, session and log tests that share its app (the `access_world` fixture). The leak
  suite knows exactly which documents each caller sees (`EXPECTED`).
- `CURATION`: a document per curation action (edit, withdraw, delete, supersede), so the
  curation tests do not depend on each other's changes.

They stay two corpora: the curation tests change their documents, and those documents in the
access corpus would change what every caller of the leak suite sees.

Each document has a marker word in its title, text, topic and job centre, so a leak of any of
them shows in a response body.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from core.settings import Settings
from ingest.runner import run_ingest
from search_service.app import create_app
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings, sign_in

# The sentences between the opening and the closing one; `{marker}` is the document's marker.
ACCESS_DETAIL = (
    "Die Vereinbarung zum Projekt {marker} gilt bis zum Jahresende. Im Projekt {marker} "
    "begleiten Fachkräfte jede Person drei Monate lang bei der Arbeitsaufnahme."
)
CURATION_DETAIL = "Im Projekt {marker} begleiten Fachkräfte jede Person drei Monate lang."


@dataclass(frozen=True)
class WorldDocument:
    """One generated document; `visibility`, `ring`, `date` None: the sidecar names none."""

    stem: str
    visibility: str | None
    marker: str
    kind: str
    ring: str | None = None
    date: str | None = "2024-03-01"
    detail: str = ACCESS_DETAIL
    title: str = "Bericht {marker}"


# Roles and rings of an account or API key.
Grants = tuple[list[str], list[str]]


@dataclass(frozen=True)
class Dataset:
    """Documents and callers of one world; the API keys are callers too, by their name."""

    name: str
    documents: tuple[WorldDocument, ...]
    accounts: dict[str, Grants]
    api_keys: dict[str, Grants] = field(default_factory=dict)


DOCUMENTS = (
    WorldDocument("oeffentlich", "public", "Zitronenfalter", "praxisbeispiel"),
    WorldDocument("programm", "programme", "Leuchtturmwärter", "evaluationsbericht"),
    WorldDocument("ohne-angabe", None, "Seidenraupenzucht", "tagungsmaterial"),
    WorldDocument("ring-eins", "ring:vr1", "Kupferkessel", "protokoll", "vr1"),
    WorldDocument("ring-zwei", "ring:vr2", "Mondfinsternis", "protokoll", "vr2"),
    WorldDocument("ring-eins-zwei", "ring:vr1,vr2", "Walnussbaum", "protokoll", "vr1"),
    WorldDocument("geschaeftsstelle", "office", "Sternschnuppe", "sonstiges"),
)
ALL = frozenset(document.stem for document in DOCUMENTS)
PUBLIC = frozenset({"oeffentlich"})
PROGRAMME = PUBLIC | {"programm", "ohne-angabe"}
# Caller of the access world → the documents it may see.
EXPECTED = {
    "anonymous": PUBLIC,
    "leser-ohne-ring": PROGRAMME,
    "leser-vr1": PROGRAMME | {"ring-eins", "ring-eins-zwei"},
    "leser-vr2": PROGRAMME | {"ring-zwei", "ring-eins-zwei"},
    "schluessel-vr2": PROGRAMME | {"ring-zwei", "ring-eins-zwei"},
    "buero": ALL,
    "admin": ALL,
}
ACCOUNTS: dict[str, Grants] = {
    "leser-ohne-ring": (["reader"], []),
    "leser-vr1": (["reader"], ["vr1"]),
    "leser-vr2": (["reader"], ["vr2"]),
    "buero": (["office"], []),
    "admin": (["admin"], []),
}
GENERIC_QUERY = "Wie integrieren Jobcenter Langzeitarbeitslose in den Arbeitsmarkt?"
ACCESS = Dataset("access", DOCUMENTS, ACCOUNTS, api_keys={"schluessel-vr2": (["reader"], ["vr2"])})


def _curation_document(
    stem: str, visibility: str, kind: str, marker: str, **changes: Any
) -> WorldDocument:
    ring = "vr1" if visibility.startswith("ring:") else None
    document = WorldDocument(stem, visibility, marker, kind, ring, "2023-06-01", CURATION_DETAIL)
    return dataclasses.replace(document, **changes)


CURATION = Dataset(
    "curation",
    (
        _curation_document("ringdokument", "ring:vr1", "protokoll", "Kupferkessel"),
        # Its date is inferred from nothing: left without one.
        _curation_document("bearbeiten", "programme", "protokoll", "Leuchtturmwärter", date=None),
        _curation_document("zurueckziehen", "programme", "evaluationsbericht", "Seidenraupenzucht"),
        _curation_document("loeschen", "programme", "sonstiges", "Mondfinsternis"),
        # Two versions of one report; they differ a little.
        _curation_document(
            "alte-fassung",
            "public",
            "praxisbeispiel",
            "Walnussbaum",
            detail="Die alte Fassung regelt die Förderung von Walnussbaum-Projekten im Jahr 2020.",
        ),
        _curation_document(
            "neue-fassung",
            "public",
            "praxisbeispiel",
            "Walnussbaum",
            detail="Die neue Fassung regelt die Förderung von Walnussbaum-Projekten ab 2024.",
            title="Bericht {marker} (neu)",
        ),
        _curation_document("geheime-fassung", "office", "praxisbeispiel", "Sternschnuppe"),
        _curation_document("kommandozeile", "programme", "protokoll", "Zitronenfalter"),
    ),
    {
        "buero": (["office"], []),
        "admin": (["admin"], []),
        "leser-vr1": (["reader"], ["vr1"]),
        "leser-vr2": (["reader"], ["vr2"]),
    },
)


def document_text(document: WorldDocument) -> str:
    """A short report about a project named by the marker."""
    marker = document.marker
    return (
        f"# Bericht {marker}\n\n"
        f"Das Jobcenter {marker} integriert Langzeitarbeitslose mit einem Coaching in den "
        f"Arbeitsmarkt. {document.detail.format(marker=marker)} Arbeitgeber werden früh "
        "eingebunden und beraten.\n"
    )


def sidecar(document: WorldDocument) -> str:
    lines = [
        f'title: "{document.title.format(marker=document.marker)}"',
        f"kind: {document.kind}",
    ]
    if document.date:
        lines.append(f"date: {document.date}")
    lines += [
        f'job_centre: "Jobcenter {document.marker}"',
        f"topics: [{document.marker}]",
    ]
    if document.ring:
        lines.append(f"ring: {document.ring}")
    if document.visibility:
        lines.append(f"visibility: {document.visibility}")
    return "\n".join(lines) + "\n"


@dataclass
class World:
    """The app over a dataset, its corpus folder, document ids by stem, headers by caller."""

    client: TestClient
    settings: Settings
    corpus: Path
    document_ids: dict[str, str]
    headers: dict[str, dict[str, str]]

    @property
    def ids(self) -> dict[str, str]:
        """The document ids by stem (the curation tests' name for them)."""
        return self.document_ids

    def call(self, caller: str, method: str, path: str, **kwargs: Any) -> Any:
        """One request as `caller` (`anonymous`: no credentials)."""
        return self.client.request(method, path, headers=self.headers[caller], **kwargs)


# The names the access and curation tests give their world.
LeakWorld = World
CurationWorld = World


@contextmanager
def open_world(root: Path, dataset: Dataset, **overrides: object) -> Iterator[World]:
    """Write and ingest the corpus, start the app, create the callers and sign them in.

    `overrides` are further settings sections (`oidc={...}`).
    """
    corpus = root / "corpus"
    corpus.mkdir()
    for document in dataset.documents:
        (corpus / f"{document.stem}.md").write_text(document_text(document), encoding="utf-8")
        (corpus / f"{document.stem}.meta.yaml").write_text(sidecar(document), encoding="utf-8")
    # Job centres and topics are read from questions too, so the leak suite covers that path.
    settings = make_settings(root / "data", retrieval={"infer_names": True}, **overrides)
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == len(dataset.documents), report.render()
    document_ids = {Path(str(e.path)).stem: str(e.document_id) for e in report.entries}
    with TestClient(create_app(settings)) as client:
        accounts = context_of(client).accounts
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for name, (roles, rings) in dataset.accounts.items():
            accounts.create_account(name, roles=roles, rings=rings, password=TEST_PASSWORD)
            headers[name] = sign_in(client, name, TEST_PASSWORD)
        for name, (roles, rings) in dataset.api_keys.items():
            _, key = accounts.create_api_key(name, roles=roles, rings=rings)
            headers[name] = {"X-API-Key": key}
        yield World(client, settings, corpus, document_ids, headers)
