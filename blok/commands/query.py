"""`blok search` and `blok ask`: the searcher on the command line, with full access."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from blok.exit_codes import EXIT_OK
from blok.help_text import simple_epilog
from core.access import SYSTEM
from core.filters import SearchFilters
from core.settings import Settings

if TYPE_CHECKING:
    from pipelines.search import FilterInference
    from search_service.schemas import AskResponse, SearchResponse


def add_query_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`blok search QUERY` and `blok ask QUERY`, with the metadata filters."""
    search = commands.add_parser(
        "search",
        help="search the index",
        description="Hybrid search with the office's full access (the API applies each caller's).",
        epilog=simple_epilog(
            "searched (also when nothing was found)", "the store or the model is unavailable"
        ),
    )
    search.add_argument("query")
    search.add_argument("--top-k", type=int, default=None, help="number of results")
    add_filter_arguments(search)
    search.add_argument("--json", action="store_true", help="print the API's JSON response")
    search.add_argument(
        "--facets",
        action="store_true",
        help="also count documents per kind, ring, year, topic, job centre",
    )

    ask = commands.add_parser(
        "ask",
        help="a short answer with verified citations",
        description="An answer quoting the best passages, with the office's full access.",
        epilog=simple_epilog(
            "answered (also when it abstains)", "the store or the model is unavailable"
        ),
    )
    ask.add_argument("query")
    ask.add_argument("--top-k", type=int, default=None, help="passages to draw on")
    add_filter_arguments(ask)
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The metadata filters shared by `search` and `ask`."""
    parser.add_argument("--kind", action="append", default=[], help="document kind (repeatable)")
    parser.add_argument("--ring", action="append", default=[], help="ring, e.g. vr3 (repeatable)")
    parser.add_argument("--topic", action="append", default=[], help="topic (repeatable)")
    parser.add_argument("--job-centre", action="append", default=[], help="job centre")
    parser.add_argument("--year-from", type=int, help="documents of this year or later")
    parser.add_argument("--year-to", type=int, help="documents of this year or earlier")
    parser.add_argument(
        "--no-infer-filters",
        action="store_true",
        help="do not read ring, years, kind, job centre or topic from the question",
    )


def filters_from(args: argparse.Namespace) -> SearchFilters:
    """The filters given on the command line."""
    return SearchFilters(
        kind=args.kind,
        ring=args.ring,
        topic=args.topic,
        job_centre=args.job_centre,
        year_from=args.year_from,
        year_to=args.year_to,
    )


def inference_from(args: argparse.Namespace) -> FilterInference:
    """Filter inference as the command line asks for it, "letztes Jahr" counted from today."""
    from pipelines.search import FilterInference

    return FilterInference(enabled=not args.no_infer_filters, today=dt.date.today())


def print_inferred(response: SearchResponse | AskResponse) -> None:
    """One line per filter read from the question, and the ones dropped for finding nothing."""
    for entry in response.applied_filters:
        if entry.inferred:
            print(f"Filter aus der Frage: {entry.field} = {entry.value} („{entry.source_text}“)")
    for entry in response.relaxed_filters:
        print(f"Ohne Treffer, daher nicht angewandt: {entry.field} = {entry.value}")


def command_search(settings: Settings, args: argparse.Namespace) -> int:
    """`blok search "frage"`."""
    from pipelines.search import open_searcher
    from search_service.schemas import SearchRequest, SearchResponse

    request = SearchRequest(
        query=args.query, top_k=args.top_k, filters=filters_from(args), facets=args.facets
    )
    with open_searcher(settings) as searcher:
        outcome = searcher.search(
            request.query,
            principal=SYSTEM,
            top_k=request.top_k,
            filters=request.filters,
            facets=request.facets,
            inference=inference_from(args),
        )
        response = SearchResponse.from_outcome(outcome)
    if args.json:
        print(response.model_dump_json(indent=2))
        return EXIT_OK
    print_inferred(response)
    if not response.results:
        print("Keine Treffer.")
    for rank, hit in enumerate(response.results, start=1):
        where = f"{hit.source_name}, S. {hit.page}"
        print(f"{rank}. {hit.title} ({where}) [{hit.score:.3f}]")
        if hit.section:
            print(f"   Abschnitt: {hit.section}")
        text = " ".join(hit.text.split())
        print(f"   {text[:300]}{'…' if len(text) > 300 else ''}")
    if response.facets is not None:
        print("\nFacetten (Dokumente unter den Kandidaten):")
        for name, values in response.facets:
            counts = ", ".join(f"{facet.value} ({facet.count})" for facet in values)
            print(f"  {name}: {counts or '–'}")
    return EXIT_OK


def command_ask(settings: Settings, args: argparse.Namespace) -> int:
    """`blok ask "frage"`."""
    from pipelines.search import open_searcher
    from search_service.schemas import AskRequest, AskResponse

    request = AskRequest(query=args.query, top_k=args.top_k, filters=filters_from(args))
    with open_searcher(settings) as searcher:
        outcome = searcher.ask(
            request.query,
            principal=SYSTEM,
            top_k=request.top_k,
            filters=request.filters,
            inference=inference_from(args),
        )
        response = AskResponse.from_outcome(outcome)
    if args.json:
        print(response.model_dump_json(indent=2))
        return EXIT_OK
    print_inferred(response)
    print(response.answer)
    for citation in response.citations:
        print(f"[{citation.n}] {citation.title} ({citation.source_name}, S. {citation.page})")
    return EXIT_OK
