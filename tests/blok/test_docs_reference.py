"""The generated reference pages are current, and every command's help ends with its exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from blok.cli import build_parser
from blok.docs_reference import DOCS_DIR, REGENERATE, generated_pages, main
from blok.help_text import command_parsers


@pytest.mark.parametrize("name", sorted(generated_pages()))
def test_the_generated_page_is_current(name: str) -> None:
    path = DOCS_DIR / name
    assert path.is_file(), f"docs/{name} is missing: run `{REGENERATE}`"
    current = path.read_text(encoding="utf-8")
    assert current == generated_pages()[name], (
        f"docs/{name} is out of date (a setting or a command changed): run `{REGENERATE}` "
        "and commit the result"
    )


def test_every_command_and_sub_command_is_in_the_cli_reference() -> None:
    reference = (DOCS_DIR / "cli-reference.md").read_text(encoding="utf-8")
    for path, _, parser in command_parsers(build_parser()):
        assert f"# {' '.join(('blok', *path))}\n" in reference
        assert parser.format_usage().split(":", 1)[1].split()[0:2] == ["blok", path[0]]


def test_every_command_help_ends_with_its_exit_codes() -> None:
    parser = build_parser()
    for path, _, command in [((), "", parser), *command_parsers(parser)]:
        name = " ".join(("blok", *path))
        _, separator, epilog = command.format_help().rpartition("\nexit codes:\n")
        assert separator, f"`{name} --help` does not end with its exit codes"
        codes = [line.split()[0] for line in epilog.splitlines() if line[2:3].isdigit()]
        assert codes[:3] == ["0", "1", "2"], f"{name}: {codes} (the epilog lost its lines?)"
        # Only ingest (files skipped) and reindex (documents lost) return 3.
        returns_three = path in ((), ("ingest",), ("reindex",))
        assert ("3" in codes) == returns_three, name


def test_the_generator_rewrites_stale_pages_and_check_reports_them(tmp_path: Path) -> None:
    assert main(["--check", "--docs-dir", str(tmp_path)]) == 1
    assert main(["--docs-dir", str(tmp_path)]) == 0
    assert main(["--check", "--docs-dir", str(tmp_path)]) == 0
    (tmp_path / "configuration.md").write_text("edited by hand\n", encoding="utf-8")
    assert main(["--check", "--docs-dir", str(tmp_path)]) == 1
