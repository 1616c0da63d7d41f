"""The error tree: a status for every code, store failures as 503, 500s with the usual headers."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from haystack.core.errors import PipelineRuntimeError
from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException

import core.errors
from blok import cli
from blok.exit_codes import EXIT_ERROR
from core.errors import HTTP_STATUS_BY_CODE, BlokError, ErrorCode, NotFoundError, StoreError
from pipelines.stores import EdgeChunkStore, QdrantClientChunkStore
from pipelines.stores.base import ChunkStore
from search_service.app import SECURITY_HEADERS, create_app
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import context_of, make_settings

DENSE_DIM = 384  # multilingual-e5-small, the default model
STATUSES = {
    "invalid_request": 400,
    "not_found": 404,
    "unauthorized": 401,
    "forbidden": 403,
    "too_many_requests": 429,
    "conflict": 409,
    "invalid_metadata": 422,
    "invalid_backup": 422,
    "conversion_failed": 422,
    "unsupported_format": 415,
    "empty_document": 422,
    "too_large": 413,
    "timeout": 422,
    "encrypted": 422,
    "ocr_unavailable": 422,
    "model_unavailable": 503,
    "store_unavailable": 503,
    "store_locked": 503,
    "storage_unavailable": 503,
    "invalid_glossary": 422,
    "range_not_satisfiable": 416,
    "service_unavailable": 502,
    "internal_error": 500,
}


def blok_errors() -> list[type[BlokError]]:
    """`BlokError` and every class of `core.errors` derived from it."""
    return [
        member
        for _, member in inspect.getmembers(core.errors, inspect.isclass)
        if issubclass(member, BlokError)
    ]


def test_every_error_code_has_its_pinned_status() -> None:
    assert set(HTTP_STATUS_BY_CODE) == set(ErrorCode)
    assert {code.value: int(code.http_status) for code in ErrorCode} == STATUSES
    assert all(isinstance(code.http_status, HTTPStatus) for code in ErrorCode)


def drawn_tree() -> dict[str, str | None]:
    """Each error drawn in the docstring of `core.errors`, with the one it is drawn under."""
    parents: dict[str, str | None] = {}
    above: list[tuple[int, str]] = []
    for line in str(core.errors.__doc__).split("::", 1)[1].splitlines():
        match = re.search(r"\b\w+Error\b", line)
        if match is None:
            continue
        while above and above[-1][0] >= match.start():
            above.pop()
        parents[match.group()] = above[-1][1] if above else None
        above.append((match.start(), match.group()))
    return parents


def test_the_drawn_tree_is_the_class_tree() -> None:
    classes = {
        error.__name__: None if error is BlokError else error.__mro__[1].__name__
        for error in blok_errors()
    }
    assert drawn_tree() == classes


class TimingOutClient(QdrantClient):
    """qdrant-client in local mode whose searches and counts time out, as a busy server's do."""

    def query_points(self, *args: Any, **kwargs: Any) -> Any:
        """Time out like the REST client does."""
        raise ResponseHandlingException(httpx.ReadTimeout("timed out"))

    def count(self, *args: Any, **kwargs: Any) -> Any:
        """Time out like the REST client does."""
        raise ResponseHandlingException(httpx.ReadTimeout("timed out"))


class ClosedShardStore(EdgeChunkStore):
    """The real Edge store, its shard closed underneath it while it serves."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.ensure_collection(DENSE_DIM)
        assert self._shard is not None
        self._shard.close()

    def close(self) -> None:
        """The shard is closed already; nothing is left to flush."""


def timing_out_store(path: Path) -> QdrantClientChunkStore:
    """A client store on qdrant-client's local mode whose queries time out."""
    store = QdrantClientChunkStore(TimingOutClient(path=str(path)), "chunks")
    store.ensure_collection(DENSE_DIM)
    return store


def test_a_timeout_of_the_client_becomes_a_store_error(tmp_path: Path) -> None:
    store = timing_out_store(tmp_path / "local")
    try:
        with pytest.raises(StoreError, match="timed out") as caught:
            store.count()
        assert isinstance(caught.value.__cause__, ResponseHandlingException)
        with pytest.raises(StoreError) as caught:
            store.query_dense([0.0] * DENSE_DIM, [], 5)
        assert caught.value.code is ErrorCode.STORE_UNAVAILABLE
    finally:
        store.close()


@pytest.fixture(scope="module")
def store_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app on an empty data directory; each test puts a failing store under it."""
    settings = make_settings(tmp_path_factory.mktemp("failing-store"))
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.model
@pytest.mark.parametrize("failing_store", [ClosedShardStore, timing_out_store])
def test_store_failures_in_a_query_answer_503_in_the_error_shape(
    store_client: TestClient, tmp_path: Path, failing_store: Any
) -> None:
    store: ChunkStore = failing_store(tmp_path / "store")
    context_of(store_client).store.switch_to(store)
    query = {"query": "Eingliederung im Landkreis"}
    for method, path, body in [
        ("POST", "/v1/search", query),
        ("POST", "/v1/search", {**query, "facets": True}),
        ("POST", "/v1/ask", query),
        ("GET", "/ready", None),
    ]:
        response = store_client.request(method, path, json=body)
        assert response.status_code == 503, (path, response.text)
        assert_error_shape(response.json(), "store_unavailable")
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


def unexpected_error_app(tmp_path: Path, **overrides: Any) -> TestClient:
    """The real app (no lifespan) with one route that fails with a bug."""
    app = create_app(make_settings(tmp_path, **overrides))

    @app.get("/v1/broken")
    def get_broken() -> None:
        raise RuntimeError("secret detail of the bug")

    @app.get("/v1/broken-while-handling")
    def get_broken_while_handling() -> None:
        try:
            raise NotFoundError("no such thing")
        except NotFoundError:
            int("a bug in the except block")

    @app.get("/v1/wrapped")
    def get_wrapped() -> None:
        try:
            raise NotFoundError("no such thing")
        except NotFoundError as exc:
            raise RuntimeError("a framework's wrapper") from exc

    return TestClient(app)


def test_an_unexpected_error_is_a_500_in_the_error_shape_with_the_usual_headers(
    tmp_path: Path,
) -> None:
    response = unexpected_error_app(tmp_path).get("/v1/broken")
    assert response.status_code == 500
    assert_error_shape(response.json(), "internal_error")
    assert "secret detail" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


def test_an_unexpected_error_answers_an_allowed_origin(tmp_path: Path) -> None:
    origin = "https://intranet.example"
    client = unexpected_error_app(tmp_path, server={"cors_origins": [origin]})
    response = client.get("/v1/broken", headers={"Origin": origin})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == origin


def test_a_wrapped_domain_error_keeps_its_answer_and_a_bug_in_handling_one_stays_a_bug(
    tmp_path: Path,
) -> None:
    client = unexpected_error_app(tmp_path)
    wrapped = client.get("/v1/wrapped")
    assert wrapped.status_code == 404
    assert_error_shape(wrapped.json(), "not_found")
    bug = client.get("/v1/broken-while-handling")
    assert bug.status_code == 500
    assert_error_shape(bug.json(), "internal_error")


def test_the_cli_prints_a_domain_error_a_pipeline_wrapped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def search_with_the_store_gone(settings: Any, args: Any) -> int:
        try:
            raise StoreError("The store failed to answer a search: timed out")
        except StoreError as exc:
            raise PipelineRuntimeError.from_exception("retriever", object, exc) from exc

    monkeypatch.setitem(cli.HANDLERS, "search", search_with_the_store_gone)
    assert cli.main(["--data-dir", str(tmp_path), "search", "Eingliederung"]) == EXIT_ERROR
    assert capsys.readouterr().err == "error: The store failed to answer a search: timed out\n"
