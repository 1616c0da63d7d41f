"""Worlds for the web UI, served by the real app with uvicorn on a free loopback port.

`open_ui_world` writes and ingests a small corpus with the real model: public, ring and office
documents, one with a hostile title; it marks the public report as superseded by the ring
protocol (so only ring members may see the successor) and creates a ring member and an office
account. `open_demo_ui_world` serves the demo corpus (`corpora/demo`, with PDFs) with a VR 3
member and the office: the journeys, the PDF page view and the screenshots run on it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from core.settings import Settings
from ingest.runner import run_ingest
from search_service.app import create_app
from search_service.context import ServiceContext
from tests.support.helpers import DEMO_CORPUS, TEST_PASSWORD, make_settings

RING_MEMBER = "leserin-vr3"
OFFICE = "buero"
HOSTILE_TITLE = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'
QUESTION = "Wie binden Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?"
RING_QUESTION = "Was hat der Vergleichsring zur Sozialraumorientierung vereinbart?"
ACCESSIBILITY_CONTACT = "barrierefreiheit@benchlearning.example"
UNANSWERABLE = "Welche Farbe hat das Dienstfahrrad des Bürgermeisters von Atlantis?"
DEMO_QUESTION = "Was hat der Vergleichsring 3 zur Sozialraumorientierung vereinbart?"

DOCUMENTS = {
    "praxis-arbeitgeber": (
        {
            "title": "Praxisbeispiel: Arbeitgeberlotsen für Geflüchtete",
            "kind": "praxisbeispiel",
            "date": "2023-05-15",
            "job_centre": "Landkreis Emsland",
            "topics": ["Arbeitgeberservice", "Geflüchtete"],
            "visibility": "public",
        },
        "# Arbeitgeberlotsen für Geflüchtete\n\n"
        "## Was hat das Jobcenter getan?\n\n"
        "Im Arbeitgeberservice des Jobcenters beraten zwei Arbeitgeberlotsen alle Betriebe, "
        "die Geflüchtete beschäftigen wollen. Die Lotsen klären Fragen zu Arbeitserlaubnis, "
        "Anerkennung von Abschlüssen und Eingliederungszuschüssen. Auf vier Willkommensbörsen "
        "lernten 212 Arbeitgeber rund 1.040 Geflüchtete kennen. Berufsbezogener Deutschunterricht "
        "findet direkt im Betrieb statt, zweimal wöchentlich während der Arbeitszeit.\n",
    ),
    "bericht-alt": (
        {
            "title": "Bericht zur Integration Geflüchteter in Betriebe 2021",
            "kind": "evaluationsbericht",
            "date": "2021-11-02",
            "job_centre": "Kreis Offenbach",
            "topics": ["Geflüchtete"],
            "visibility": "public",
        },
        "# Integration Geflüchteter in Betriebe\n\n"
        "Das Jobcenter bindet Arbeitgeber früh ein: Betriebe melden offene Stellen an eine feste "
        "Ansprechperson, die passende Geflüchtete vorschlägt und die Einarbeitung begleitet. "
        "Nach drei Monaten fragt das Jobcenter bei Betrieb und Beschäftigten nach.\n",
    ),
    "protokoll-vr3": (
        {
            "title": "Protokoll der Sitzung des Vergleichsrings 3 im Mai 2019",
            "kind": "protokoll",
            "ring": "vr3",
            "date": "2019-05-14",
            "topics": ["Sozialraumorientierung"],
            "visibility": "ring:vr3",
        },
        "# Protokoll Vergleichsring 3\n\n"
        "## TOP 2 Sozialraumorientierung\n\n"
        "Der Vergleichsring 3 vereinbart, die Sozialraumorientierung in allen Jobcentern des "
        "Rings bis Ende 2020 einzuführen. Jedes Jobcenter benennt dafür eine Ansprechperson im "
        "Quartier. Die Fallmanager arbeiten mit Stadtteilbüros und Trägern der Jugendhilfe "
        "zusammen und berichten in der nächsten Sitzung über erste Erfahrungen.\n",
    ),
    "intern": (
        {
            "title": "Interne Notiz der Geschäftsstelle zur Tagungsplanung",
            "kind": "sonstiges",
            "date": "2024-01-10",
            "topics": ["Tagungsplanung"],
            "visibility": "office",
        },
        "# Tagungsplanung\n\n"
        "Die Geschäftsstelle plant die Fachtagung zur Integration Geflüchteter mit Arbeitgebern "
        "im Herbst. Die Räume im Tagungshotel sind vorläufig reserviert.\n",
    ),
    "feindlich": (
        {
            "title": HOSTILE_TITLE,
            "kind": "tagungsmaterial",
            "date": "2022-09-20",
            "topics": ["<b onmouseover=alert(3)>Thema</b>"],
            "visibility": "public",
        },
        "# Forum Arbeitgeber <img src=x onerror=alert(4)>\n\n"
        "Im Forum berichteten Jobcenter, wie sie Arbeitgeber bei der Integration von "
        "Geflüchteten einbinden: <script>window.__pwned = 3</script> feste Ansprechpersonen und "
        "Jobmessen.\n",
    ),
}


@dataclass
class UiWorld:
    """The served app, its address, the settings and the document ids by stem."""

    base_url: str
    settings: Settings
    context: ServiceContext
    document_ids: dict[str, str]


def yaml_value(value: object) -> str:
    """A YAML scalar or flow list, double-quoted so that any text survives."""
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(item) for item in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_corpus(corpus: Path) -> None:
    """The documents as Markdown files with metadata sidecars."""
    corpus.mkdir()
    for stem, (metadata, text) in DOCUMENTS.items():
        (corpus / f"{stem}.md").write_text(text, encoding="utf-8")
        sidecar = "".join(f"{key}: {yaml_value(value)}\n" for key, value in metadata.items())
        (corpus / f"{stem}.meta.yaml").write_text(sidecar, encoding="utf-8")


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(settings: Settings) -> Iterator[tuple[str, ServiceContext]]:
    """The real app under uvicorn in a thread, until the block ends."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the UI test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app.state.context
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def ui_settings(data_dir: Path) -> Settings:
    """Test settings with the accessibility statement's contact set."""
    return make_settings(data_dir, ui={"accessibility_contact": ACCESSIBILITY_CONTACT})


@contextmanager
def open_ui_world(root: Path) -> Iterator[UiWorld]:
    """Ingest the corpus, serve it, add the accounts and the superseded mark."""
    write_corpus(root / "corpus")
    settings = ui_settings(root / "data")
    report = run_ingest(settings, [root / "corpus"])
    assert report.count("indexed") == len(DOCUMENTS), report.render()
    ids = {Path(str(entry.path)).stem: str(entry.document_id) for entry in report.entries}
    with serve(settings) as (base_url, context):
        accounts = context.accounts
        accounts.create_account(
            RING_MEMBER, roles=["reader"], rings=["vr3"], password=TEST_PASSWORD
        )
        accounts.create_account(OFFICE, roles=["office"], rings=[], password=TEST_PASSWORD)
        context.curator.supersede(ids["bericht-alt"], ids["protokoll-vr3"], actor="test")
        yield UiWorld(base_url, settings, context, ids)


@contextmanager
def open_demo_ui_world(root: Path) -> Iterator[UiWorld]:
    """Ingest the demo corpus, serve it, add a VR 3 member and the office."""
    settings = ui_settings(root / "data")
    report = run_ingest(settings, [DEMO_CORPUS])
    assert report.count("indexed") == len(list(DEMO_CORPUS.glob("*.meta.yaml"))), report.render()
    ids = {Path(str(entry.path)).stem: str(entry.document_id) for entry in report.entries}
    with serve(settings) as (base_url, context):
        context.accounts.create_account(
            RING_MEMBER, roles=["reader"], rings=["vr3"], password=TEST_PASSWORD
        )
        context.accounts.create_account(OFFICE, roles=["office"], rings=[], password=TEST_PASSWORD)
        yield UiWorld(base_url, settings, context, ids)
