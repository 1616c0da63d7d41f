"""The office's glossary: abbreviations and renamed terms that widen a query.

`<data_dir>/glossary.yaml` is copied from `pipelines/resources/glossary.yaml` on first use, so the
office can edit it (the file's comments explain the format); a searcher built afterwards reads
the edited file. Two sections:

- `abkuerzungen`: abbreviation → long form(s). The abbreviation matches as a whole word with exact
  case ("BG", not "bg"; a plural "s" is allowed: "AGHs"); its long forms are added to the query.
  Not the other way round: adding "JC" to every query with "Jobcenter" made rankings worse.
- `begriffe`: groups of terms for the same thing (renamed terms, old and new names). A term of a
  group in the query (whole words, any case, space or hyphen between words) adds the other terms.

Expansions are followed once more, so "EGV" adds "Eingliederungsvereinbarung" and its new name
"Kooperationsplan".
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.errors import GlossaryError

DEFAULT_GLOSSARY = Path(__file__).resolve().parents[1] / "resources" / "glossary.yaml"
GLOSSARY_FILE_NAME = "glossary.yaml"
SECTIONS = ("abkuerzungen", "begriffe")
EXPANSION_ROUNDS = 2


@dataclass(frozen=True)
class GlossaryEntry:
    """A word or phrase that, found in a query, adds `expansions`."""

    term: str
    expansions: tuple[str, ...]
    case_sensitive: bool

    def pattern(self) -> re.Pattern[str]:
        """Whole-word pattern; words may be joined by spaces or hyphens."""
        words = [re.escape(word) for word in re.split(r"[\s\-]+", self.term.strip()) if word]
        plural = "s?" if self.case_sensitive else ""
        body = r"[\s\-]+".join(words)
        flags = 0 if self.case_sensitive else re.IGNORECASE
        return re.compile(rf"(?<!\w){body}{plural}(?!\w)", flags)


class Glossary:
    """Entries of one glossary file; `expand(query)` appends what the query's terms stand for."""

    def __init__(self, entries: Iterable[GlossaryEntry] = ()) -> None:
        self.entries = tuple(entries)
        self._patterns = [(entry.pattern(), entry) for entry in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def expansions(self, query: str) -> list[str]:
        """Terms to add to `query`, in glossary order, without repeats or terms already there."""
        added: list[str] = []
        present = {query.casefold()}  # terms found in the query or added, for the repeat check
        text = query
        for _ in range(EXPANSION_ROUNDS):
            matched = [entry for pattern, entry in self._patterns if pattern.search(text)]
            present.update(entry.term.casefold() for entry in matched)
            known = " ".join(present)
            new = [
                term
                for term in dict.fromkeys(e for entry in matched for e in entry.expansions)
                if term.casefold() not in present and not _contains(known, term)
            ]
            if not new:
                break
            added.extend(new)
            present.update(term.casefold() for term in new)
            text = " ".join(new)
        return added

    def expand(self, query: str) -> str:
        """The query followed by its expansions."""
        return " ".join([query, *self.expansions(query)])


def _contains(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", text) is not None


def parse_glossary(text: str, source: str = GLOSSARY_FILE_NAME) -> Glossary:
    """Build a glossary from YAML text.

    Raises:
        GlossaryError: the YAML is malformed or not in the glossary's format.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise GlossaryError(f"{source}{line}: invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise GlossaryError(f"{source}: invalid YAML: {exc}") from exc
    if root is None:
        return Glossary()
    sections = _mapping(root, source, "the glossary")
    entries: list[GlossaryEntry] = []
    for key_node, value_node in sections:
        name = _scalar(key_node, source, "a section name")
        if name not in SECTIONS:
            raise _error(key_node, source, f"unknown section {name!r}; allowed: {SECTIONS}")
        if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
            continue
        if name == "abkuerzungen":
            entries.extend(_abbreviations(value_node, source))
        else:
            entries.extend(_term_groups(value_node, source))
    return Glossary(entries)


def _abbreviations(node: yaml.Node, source: str) -> list[GlossaryEntry]:
    entries = []
    for key_node, value_node in _mapping(node, source, "abkuerzungen"):
        abbreviation = _scalar(key_node, source, "an abbreviation")
        long_forms = _terms(value_node, source, f"the long form of {abbreviation!r}")
        entries.append(GlossaryEntry(abbreviation, tuple(long_forms), case_sensitive=True))
    return entries


def _term_groups(node: yaml.Node, source: str) -> list[GlossaryEntry]:
    if not isinstance(node, yaml.SequenceNode):
        raise _error(node, source, "begriffe must be a list of groups like [Neu, Alt]")
    entries: list[GlossaryEntry] = []
    for group_node in node.value:
        group = _terms(group_node, source, "a group of terms")
        if len(group) < 2:
            raise _error(group_node, source, "a group needs at least two terms")
        entries.extend(
            GlossaryEntry(term, tuple(other for other in group if other != term), False)
            for term in group
        )
    return entries


def _mapping(node: yaml.Node, source: str, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _error(node, source, f"{what} must be a mapping (`name: value` lines)")
    return list(node.value)


def _terms(node: yaml.Node, source: str, what: str) -> list[str]:
    values = node.value if isinstance(node, yaml.SequenceNode) else [node]
    terms = [_scalar(value, source, what) for value in values]
    if not terms:
        raise _error(node, source, f"{what} is empty")
    return terms


def _scalar(node: yaml.Node, source: str, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _error(node, source, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _error(node: yaml.Node, source: str, message: str) -> GlossaryError:
    return GlossaryError(f"{source}, line {node.start_mark.line + 1}: {message}")


def load_glossary(data_dir: Path) -> Glossary:
    """Read `<data_dir>/glossary.yaml`, copying the default there first if it is missing.

    Raises:
        GlossaryError: the file is not valid.
    """
    path = Path(data_dir) / GLOSSARY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEFAULT_GLOSSARY, path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"{path}: cannot read the glossary: {exc}") from exc
    return parse_glossary(text, source=str(path))
