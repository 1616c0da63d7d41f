"""Find the files to ingest under the given paths."""

from __future__ import annotations

from pathlib import Path

from core.errors import InvalidRequestError

SIDECAR_SUFFIX = ".meta.yaml"
IGNORED_NAMES = {"_manifest.yaml", "README.md", "LICENSE.md"}


def is_ingestible(path: Path) -> bool:
    """Files that are documents: not sidecars, not hidden, not folder notes."""
    return (
        path.is_file()
        and not path.name.startswith((".", "~$"))
        and not path.name.endswith(SIDECAR_SUFFIX)
        and path.name not in IGNORED_NAMES
    )


def discover_files(paths: list[Path]) -> list[Path]:
    """Files given directly plus every ingestible file below given folders, sorted, no repeats.

    Raises:
        InvalidRequestError: a path does not exist.
    """
    return [file for file, _ in discover_files_with_roots(paths)]


def discover_files_with_roots(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Like `discover_files`, each file with the folder it was found from (its manifest root).

    A file given directly has its own folder as root.

    Raises:
        InvalidRequestError: a path does not exist.
    """
    found: dict[Path, Path] = {}
    for path in paths:
        if not path.exists():
            raise InvalidRequestError(f"{path} does not exist")
        if path.is_dir():
            root = path.resolve()
            for candidate in sorted(path.rglob("*")):
                relative_parts = candidate.relative_to(path).parts
                if is_ingestible(candidate) and not any(p.startswith(".") for p in relative_parts):
                    found.setdefault(candidate.resolve(), root)
        else:
            found.setdefault(path.resolve(), path.resolve().parent)
    return list(found.items())
