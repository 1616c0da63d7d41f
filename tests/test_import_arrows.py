"""The packages import one way: `blok` on top, `core` at the bottom, no cycles.

Allowed arrows (ARCHITECTURE.md): `blok` → all; `search_service`, `evaluation` → `ingest`,
`pipelines`, `core`; `ingest` → `pipelines`, `core`; `pipelines` → `core`; `core` → none. SQL
lives in `core.persistence` alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "blok": {"search_service", "evaluation", "ingest", "pipelines", "core"},
    "search_service": {"ingest", "pipelines", "core"},
    "evaluation": {"ingest", "pipelines", "core"},
    "ingest": {"pipelines", "core"},
    "pipelines": {"core"},
    "core": set(),
}
SQL_STATEMENT = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|"
    r"CREATE\s+(TABLE|INDEX)\s|ALTER\s+TABLE\s|PRAGMA\s)",
    re.I | re.S,
)


def package_imports() -> dict[tuple[str, str], list[str]]:
    """Every import from one package of ours into another: (from, to) → the modules that do it."""
    arrows: dict[tuple[str, str], list[str]] = {}
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    target = name.split(".")[0]
                    if target in ALLOWED and target != package:
                        arrows.setdefault((package, target), []).append(module)
    return arrows


def test_every_import_arrow_points_down() -> None:
    wrong = {
        f"{source} → {target}": sorted(set(modules))
        for (source, target), modules in package_imports().items()
        if target not in ALLOWED[source]
    }
    assert not wrong, f"imports against the allowed direction: {wrong}"


def test_the_allowed_arrows_have_no_cycle() -> None:
    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            step == goal or (step not in seen and reaches(step, goal, seen | {step}))
            for step in ALLOWED[start]
        )

    assert not [package for package in ALLOWED if reaches(package, package)]


def test_sql_is_written_only_in_core_persistence() -> None:
    outside = []
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.parts[:2] == ("core", "persistence"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
                if is_text and SQL_STATEMENT.match(node.value):
                    outside.append(relative.as_posix())
    assert not sorted(set(outside))
