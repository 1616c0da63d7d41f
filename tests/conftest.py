"""Shared fixtures: offline guard, the real default model, the demo corpus ingested once."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"

from fastapi.testclient import TestClient

from ingest.report import IngestReport
from ingest.runner import run_ingest
from pipelines.settings import Settings
from search_service.app import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_CORPUS = PROJECT_ROOT / "corpora" / "demo"
# Shared with `scripts/test.sh`, which builds the model there once.
MODELS_DIR = PROJECT_ROOT / ".test-cache" / "data" / "models"


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
    """The real app over the ingested demo corpus (it holds the embedded store open)."""
    with TestClient(create_app(demo_settings)) as client:
        yield client
