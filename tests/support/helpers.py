"""Where the tests find the project, the demo corpus and the shared model; settings, sign-in."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from core.access import SYSTEM, Principal
from core.settings import Settings
from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.search import Searcher
from search_service.context import ServiceContext
from search_service.schemas import AskRequest, AskResponse, SearchRequest, SearchResponse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_CORPUS = PROJECT_ROOT / "corpora" / "demo"
# Shared with `scripts/test.sh`, which builds the model there once.
MODELS_DIR = PROJECT_ROOT / ".test-cache" / "data" / "models"
# Files the tests read as they are (exported pages and the like).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFFICE_ACCOUNT = "geschaeftsstelle"
TEST_PASSWORD = "ein-langes-test-passwort"


REQUEST_ID_FIELD = re.compile(rb'"request_id":"[^"]*"')


def answer_body(response: Response) -> bytes:
    """The body without its request id (every answer has its own): what may not differ between
    the answer about an invisible document and the one about a missing one."""
    return REQUEST_ID_FIELD.sub(b'"request_id":""', response.content)


def demo_files(folder: Path, names: Iterable[str]) -> Path:
    """`folder`, made, with the demo corpus's files of these names (their sidecars too)."""
    folder.mkdir(parents=True)
    for name in names:
        for source in DEMO_CORPUS.glob(f"{name}.*"):
            shutil.copy(source, folder / source.name)
    return folder


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings on a fresh data directory with the shared model folder."""
    return Settings(data_dir=data_dir, embedding={"models_dir": MODELS_DIR}, **overrides)


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
