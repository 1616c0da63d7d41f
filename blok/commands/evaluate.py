"""`blok eval`: retrieval and answer quality on gold sets."""

from __future__ import annotations

import argparse

from blok.exit_codes import EXIT_OK
from blok.help_text import simple_epilog
from core.settings import Settings


def add_eval_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`blok eval [DATASET...] [--limit N] [--json] [--no-answers] [--no-infer-filters]`."""
    evaluate = commands.add_parser(
        "eval",
        help="measure retrieval quality on gold sets",
        epilog=simple_epilog(
            "measured (the figures say how good; no threshold fails the command)",
            "a gold set cannot be read or indexed",
        ),
    )
    evaluate.add_argument(
        "datasets",
        nargs="*",
        default=["demo"],
        help="`demo`, `xquad-de`, `omosqa-de-dev`, `sgb2-de` or a folder with corpus.jsonl + "
        "queries.jsonl",
    )
    evaluate.add_argument("--limit", type=int, default=None, help="evaluate only N questions")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument(
        "--no-answers", action="store_true", help="measure retrieval only, not the answers"
    )
    evaluate.add_argument(
        "--no-infer-filters",
        action="store_true",
        help="search without the filters read from the questions",
    )


def command_eval(settings: Settings, args: argparse.Namespace) -> int:
    """`blok eval [DATASET...]`."""
    from evaluation.runner import run_evaluation

    report = run_evaluation(
        settings,
        args.datasets,
        limit=args.limit,
        as_json=args.json,
        answers=not args.no_answers,
        infer_filters=not args.no_infer_filters,
    )
    print(report)
    return EXIT_OK
