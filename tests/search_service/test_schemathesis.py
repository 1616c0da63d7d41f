"""Schemathesis over the OpenAPI schema against the real app: no 500, every answer as documented.

Every operation of `/openapi.json` gets generated requests, valid ones and ones that break the
schema, as three callers: anonymous, a reader of ring vr1 and the office. The office changes
what it touches (edits, withdraws, deletes, uploads), so it runs against a world of its own that
is thrown away afterwards. A stateful run chains the operations through the links schemathesis
infers (a document id from a list into a detail, an edit, a delete). Each response must be no
server error and conform to the schema: a documented status, content type, headers and body.
The examples per operation are bounded, so the whole module runs in a few minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis.errors import Unsatisfiable
from requests.models import RequestEncodingMixin
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.worlds import ACCESS, CURATION, World, open_world

pytestmark = [pytest.mark.model, pytest.mark.slow]

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per operation and run (positive, negative, and for operations on one document a known id):
# 31 operations, so a caller sends about 31 × 2 × EXAMPLES requests and a little more.
EXAMPLES = 12
STATEFUL_STEPS = 40
BASE_URL = "http://testserver"
# Requests sent per caller (printed with `-s`: the figure of the run).
SENT: dict[str, int] = {}
# What the TestClient (httpx) takes of a serialized case.
REQUEST_KEYS = ("method", "url", "params", "headers", "cookies", "json", "data", "files")
HYPOTHESIS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def reading_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One document per visibility; anonymous and reader calls change nothing that matters."""
    with open_world(tmp_path_factory.mktemp("schemathesis-read"), ACCESS) as world:
        yield world


@pytest.fixture(scope="module")
def office_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A throwaway world for the office, whose calls edit, withdraw and delete documents."""
    with open_world(tmp_path_factory.mktemp("schemathesis-office"), CURATION) as world:
        yield world


def send(world: World, caller: str, case: schemathesis.Case) -> Any:
    """Send the case through the world's client with the caller's credentials."""
    serialized = case.as_transport_kwargs(base_url=BASE_URL, headers=world.headers[caller])
    request = {key: serialized[key] for key in REQUEST_KEYS if serialized.get(key) is not None}
    headers = dict(request.pop("headers", {}))
    if "files" in request:  # multipart as the requests transport would encode it
        body, content_type = RequestEncodingMixin._encode_files(
            request.pop("files"), request.pop("data", None) or {}
        )
        request["content"], headers["Content-Type"] = body, content_type
    elif isinstance(request.get("data"), str | bytes):
        request["content"] = request.pop("data")
    world.client.cookies.clear()
    world.client.cookies.update(request.pop("cookies", {}))
    response = world.client.request(**request, headers=headers)
    response.request.read()  # the checks quote the request body
    SENT[caller] = SENT.get(caller, 0) + 1
    return response


def fuzz_every_operation(world: World, caller: str, document_id: str) -> list[str]:
    """Run every operation in both generation modes; returns one line per failed operation.

    Operations on one document also run with `document_id`, a document the caller may see, so
    they reach past the 404 of a generated id.
    """
    schema = schemathesis.openapi.from_dict(world.client.get("/openapi.json").json())
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        runs: list[tuple[str, Any]] = [
            (mode.value, operation.as_strategy(generation_mode=mode)) for mode in MODES
        ]
        if "{document_id}" in operation.path:
            fixed = {"document_id": document_id}
            runs.append(("known id", operation.as_strategy(path_parameters=fixed)))
        for label, strategy in runs:

            @HYPOTHESIS
            @given(case=strategy)
            def check(case: schemathesis.Case) -> None:
                case.validate_response(send(world, caller, case), checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                continue  # nothing to break: no parameters and no body (`GET /health`)
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not one
                failures.append(f"{operation.label} ({label}): {exc}")
    print(f"schemathesis as {caller}: {SENT.get(caller, 0)} requests, {len(failures)} failures")
    return failures


@pytest.mark.parametrize("caller", ["anonymous", "leser-vr1"])
def test_no_server_error_and_no_schema_violation(reading_world: World, caller: str) -> None:
    failures = fuzz_every_operation(reading_world, caller, reading_world.ids["oeffentlich"])
    assert not failures, "\n\n".join(failures)


def test_no_server_error_and_no_schema_violation_as_the_office(office_world: World) -> None:
    failures = fuzz_every_operation(office_world, "buero", office_world.ids["bearbeiten"])
    assert not failures, "\n\n".join(failures)


def test_stateful_runs_as_the_office_hold_too(office_world: World) -> None:
    schema = schemathesis.openapi.from_dict(office_world.client.get("/openapi.json").json())
    machine = schema.as_state_machine()

    class OfficeMachine(machine):  # type: ignore[misc,valid-type]
        def call(self, case: schemathesis.Case, **kwargs: Any) -> Response:
            SENT["buero-stateful"] = SENT.get("buero-stateful", 0) + 1
            return Response.from_any(send(office_world, "buero", case))

        def validate_response(
            self, response: Response, case: schemathesis.Case, *args: Any, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    hypothesis.stateful.run_state_machine_as_test(
        OfficeMachine,
        settings=hypothesis.settings(
            HYPOTHESIS, max_examples=3, stateful_step_count=STATEFUL_STEPS
        ),
    )
    print(f"schemathesis stateful as buero: {SENT.get('buero-stateful', 0)} requests")
