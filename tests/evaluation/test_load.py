"""The load test's driver against the real served app (a few seconds, no uploads)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from evaluation.load import Person, report_lines, run_load
from tests.support.ui_world import UiWorld, open_ui_world


@pytest.fixture(scope="module")
def load_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiWorld]:
    """A world of its own: the load's searches and questions fill its query log."""
    with open_ui_world(Path(tmp_path_factory.mktemp("load"))) as world:
        yield world


@pytest.mark.model
def test_the_load_driver_searches_asks_and_reports_per_route(load_world: UiWorld) -> None:
    _, key = load_world.context.accounts.create_api_key(
        "last-test", roles=["reader"], rings=["vr3"]
    )
    headers = {"X-API-Key": key}
    people = [Person(0, headers, "vr3"), Person(1, headers, None)]
    queries = ["Wie binden Jobcenter Arbeitgeber ein?", "Was hat VR 3 vereinbart?"]
    recorder, peak, elapsed = asyncio.run(
        run_load(
            load_world.base_url,
            people,
            seconds=4,
            think=0.1,
            queries=queries,
            server_pid=os.getpid(),  # the app is served in this process
            office_headers=None,
            upload_every=0,
        )
    )
    routes = recorder.routes
    assert {"POST /v1/search", "POST /v1/ask"} <= set(routes)
    assert all(not figures.errors for figures in routes.values()), dict(routes)
    assert sum(figures.requests for figures in routes.values()) >= 4
    assert peak is not None and peak > 0 and elapsed >= 4
    lines = report_lines(recorder, elapsed, peak)
    assert lines[0].split()[:2] == ["route", "requests"]
    assert any(line.startswith("all ") for line in lines)
    assert "server peak RSS (VmHWM)" in lines[-1]
