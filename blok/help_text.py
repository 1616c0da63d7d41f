"""Help output of `blok`: the exit-code epilogs and the formatter that keeps their lines.

Every command's `--help` ends with the exit codes that command really returns (the codes are
those of `blok.exit_codes`); a raw formatter keeps the epilog's lines as they are written.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from blok.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_USAGE

WRONG_USAGE = (EXIT_USAGE, "wrong arguments or invalid settings")


def command_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    """Every parser under `parser`, depth first: (command path, one-line help, parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, child in action.choices.items():
                yield (*path, name), helps.get(name, ""), child
                yield from command_parsers(child, (*path, name))


def keep_help_lines(
    parser: argparse.ArgumentParser,
    formatter_class: type[argparse.HelpFormatter] = argparse.RawDescriptionHelpFormatter,
) -> None:
    """Give `parser` and every sub-command parser a formatter that keeps the epilog's lines."""
    parser.formatter_class = formatter_class
    for _, _, child in command_parsers(parser):
        child.formatter_class = formatter_class


def exit_codes_epilog(*codes: tuple[int, str]) -> str:
    """The `exit codes:` block ending a command's help, one line per code in code order.

    A text with line breaks continues on indented lines under its code.
    """
    lines = ["exit codes:"]
    width = max(len(str(code)) for code, _ in codes)
    for code, text in sorted(codes, key=lambda pair: pair[0]):
        first, *rest = text.splitlines()
        lines.append(f"  {code:<{width}}  {first}")
        lines += [" " * (width + 4) + line for line in rest]
    return "\n".join(lines)


def simple_epilog(done: str, error: str) -> str:
    """The epilog of a command that either succeeds, fails, or is called wrongly."""
    return exit_codes_epilog((EXIT_OK, done), (EXIT_ERROR, error), WRONG_USAGE)
