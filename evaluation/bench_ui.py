"""The web UI's speed on the demo corpus: `python -m evaluation.benchmark --ui`.

Ingests the demo corpus into a fresh data directory, starts `blok serve` on it as its own
process on a loopback port (as `run-demo.sh` does) and signs in as an office account (which
sees every document), then measures

1. the results page with the answer (`GET /?q=...`, the first page: `ask` plus the passages with
   facets, rendered), per demo gold question, as the time from sending the request to the last
   byte on loopback; p50/p95;
2. in Debian's Chromium (Playwright, headless), the time from pressing Enter in the search box
   to the `Antwort` section being visible on the new page; p50/p95;

and, for comparison, `POST /v1/ask` of the same questions (the answer without the page).

Each question is asked once before it is timed, so the first call's warm-up stays out of the
figures; the answers themselves are not cached, every timed request runs the whole pipeline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core.accounts import AccountStore
from core.persistence.registry import Registry
from core.settings import Settings
from evaluation.datasets import DEMO_CORPUS
from ingest.runner import run_ingest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BENCH_ACCOUNT = "bench-buero"
BENCH_PASSWORD = "bench-passwort-lang-genug"  # a throwaway account in a temporary directory
START_SECONDS = 300


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def blok_serve(settings: Settings, *, quiet: bool = False) -> Iterator[str]:
    """`blok serve` on the data directory as a child process; yields its address.

    `quiet` drops the service log (standard error) too, e.g. its line per request under load.
    """
    port = free_port()
    environment = {
        **os.environ,
        "BLOK_EMBEDDING__MODELS_DIR": str(settings.models_dir),
        "BLOK_SERVER__PORT": str(port),
    }
    command = [sys.executable, "-m", "blok", "--data-dir", str(settings.data_dir), "serve"]
    server = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("blok serve did not start")
            try:
                if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=60)


def time_results_pages(client: httpx.Client, queries: list[str]) -> list[float]:
    """Seconds per results page (request sent to last byte), each question warmed up once."""
    samples = []
    for query in queries:
        client.get("/", params={"q": query}).raise_for_status()
        started = time.perf_counter()
        response = client.get("/", params={"q": query})
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
        if 'id="antwort-titel"' not in response.text:
            raise RuntimeError(f"no answer section for {query!r}")
    return samples


def time_api_asks(client: httpx.Client, queries: list[str]) -> list[float]:
    """Seconds per `POST /v1/ask` of the same questions: the answer alone, without the page."""
    samples = []
    for query in queries:
        started = time.perf_counter()
        response = client.post("/v1/ask", json={"query": query})
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
    return samples


def time_enter_to_answer(base_url: str, cookies: httpx.Cookies, queries: list[str]) -> list[float]:
    """Seconds from pressing Enter in the search box to the visible answer, in Chromium."""
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=base_url, locale="de-DE")
        context.add_cookies(
            [{"name": c.name, "value": str(c.value), "url": base_url} for c in cookies.jar]
        )
        page = context.new_page()
        page.set_default_timeout(120_000)
        for query in queries:
            page.goto("/")
            page.get_by_role("searchbox", name="Frage oder Suchbegriffe").fill(query)
            started = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_url("**/?q=*")
            page.get_by_role("region", name="Antwort").wait_for(state="visible")
            samples.append(time.perf_counter() - started)
        browser.close()
    return samples


def bench_ui(settings: Settings, queries: list[str], *, browser_queries: int = 10) -> list[str]:
    """Ingest the demo corpus, serve it, time the results page; the lines to print."""
    from evaluation.benchmark import percentiles

    report = run_ingest(settings, [DEMO_CORPUS])
    lines = [f"ui: demo corpus, {report.count('indexed')} documents indexed"]
    registry = Registry.open(settings)
    AccountStore(registry).create_account(
        BENCH_ACCOUNT, roles=["office"], rings=[], password=BENCH_PASSWORD
    )
    registry.close()
    with blok_serve(settings) as base_url, httpx.Client(base_url=base_url, timeout=120) as client:
        signed_in = client.post(
            "/anmelden", data={"name": BENCH_ACCOUNT, "password": BENCH_PASSWORD}
        )
        if signed_in.status_code != 303:
            raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
        samples = time_results_pages(client, queries)
        lines.append(
            f"ui results page with the answer ({len(samples)} questions, signed in as the "
            f"office, blok serve on loopback): {percentiles(samples)}"
        )
        token = client.post(
            "/v1/auth/token", json={"name": BENCH_ACCOUNT, "password": BENCH_PASSWORD}
        ).json()["access_token"]
        with httpx.Client(base_url=base_url, timeout=120) as api:
            api.headers["Authorization"] = f"Bearer {token}"
            samples = time_api_asks(api, queries)
        lines.append(
            f"ui for comparison, POST /v1/ask of the same questions: {percentiles(samples)}"
        )
        if CHROMIUM.exists():
            samples = time_enter_to_answer(base_url, client.cookies, queries[:browser_queries])
            lines.append(
                f"ui Enter to visible answer in Chromium ({len(samples)} questions): "
                f"{percentiles(samples)}"
            )
        else:
            lines.append(f"ui Enter to visible answer: skipped, no {CHROMIUM}")
    return lines
