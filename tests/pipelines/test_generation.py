"""Optional generation through an OpenAI-compatible endpoint, tested against a loopback server.

The server here replays fixed replies; answer quality with a real LLM is not tested.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.settings import GenerationSettings, Settings
from ingest.runner import run_ingest
from search_service.context import ServiceContext, build_service_context
from search_service.schemas import AskRequest
from tests.support.helpers import DEMO_CORPUS, ask_response, make_settings

pytestmark = pytest.mark.model

QUESTION = "Wie binden andere Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?"


class FakeChatServer(ThreadingHTTPServer):
    """Answers `POST /v1/chat/completions` with `reply` (or an error status, or slowly)."""

    reply: str = ""
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Any]]


class ChatHandler(BaseHTTPRequestHandler):
    server: FakeChatServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        time.sleep(self.server.delay)
        prompt = body["messages"][1]["content"]
        # "{lotsen}" becomes the number of the excerpt that mentions the Arbeitgeberlotsen.
        numbers = re.findall(r"^\[(\d+)\][^\n]*Arbeitgeberlotsen", prompt, flags=re.MULTILINE)
        content = self.server.reply.replace("{lotsen}", numbers[0] if numbers else "0")
        payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        data = json.dumps(payload).encode() if self.server.status == 200 else b"{}"
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def chat_server() -> Iterator[FakeChatServer]:
    server = FakeChatServer(("127.0.0.1", 0), ChatHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def context(
    tmp_path_factory: pytest.TempPathFactory, chat_server: FakeChatServer
) -> Iterator[ServiceContext]:
    root = tmp_path_factory.mktemp("generation")
    corpus = root / "corpus"
    corpus.mkdir()
    for source in DEMO_CORPUS.glob("praxisbeispiel-emsland-arbeitgeber-gefluechtete.*"):
        shutil.copy(source, corpus / source.name)
    for source in DEMO_CORPUS.glob("vr1-protokoll-2022-ukraine.*"):
        shutil.copy(source, corpus / source.name)
    base: Settings = make_settings(root / "data")
    run_ingest(base, [corpus])
    generation = GenerationSettings(
        base_url=f"http://127.0.0.1:{chat_server.server_address[1]}/v1",
        model="test-model",
        api_key="geheim",
        timeout_seconds=1.0,
    )
    built = build_service_context(base.model_copy(update={"generation": generation}))
    yield built
    built.close()


def ask(
    context: ServiceContext,
    server: FakeChatServer,
    reply: str,
    status: int = 200,
    delay: float = 0.0,
) -> Any:
    server.reply, server.status, server.delay = reply, status, delay
    return ask_response(context.searcher, AskRequest(query=QUESTION))


def test_supported_sentences_are_kept_with_verified_quotes(
    context: ServiceContext, chat_server: FakeChatServer
) -> None:
    reply = (
        "Im Landkreis Emsland beraten zwei Arbeitgeberlotsen im Arbeitgeberservice ausschließlich "
        "Unternehmen, die Geflüchtete beschäftigen wollen [{lotsen}]. Außerdem ist der Mond aus "
        "Käse [{lotsen}]."
    )
    response = ask(context, chat_server, reply)
    request = chat_server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer geheim"
    prompt = request["body"]["messages"][1]["content"]
    assert QUESTION in prompt and "[1]" in prompt and "Arbeitgeberlotsen" in prompt
    assert "[1]" in request["body"]["messages"][0]["content"]
    assert response.mode == "generated"
    assert "Arbeitgeberlotsen" in response.answer
    assert "Mond" not in response.answer
    assert response.citations and response.answer.count("[1]") == 1
    for citation in response.citations:
        page_text = context.registry.documents.page_text(citation.document_id, citation.page)
        assert page_text is not None
        assert page_text[citation.start_offset : citation.end_offset] == citation.quote


def test_citations_of_passages_that_do_not_exist_are_dropped(
    context: ServiceContext, chat_server: FakeChatServer
) -> None:
    reply = "Arbeitgeberlotsen beraten Unternehmen im Arbeitgeberservice [42]."
    response = ask(context, chat_server, reply)
    assert response.mode.startswith("extractive (fallback")
    assert "[42]" not in response.answer
    assert response.citations  # the extractive answer's verified quotes


def test_server_errors_and_timeouts_fall_back_to_the_extractive_answer(
    context: ServiceContext, chat_server: FakeChatServer
) -> None:
    failed = ask(context, chat_server, "egal", status=500)
    assert failed.mode.startswith("extractive (fallback: HTTPStatusError")
    assert failed.citations and not failed.abstained
    slow = ask(context, chat_server, "Arbeitgeberlotsen beraten Unternehmen [1].", delay=2.0)
    assert slow.mode == "extractive (fallback: timeout after 1 s)"
    assert slow.citations


def test_the_model_saying_no_source_falls_back(
    context: ServiceContext, chat_server: FakeChatServer
) -> None:
    response = ask(context, chat_server, "KEINE QUELLE")
    assert response.mode.startswith("extractive (fallback")
