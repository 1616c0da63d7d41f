"""Where the tests find the project, the demo corpus and the shared model; settings, sign-in."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from core.settings import Settings
from search_service.engine import SearchEngine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_CORPUS = PROJECT_ROOT / "corpora" / "demo"
# Shared with `scripts/test.sh`, which builds the model there once.
MODELS_DIR = PROJECT_ROOT / ".test-cache" / "data" / "models"
# Files the tests read as they are (exported pages and the like).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFFICE_ACCOUNT = "geschaeftsstelle"
TEST_PASSWORD = "ein-langes-test-passwort"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings on a fresh data directory with the shared model folder."""
    return Settings(data_dir=data_dir, embedding={"models_dir": MODELS_DIR}, **overrides)


def engine_of(client: TestClient) -> SearchEngine:
    """The engine the app opened at start-up."""
    engine: SearchEngine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def sign_in(client: TestClient, name: str, password: str) -> dict[str, str]:
    """Sign in through the API; returns the Authorization header to send."""
    response = client.post("/v1/auth/token", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
