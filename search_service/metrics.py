"""`/metrics` in Prometheus' text format: requests, searches, answers, ingest, store, registry.

Counted while the service runs (since its start): requests per route template (never the raw
path, so unknown paths cannot grow the label set) with status and latency, searches, questions
and abstentions. Read from the registry and the store at each scrape (so they survive restarts):
ingest jobs by state, their files' report entries by outcome, pages by extraction method,
documents by status, and the points of the store. Set once at start-up: how long the store and
the model took to load.

Each app has its own `CollectorRegistry`, so several apps in one process (the tests) do not
share figures. The route is `search_service.metrics_routes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Scope

if TYPE_CHECKING:
    from search_service.context import ServiceContext

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED_ROUTE = "unmatched"


class ServiceMetrics:
    """The figures of one app; `watch(context)` adds what the registry and the store hold."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "blok_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "blok_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.searches = Counter(
            "blok_searches", "Searches answered (API and web UI).", registry=self.registry
        )
        self.questions = Counter(
            "blok_questions", "Questions answered (API and web UI).", registry=self.registry
        )
        self.abstentions = Counter(
            "blok_abstentions",
            "Questions the service found no supported answer for.",
            registry=self.registry,
        )
        self.load_seconds = Gauge(
            "blok_load_seconds",
            "Seconds the service took at start-up to open the store and to load the model "
            "(with its pipelines).",
            ["part"],
            registry=self.registry,
        )

    def answered(self, scope: Scope, status: int, seconds: float) -> None:
        """One HTTP request was answered (`search_service.request_log` times it)."""
        route = route_template(scope)
        self.latency.labels(scope["method"], route).observe(seconds)
        self.requests.labels(scope["method"], route, str(status)).inc()

    def searched(self) -> None:
        """One search was answered."""
        self.searches.inc()

    def asked(self, *, abstained: bool) -> None:
        """One question was answered (or abstained from)."""
        self.questions.inc()
        if abstained:
            self.abstentions.inc()

    def watch(self, context: ServiceContext) -> None:
        """Read registry and store figures from `context` at every scrape."""
        self.registry.register(CollectionFigures(context))

    def render(self) -> bytes:
        """Every figure in Prometheus' text format."""
        return generate_latest(self.registry)


class CollectionFigures(Collector):
    """Registry and store figures, read when scraped."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context

    def collect(self) -> Iterator[GaugeMetricFamily]:
        registry = self._context.registry
        yield labelled(
            "blok_documents",
            "Documents in the registry by status.",
            "status",
            registry.documents.count_by_status(),
        )
        yield labelled(
            "blok_pages",
            "Pages of indexed documents by how their text was extracted.",
            "method",
            registry.documents.pages_by_method(),
        )
        yield labelled(
            "blok_ingest_jobs",
            "Upload jobs kept in the registry by state.",
            "state",
            registry.ingest_jobs.count_by_state(),
        )
        yield labelled(
            "blok_ingest_entries",
            "Report entries of the upload jobs' files by outcome (a mail counts with its "
            "attachments; `rejected` at upload, `waiting` not yet run).",
            "outcome",
            registry.ingest_jobs.files_by_outcome(),
        )
        points = GaugeMetricFamily("blok_store_points", "Chunks in the served collection.")
        points.add_metric([], self._context.store.count())
        yield points

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


def labelled(
    name: str, documentation: str, label: str, values: dict[str, int]
) -> GaugeMetricFamily:
    """A gauge with one label, one sample per value."""
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(values.items()):
        family.add_metric([value], count)
    return family


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (e.g. `/dokumente/{document_id}`).

    The router records the matched route in the request's scope; a request no route matched
    (a 404 of an unknown path) is `unmatched`, so raw paths never become labels.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE
