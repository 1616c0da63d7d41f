"""Shared fixtures: offline guard, the real default model, the demo corpus ingested once.

The demo client is signed in as an office account (sees every document); tests of what other
callers see are in `search_service/test_access.py`. Helpers the tests import live in
`tests.support`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"

from fastapi.testclient import TestClient

from core.settings import Settings
from ingest.report import IngestReport
from ingest.runner import run_ingest
from search_service.app import create_app
from tests.support.helpers import (
    DEMO_CORPUS,
    OFFICE_ACCOUNT,
    TEST_PASSWORD,
    context_of,
    make_settings,
    sign_in,
)
from tests.support.offline import block_the_network
from tests.support.postgres import BACKENDS, fresh_schema, postgres_url
from tests.support.ui_world import UiWorld, open_demo_ui_world, open_ui_world
from tests.support.worlds import ACCESS, World, open_world

block_the_network()

# The session fixtures that load the real model: a test using one must be marked `model`.
MODEL_FIXTURES = frozenset(
    {"demo_ingest_report", "demo_client", "access_world", "ui_world", "demo_ui_world"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a run in which a test uses the model without its `model` marker."""
    unmarked = [
        item.nodeid
        for item in items
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("model") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests that use the model need @pytest.mark.model: " + ", ".join(unmarked)
        )


@pytest.fixture(params=BACKENDS)
def registry_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """Where a registry test opens its registry: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield tmp_path / "registry" / "blok.db"
        return
    with fresh_schema(postgres_url()) as url:
        yield url


@pytest.fixture
def registry_url(registry_location: Path | str) -> str:
    """`BLOK_REGISTRY__URL` of a registry test: empty (the data directory's file) or PostgreSQL."""
    return registry_location if isinstance(registry_location, str) else ""


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


@pytest.fixture(scope="session")
def access_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The app over a corpus with one document per visibility, with a caller per role."""
    with open_world(tmp_path_factory.mktemp("access"), ACCESS) as world:
        yield world


@pytest.fixture(scope="session")
def ui_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiWorld]:
    """The app served by uvicorn over the web UI's corpus, with a ring member and the office."""
    with open_ui_world(tmp_path_factory.mktemp("ui")) as world:
        yield world


@pytest.fixture(scope="session")
def demo_ui_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiWorld]:
    """The app served by uvicorn over the demo corpus, with a VR 3 member and the office."""
    with open_demo_ui_world(tmp_path_factory.mktemp("demo-ui")) as world:
        yield world
