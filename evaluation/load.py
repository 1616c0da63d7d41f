"""A bounded load test against the service on loopback: `python -m evaluation.load`.

Without `--url` it ingests the demo corpus into a data directory (`--data-dir`, default a
temporary one), adds throwaway accounts (readers of VR 1, VR 3, VR 5, VR 7 and an office account),
starts `blok serve` on it as its own process (`evaluation.bench_ui.blok_serve`) and stops it
afterwards. With `--url` (loopback only) it uses a running service and `--api-key` for every
user; its peak memory is read when `--data-dir` names that service's data directory.

Each of `--users` simulated people repeats, until `--seconds` have passed: a search (70 %) or a
question (30 %) from the demo gold set, then perhaps opening a result's document (half of the
searches) or clicking a facet (kind or year, a third of the searches), with a think time of
about `--think` seconds between actions. Every fifth person filters by their ring. With
`--upload-every S` the office uploads a small new document every S seconds. At the end it prints
requests, errors and p50/p95/p99 per route, and the server's peak resident memory (`VmHWM` of
its process, from `/proc`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from core.accounts import AccountStore
from core.persistence.registry import Registry
from core.settings import EmbeddingSettings, Settings
from evaluation.bench_ui import blok_serve
from evaluation.datasets import DEMO_CORPUS, load_demo_set
from ingest.runner import run_ingest

MAX_USERS = 200
MAX_SECONDS = 1800
READER_RINGS = ("vr1", "vr3", "vr5", "vr7")
OFFICE_ACCOUNT = "last-buero"
PASSWORD = "last-passwort-lang-genug"  # throwaway accounts in the load test's data directory
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_SECONDS = 120.0


@dataclass
class RouteFigures:
    """What one route answered: durations of the successful requests, errors by status."""

    seconds: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def requests(self) -> int:
        return len(self.seconds) + sum(self.errors.values())


class Recorder:
    """Durations and errors per route (status 0: no answer at all)."""

    def __init__(self) -> None:
        self.routes: dict[str, RouteFigures] = defaultdict(RouteFigures)

    async def call(
        self, client: httpx.AsyncClient, route: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        """One timed request; None when it failed."""
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError:
            self.routes[route].errors[0] += 1
            return None
        elapsed = time.perf_counter() - started
        if response.status_code >= 400:
            self.routes[route].errors[response.status_code] += 1
            return None
        self.routes[route].seconds.append(elapsed)
        return response


@dataclass(frozen=True)
class Person:
    """One simulated user: their credentials and, for every fifth, the ring they filter by."""

    number: int
    headers: dict[str, str]
    ring_filter: str | None


async def act(
    person: Person,
    client: httpx.AsyncClient,
    recorder: Recorder,
    rng: random.Random,
    queries: list[str],
) -> None:
    """One action: a search (and maybe a document view or facet click) or a question."""
    query = rng.choice(queries)
    filters = {"ring": [person.ring_filter]} if person.ring_filter else None
    if rng.random() >= 0.7:
        await recorder.call(
            client, "POST /v1/ask", "POST", "/v1/ask", json={"query": query, "filters": filters}
        )
        return
    body = {"query": query, "top_k": 10, "facets": True, "filters": filters}
    response = await recorder.call(client, "POST /v1/search", "POST", "/v1/search", json=body)
    if response is None:
        return
    found = response.json()
    if found["results"] and rng.random() < 0.5:
        document_id = rng.choice(found["results"])["document_id"]
        await recorder.call(client, "GET /v1/documents/{id}", "GET", f"/v1/documents/{document_id}")
    facets = found.get("facets") or {}
    if rng.random() < 1 / 3 and (facets.get("kind") or facets.get("year")):
        name = rng.choice([name for name in ("kind", "year") if facets.get(name)])
        value = rng.choice(facets[name])["value"]
        clicked = dict(filters or {})
        if name == "kind":
            clicked["kind"] = [value]
        else:
            clicked["year_from"] = clicked["year_to"] = value
        await recorder.call(
            client,
            "POST /v1/search (facet)",
            "POST",
            "/v1/search",
            json=body | {"filters": clicked},
        )


async def run_person(
    person: Person,
    base_url: str,
    recorder: Recorder,
    deadline: float,
    think: float,
    queries: list[str],
) -> None:
    """Act until the deadline, thinking between actions."""
    rng = random.Random(person.number)
    async with httpx.AsyncClient(
        base_url=base_url, headers=person.headers, timeout=TIMEOUT_SECONDS
    ) as client:
        await asyncio.sleep(rng.uniform(0, think))  # people do not all start at once
        while time.monotonic() < deadline:
            await act(person, client, recorder, rng, queries)
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def run_uploads(
    base_url: str, headers: dict[str, str], recorder: Recorder, deadline: float, every: float
) -> None:
    """The office uploads a small new Markdown document every `every` seconds."""
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=TIMEOUT_SECONDS
    ) as client:
        number = 0
        while time.monotonic() < deadline:
            number += 1
            text = (
                f"# Lasttest-Notiz {number} ({time.time():.0f})\n\n"
                "Das Jobcenter berichtet über die Zusammenarbeit mit Arbeitgebern in der Region "
                f"und über die Beratung von Langzeitarbeitslosen. Notiz Nummer {number}.\n"
            )
            metadata = {"title": f"Lasttest-Notiz {number}", "kind": "sonstiges"}
            await recorder.call(
                client,
                "POST /v1/documents",
                "POST",
                "/v1/documents",
                files={"files": (f"lasttest-{number}.md", text.encode(), "text/markdown")},
                data={"metadata": json.dumps(metadata)},
            )
            await asyncio.sleep(min(every, max(0.0, deadline - time.monotonic())))


def vm_kib(pid: int, field_name: str) -> int | None:
    """A `VmRSS`/`VmHWM` line of `/proc/<pid>/status` in KiB; None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


async def sample_peak_rss(pid: int | None, stop: asyncio.Event) -> int | None:
    """The highest `VmHWM` (peak resident set) of the server process seen until `stop`."""
    peak: int | None = None
    while pid is not None:
        value = vm_kib(pid, "VmHWM")
        if value is not None:
            peak = max(peak or 0, value)
        if stop.is_set():
            break
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
    return peak


async def run_load(
    base_url: str,
    people: list[Person],
    *,
    seconds: float,
    think: float,
    queries: list[str],
    server_pid: int | None,
    office_headers: dict[str, str] | None,
    upload_every: float,
) -> tuple[Recorder, int | None, float]:
    """All people (and the uploads) at once; the figures, the peak RSS in KiB, the wall time."""
    recorder = Recorder()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peak_rss(server_pid, stop))
    started = time.monotonic()
    deadline = started + seconds
    tasks = [run_person(p, base_url, recorder, deadline, think, queries) for p in people]
    if office_headers is not None and upload_every > 0:
        tasks.append(run_uploads(base_url, office_headers, recorder, deadline, upload_every))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    stop.set()
    return recorder, await sampler, elapsed


def percentile(ordered: list[float], fraction: float) -> float:
    """The value at `fraction` of the sorted samples (nearest rank)."""
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def report_lines(recorder: Recorder, elapsed: float, peak_kib: int | None) -> list[str]:
    """The table per route and the totals."""
    lines = [
        f"{'route':<26} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    ]
    everything: list[float] = []
    errors = 0
    for route, figures in sorted(recorder.routes.items()):
        ordered = sorted(figures.seconds)
        everything += ordered
        errors += sum(figures.errors.values())
        lines.append(route_line(route, figures.requests, sum(figures.errors.values()), ordered))
        if figures.errors:
            lines.append(f"{'':<26} errors by status: {dict(sorted(figures.errors.items()))}")
    total = len(everything) + errors
    lines.append(route_line("all", total, errors, sorted(everything)))
    lines.append(f"throughput: {total / elapsed:.1f} requests/s over {elapsed:.1f} s")
    memory = f"{peak_kib / 1024:.0f} MiB" if peak_kib is not None else "unknown (no server pid)"
    lines.append(f"server peak RSS (VmHWM): {memory}")
    return lines


def route_line(route: str, requests: int, errors: int, ordered: list[float]) -> str:
    """One row of the table."""
    if not ordered:
        return f"{route:<26} {requests:>8} {errors:>6} {'-':>8} {'-':>8} {'-':>8}"
    p50, p95, p99 = (percentile(ordered, f) * 1000 for f in (0.5, 0.95, 0.99))
    return f"{route:<26} {requests:>8} {errors:>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}"


def prepare_data_dir(settings: Settings) -> None:
    """Ingest the demo corpus (unchanged files are skipped) and add the throwaway accounts."""
    report = run_ingest(settings, [DEMO_CORPUS])
    print(f"load: demo corpus, {report.count('indexed')} documents indexed", flush=True)
    registry = Registry.open(settings)
    try:
        accounts = AccountStore(registry)
        wanted: dict[str, tuple[list[str], list[str]]] = {OFFICE_ACCOUNT: (["office"], [])} | {
            f"last-leser-{ring}": (["reader"], [ring]) for ring in READER_RINGS
        }
        for name, (roles, rings) in wanted.items():
            if accounts.find_account(name) is None:
                accounts.create_account(name, roles=roles, rings=rings, password=PASSWORD)
    finally:
        registry.close()


def sign_in(base_url: str, name: str) -> dict[str, str]:
    """A bearer header for one of the throwaway accounts."""
    response = httpx.post(
        f"{base_url}/v1/auth/token", json={"name": name, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def service_pid(data_dir: Path | None) -> int | None:
    """The pid `blok serve` wrote into `service.json` of its data directory, if any."""
    if data_dir is None:
        return None
    try:
        return int(json.loads((data_dir / "service.json").read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def served(args: argparse.Namespace) -> Iterator[tuple[str, Path | None]]:
    """The service's address and data directory: the given one, or `blok serve` started here."""
    if args.url:
        yield args.url.rstrip("/"), args.data_dir
        return
    with tempfile.TemporaryDirectory(prefix="blok-load-") as temporary:
        data_dir = args.data_dir or Path(temporary)
        settings = Settings(
            data_dir=data_dir, embedding=EmbeddingSettings(models_dir=args.models_dir)
        )
        prepare_data_dir(settings)
        with blok_serve(settings, quiet=not args.server_log) as base_url:
            yield base_url, data_dir


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line; bounded users and time, loopback only."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=5, help=f"simulated people (1–{MAX_USERS})")
    parser.add_argument("--seconds", type=float, default=30, help=f"duration (≤ {MAX_SECONDS})")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time in seconds")
    parser.add_argument(
        "--upload-every", type=float, default=60, help="seconds between office uploads; 0: none"
    )
    parser.add_argument("--url", help="a running service on loopback (else one is started)")
    parser.add_argument("--api-key", help="with --url: the key every simulated person uses")
    parser.add_argument("--data-dir", type=Path, help="data directory to ingest into and serve")
    parser.add_argument("--models-dir", type=Path, default=Path("data/models"))
    parser.add_argument(
        "--server-log",
        action="store_true",
        help="show the started service's log (a line per request)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--users must be 1–{MAX_USERS} and --seconds 0–{MAX_SECONDS}")
    if args.url and urlsplit(args.url).hostname not in LOOPBACK_HOSTS:
        parser.error("--url must be on loopback (127.0.0.1, localhost, ::1)")
    if args.url and not args.api_key:
        parser.error("--url needs --api-key")
    return args


def ring_filter_of(number: int) -> str | None:
    """Every fifth person filters by their ring (the ring of their account)."""
    return READER_RINGS[number % len(READER_RINGS)] if number % 5 == 0 else None


def people_for(
    base_url: str, args: argparse.Namespace
) -> tuple[list[Person], dict[str, str] | None]:
    """The simulated people and the office's credentials for uploads."""
    if args.url:
        headers = {"X-API-Key": args.api_key}
        people = [Person(n, headers, ring_filter_of(n)) for n in range(args.users)]
        return people, headers
    readers = {ring: sign_in(base_url, f"last-leser-{ring}") for ring in READER_RINGS}
    people = []
    for number in range(args.users):
        ring = READER_RINGS[number % len(READER_RINGS)]
        people.append(Person(number, readers[ring], ring_filter_of(number)))
    return people, sign_in(base_url, OFFICE_ACCOUNT)


def main(argv: list[str] | None = None) -> None:
    """Run the load and print the figures."""
    args = parse_arguments(argv)
    queries = [question.query for question in load_demo_set().questions]
    with served(args) as (base_url, data_dir):
        people, office = people_for(base_url, args)
        print(
            f"load: {args.users} users × {args.seconds:.0f} s against {base_url}, think "
            f"{args.think} s, upload every {args.upload_every} s; load average before: "
            f"{os.getloadavg()[0]:.2f}",
            flush=True,
        )
        recorder, peak, elapsed = asyncio.run(
            run_load(
                base_url,
                people,
                seconds=args.seconds,
                think=args.think,
                queries=queries,
                server_pid=service_pid(data_dir),
                office_headers=office,
                upload_every=args.upload_every,
            )
        )
    for line in report_lines(recorder, elapsed, peak):
        print(line)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    errors = sum(sum(figures.errors.values()) for figures in recorder.routes.values())
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
