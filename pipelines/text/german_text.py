"""German text structure: sentence boundaries, headings and list items, all as character spans.

Spans always index the text they were computed on, so a chunk made of spans can be cut out of its
page text exactly (citations rely on that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lower-case words that end with a period without ending the sentence ("z. B.", "Nr. 3", ...).
ABBREVIATIONS = frozenset(
    """
    abb abs abschn abt allg anl anm art aufl ausschl bd betr bsp bspw bzgl bzw ca chr dgl dr
    ebd eigtl einschl entspr evtl ff fr gem ggf grds hr hrsg inkl insb insbes jh jg kap lfd
    lit max mind mio mrd nr o.ä od orig pkt prof rd rn rz sog str tab tel u.a vgl verf vj zb
    zit ziff zzgl jan feb febr mrz apr jun jul aug sep sept okt nov dez
    """.split()
)
SENTENCE_END = re.compile(r"[.!?…]+[\"'”“«»)\]]*(?=\s)")
NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'„“«(\[]?[A-ZÄÖÜ0-9§]")
WORD_BEFORE = re.compile(r"(\S+)$")
LETTER_PERIODS = re.compile(r"^(?:[A-Za-zÄÖÜäöü]\.)+$")
ORDINAL = re.compile(r"^\(?\d{1,2}\.$")
BULLET = re.compile(r"^\s*(?:[•◦▪▫‣∙·\-–—*]|\d{1,2}\)|[a-z]\))\s+")
NUMBERED_HEADING = re.compile(r"^\s*((?:\d{1,2}\.)*\d{1,2})\.?\s+(\S.*)$")
TOP_HEADING = re.compile(r"^\s*TOP\s+\d{1,2}\b", re.IGNORECASE)
WORD = re.compile(r"\S+")
MONTHS = frozenset(
    "januar februar märz april mai juni juli august september oktober november dezember".split()
)


@dataclass(frozen=True)
class Heading:
    """A heading line: its span in the text, its level (0 = document title) and its text."""

    start: int
    end: int
    level: int
    text: str


def count_words(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(WORD.findall(text))


def _is_abbreviation(word: str) -> bool:
    core = word.rstrip(".").lstrip("(\"'„“").lower()
    if LETTER_PERIODS.match(word.lstrip("(\"'„“")) or ORDINAL.match(word):
        return True
    return core in ABBREVIATIONS or (len(core) == 1 and core.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentences; returns (start, end) spans, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in SENTENCE_END.finditer(text, start, end):
        boundary = match.end()
        if not NEXT_STARTS_SENTENCE.match(text, boundary, end):
            continue
        if match.group(0).startswith(".") and len(match.group(0).rstrip("\"'”“«»)]")) == 1:
            word = WORD_BEFORE.search(text, cursor, match.start() + 1)
            if word and _is_abbreviation(word.group(1)):
                continue
        spans.append((cursor, boundary))
        cursor = boundary
    spans.append((cursor, end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def is_list_item(line: str) -> bool:
    """True for lines that start with a bullet or a list marker."""
    return bool(BULLET.match(line))


def _ends_sentence(line: str) -> bool:
    """True for an empty line or one whose last word ends a sentence ("15." and "Nr." do not)."""
    words = line.split()
    if not words:
        return True
    last = words[-1]
    if last[-1] in ":!?":
        return True
    return last.endswith(".") and not _is_abbreviation(last)


def heading_level(line: str, previous_line: str | None) -> int | None:
    """Guess whether a line of a PDF or text page is a heading; return its level or None.

    Numbered headings ("2.1 Ergebnisse") get their depth, "TOP 3" gets 1, other short lines that
    stand after a finished sentence and do not end like a sentence get 1.
    """
    stripped = line.strip()
    words = count_words(stripped)
    if not stripped or words > 12 or is_list_item(stripped) or stripped[-1] in ".,;:!?-–(":
        return None
    if not (stripped[0].isupper() or stripped[0].isdigit()):
        return None
    if previous_line is not None and not _ends_sentence(previous_line):
        return None
    if TOP_HEADING.match(stripped):
        return 1
    numbered = NUMBERED_HEADING.match(stripped)
    if numbered:
        rest = numbered.group(2)
        if not rest[0].isupper() or rest.split()[0].casefold() in MONTHS:
            return None
        return numbered.group(1).count(".") + 1
    if stripped[0].isdigit() or words > 10 or sum(ch.isalpha() for ch in stripped) < 3:
        return None
    return 1
