"""The generated reference pages: `docs/configuration.md` and `docs/cli-reference.md`.

`docs/configuration.md` is drawn from `core.settings.Settings` (every setting with its variable,
type, default and description), `docs/cli-reference.md` from `blok.cli.build_parser()` (every
command and sub-command with its help). Rewrite both after changing a setting or a command:

    python -m blok.docs_reference          # rewrite the pages
    python -m blok.docs_reference --check  # exit 1 if a page is out of date

`tests/test_docs_reference.py` fails while a page differs from what this module renders.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from blok.cli import build_parser
from blok.help_text import command_parsers, keep_help_lines
from core.access import Role
from core.settings import Settings

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"
REGENERATE = "python -m blok.docs_reference"
HELP_WIDTH = 90
GENERATED_NOTE = (
    f"<!-- Generated from {{source}} by `{REGENERATE}`; edit the source, not this page. -->"
)

CONFIGURATION_INTRO = """\
Settings are read once, when a command or the service starts, from environment variables: the
prefix `BLOK_`, the section, `__`, the field, e.g. `BLOK_RETRIEVAL__SPARSE_WEIGHT=0.3`.
`blok --data-dir DIR` overrides `BLOK_DATA_DIR`. A list is given as JSON
(`BLOK_SERVER__CORS_ORIGINS='["https://intranet.example"]'`). An invalid value stops `blok` with
exit code 2 and a message naming the setting; the service does not start with one. The defaults
suit one small machine; "unset" means the setting has no value unless you give one.
"""

OTHER_VARIABLES = (
    (
        "BLOK_API_KEY",
        "`blok ingest`",
        "Office or admin API key for handing files to a running `blok serve` (the same as "
        "`--api-key`).",
    ),
    (
        "BLOK_TORCH_INDEX_URL",
        "`scripts/setup.sh`",
        "An extra package index for PyTorch; set it to PyTorch's CPU wheel index on a machine "
        "whose pip would pick a CUDA build.",
    ),
)


def settings_sections() -> Iterator[tuple[str, str, dict[str, FieldInfo]]]:
    """(section name, its description, its fields); top-level fields form the first section."""
    top_level = {
        name: field
        for name, field in Settings.model_fields.items()
        if not is_section(field.annotation)
    }
    yield "", "Settings outside a section.", top_level
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield name, inspect.getdoc(annotation) or "", dict(annotation.model_fields)


def is_section(annotation: Any) -> bool:
    """Whether a field of `Settings` is a nested section of settings."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def variable_name(section: str, field: str) -> str:
    """The environment variable of a setting: `BLOK_SECTION__FIELD` or `BLOK_FIELD`."""
    return f"BLOK_{section.upper()}__{field.upper()}" if section else f"BLOK_{field.upper()}"


def describe_type(annotation: Any) -> str:
    """A reader's name for a setting's type."""
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(annotation))
    if origin in (Union, types.UnionType):
        kinds = [arg for arg in get_args(annotation) if arg is not type(None)]
        return " or ".join(describe_type(kind) for kind in kinds) + " (optional)"
    if origin is list:
        (item,) = get_args(annotation)
        return f"JSON list of {describe_type(item)}"
    if origin is dict:
        key, value = get_args(annotation)
        return f"JSON object, {describe_type(key)} → {describe_type(value)}"
    names = {
        bool: "`true`/`false`",
        int: "integer",
        float: "number",
        str: "text",
        Path: "path",
        SecretStr: "text (secret)",
        Role: "role (`reader`, `office`, `admin`)",
    }
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def describe_bounds(field: FieldInfo) -> str:
    """The range a number must lie in, e.g. `1 … 512` or `> 0`."""
    lower = upper = ""
    for constraint in field.metadata:
        if isinstance(constraint, annotated_types.Ge):
            lower = f"≥ {constraint.ge}"
        elif isinstance(constraint, annotated_types.Gt):
            lower = f"> {constraint.gt}"
        elif isinstance(constraint, annotated_types.Le):
            upper = f"≤ {constraint.le}"
        elif isinstance(constraint, annotated_types.Lt):
            upper = f"< {constraint.lt}"
    return ", ".join(part for part in (lower, upper) if part)


def describe_default(field: FieldInfo) -> str:
    """The default as it is written in the environment."""
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "empty"
    if isinstance(value, list | dict):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def table_cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def render_configuration() -> str:
    """The page `docs/configuration.md`."""
    lines = [
        "# Configuration",
        "",
        GENERATED_NOTE.format(source="`core/settings.py`"),
        "",
        CONFIGURATION_INTRO,
    ]
    sections = list(settings_sections())
    lines.append(
        "Sections: "
        + ", ".join(f"[{name or 'general'}](#{name or 'general'})" for name, _, _ in sections)
        + "."
    )
    for section, description, fields in sections:
        lines += ["", f"## {section or 'general'}", "", table_cell(description), ""]
        lines += ["| variable | type | default | description |", "|---|---|---|---|"]
        for name, field in fields.items():
            kind = describe_type(field.annotation)
            bounds = describe_bounds(field)
            cells = (
                f"`{variable_name(section, name)}`",
                table_cell(f"{kind}, {bounds}" if bounds else kind),
                table_cell(describe_default(field)),
                table_cell(field.description or ""),
            )
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Other environment variables", ""]
    lines += ["| variable | used by | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {used_by} | {meaning} |" for name, used_by, meaning in OTHER_VARIABLES]
    return "\n".join(lines) + "\n"


class ReferenceFormatter(argparse.RawDescriptionHelpFormatter):
    """The help formatter of the parsers, at a fixed width so that the page does not depend on
    the terminal it was generated in."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=HELP_WIDTH)


def render_cli_reference() -> str:
    """The page `docs/cli-reference.md`."""
    parser = build_parser()
    commands = list(command_parsers(parser))
    keep_help_lines(parser, ReferenceFormatter)
    lines = [
        "# `blok` command reference",
        "",
        GENERATED_NOTE.format(source="the parser of `blok/cli.py` and `blok/commands/`"),
        "",
        "The help of every command, as `blok … --help` prints it; [the CLI guide](cli.md) "
        "explains what the commands are for. Every command runs as `blok` (installed into "
        "`.venv/bin/`) or as `python -m blok`.",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for path, help_text, _ in commands:
        name = " ".join(("blok", *path))
        lines.append(f"| [`{name}`](#{anchor(name)}) | {table_cell(help_text)} |")
    sections = [
        ("blok", parser),
        *((" ".join(("blok", *path)), each) for path, _, each in commands),
    ]
    for name, each in sections:
        level = "#" * min(2 + name.count(" "), 4)
        lines += ["", f"{level} {name}", "", "```text", each.format_help().rstrip(), "```"]
    return "\n".join(lines) + "\n"


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading made of words, spaces and dashes."""
    return heading.lower().replace(" ", "-")


def generated_pages() -> dict[str, str]:
    """The file name under `docs/` and the text of every generated page."""
    return {
        "configuration.md": render_configuration(),
        "cli-reference.md": render_cli_reference(),
    }


def stale_pages(docs_dir: Path) -> list[str]:
    """The generated pages whose file under `docs_dir` differs from what is rendered now."""
    stale = []
    for name, text in generated_pages().items():
        path = docs_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated pages, or with `--check` only report the stale ones."""
    parser = argparse.ArgumentParser(prog="python -m blok.docs_reference", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    parser.add_argument("--docs-dir", type=Path, default=DOCS_DIR, help="default: docs/")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages(args.docs_dir)
        for name in stale:
            print(f"{args.docs_dir / name} is out of date: run `{REGENERATE}`", file=sys.stderr)
        return 1 if stale else 0
    args.docs_dir.mkdir(parents=True, exist_ok=True)
    for name, text in generated_pages().items():
        (args.docs_dir / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.docs_dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
