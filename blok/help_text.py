"""Help output of `blok`: the parser class every command uses and the exit-code epilogs.

Every command's `--help` ends with the exit codes that command really returns (the codes are
those of `blok.exit_codes`); the raw formatter keeps the epilog's lines as they are written.
"""

from __future__ import annotations

import argparse
from typing import Any

from blok.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_USAGE

WRONG_USAGE = (EXIT_USAGE, "wrong arguments or invalid settings")


class BlokArgumentParser(argparse.ArgumentParser):
    """An argument parser that keeps the lines of its description and epilog.

    Sub-command parsers are created with the class of their parent, so every parser of `blok`
    is one of these.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


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
