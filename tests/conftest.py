"""Shared fixtures: offline guard, the real default model, the demo corpus ingested once.

The demo client is signed in as an office account (sees every document); tests of what other
callers see are in `test_access.py`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"

from fastapi.testclient import TestClient

from core.access import SYSTEM, Principal
from core.settings import Settings
from ingest.report import IngestReport
from ingest.runner import run_ingest
from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.search import Searcher
from search_service.app import create_app
from search_service.context import ServiceContext
from search_service.schemas import AskRequest, AskResponse, SearchRequest, SearchResponse

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_CORPUS = PROJECT_ROOT / "corpora" / "demo"
# Shared with `scripts/test.sh`, which builds the model there once.
MODELS_DIR = PROJECT_ROOT / ".test-cache" / "data" / "models"
OFFICE_ACCOUNT = "geschaeftsstelle"
TEST_PASSWORD = "ein-langes-test-passwort"


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a host other than this machine."""


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False
    return True  # Unix sockets and the like


_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlockedError(f"tests may only connect to loopback, not {address!r}")
    _original_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlockedError(f"tests may only connect to loopback, not {address!r}")
    return _original_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings on a fresh data directory with the shared model folder."""
    return Settings(data_dir=data_dir, embedding={"models_dir": MODELS_DIR}, **overrides)


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a data directory that will hold the demo corpus."""
    return make_settings(tmp_path_factory.mktemp("demo-data"))


@pytest.fixture(scope="session")
def demo_ingest_report(demo_settings: Settings) -> IngestReport:
    """The demo corpus ingested once for the whole session, with the real model."""
    return run_ingest(demo_settings, [DEMO_CORPUS])


@pytest.fixture(scope="session")
def demo_client(demo_settings: Settings, demo_ingest_report: IngestReport) -> Iterator[TestClient]:
    """The real app over the ingested demo corpus (it holds the embedded store open).

    Signed in as an office account, so it sees every document.
    """
    with TestClient(create_app(demo_settings)) as client:
        context_of(client).accounts.create_account(
            OFFICE_ACCOUNT, roles=["office"], rings=[], password=TEST_PASSWORD
        )
        client.headers.update(sign_in(client, OFFICE_ACCOUNT, TEST_PASSWORD))
        yield client


def context_of(client: TestClient) -> ServiceContext:
    """The service context the app opened at start-up."""
    context: ServiceContext = client.app.state.context  # type: ignore[attr-defined]
    return context


def search_response(
    searcher: Searcher,
    request: SearchRequest,
    *,
    principal: Principal = SYSTEM,
    mode: RetrievalMode | None = None,
) -> SearchResponse:
    """A search in process, as the API would answer it (nothing is logged)."""
    outcome = searcher.search(
        request.query,
        principal=principal,
        top_k=request.top_k,
        filters=request.filters,
        facets=request.facets,
        mode=mode,
    )
    return SearchResponse.from_outcome(outcome)


def ask_response(
    searcher: Searcher, request: AskRequest, *, principal: Principal = SYSTEM
) -> AskResponse:
    """A question in process, as the API would answer it (nothing is logged: no `answer_id`)."""
    outcome = searcher.ask(
        request.query, principal=principal, top_k=request.top_k, filters=request.filters
    )
    return AskResponse.from_outcome(outcome)


def sign_in(client: TestClient, name: str, password: str) -> dict[str, str]:
    """Sign in through the API; returns the Authorization header to send."""
    response = client.post("/v1/auth/token", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def access_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app over a corpus with one document per visibility, with a caller per role."""
    from access_corpus import open_access_world

    with open_access_world(tmp_path_factory.mktemp("access")) as world:
        yield world
