"""Layout noise of exported pages: leading line numbers and the many forms of list markers.

Both work on a page's lines after whitespace clean-up. Line numbers are removed only when a page
is line-numbered as a whole (most lines start with increasing integers), so a numbered list
("1. Grundsätze") or a numbered heading in an ordinary document stays as it is.
"""

from __future__ import annotations

import itertools
import re

# "12 Text", "12" alone, and "- 12 • Text" (a Markdown export that put a list dash first).
LINE_NUMBER = re.compile(r"^(?:[-*]\s+)?(\d{1,5})(?=\s|$)(?!\s*[.)])\s*")
MIN_NUMBERED_LINES = 5
NUMBERED_SHARE = 0.8
INCREASING_SHARE = 0.9

# Glyph bullets: •, ◦, ▪, ▫, ■, □, ●, ○, ►, ▶, ➢, ✓, ‣, ∙, ·, dashes, "*", "o" and the
# Wingdings bullets of Word exports (private use area, e.g. U+F0B7, U+F0A7, U+F0D8).
# Dashes, "*" and "o" count only when a space follows ("**fett**", "-10 %" are not bullets).
GLYPH_BULLET = re.compile(r"^(?:[•◦▪▫■□●○►▶➢➤✓✔‣∙·\uf000-\uf0ff]\s*|[-–—*o]\s+)(?=\S)")
# Enumerators "a)", "(a)", "1)", "iv)" are kept (the label is content: "siehe b)"), written as
# "a) ". "(1)" stays: in German legal text it numbers a paragraph (Absatz).
ENUMERATOR = re.compile(r"^(?:\(([a-z]|[ivx]{1,4})\)|([a-z]|\d{1,2}|[ivx]{1,4})\))\s*(?=\S)")
LONE_BULLET = re.compile(r"^(?:[•◦▪▫■●○►▶➢➤‣∙·*]|[\uf000-\uf0ff])$")
NORMAL_BULLET = "- "


def _line_number(line: str) -> int | None:
    match = LINE_NUMBER.match(line)
    return int(match.group(1)) if match else None


def is_line_numbered(lines: list[str], min_lines: int = MIN_NUMBERED_LINES) -> bool:
    """True when most non-empty lines (at least `min_lines`) start with a number and the
    numbers mostly increase."""
    filled = [line for line in lines if line.strip()]
    numbers = [n for n in map(_line_number, filled) if n is not None]
    if len(numbers) < max(min_lines, 1) or len(numbers) < NUMBERED_SHARE * len(filled):
        return False
    steps = list(itertools.pairwise(numbers))
    increasing = sum(later > earlier for earlier, later in steps)
    return increasing >= INCREASING_SHARE * len(steps)


def strip_line_numbers(lines: list[str], min_lines: int = MIN_NUMBERED_LINES) -> list[str]:
    """Remove the leading line number of every line of a line-numbered page; others unchanged.

    `min_lines=1` suits a short page of a document whose other pages are line-numbered.
    """
    if not is_line_numbered(lines, min_lines):
        return lines
    return [LINE_NUMBER.sub("", line, count=1) if line.strip() else line for line in lines]


def normalize_list_marker(line: str) -> str:
    """Write glyph bullets as "- " and enumerators as "a) ", "1) "; other lines unchanged."""
    enumerator = ENUMERATOR.match(line)
    if enumerator:
        label = enumerator.group(1) or enumerator.group(2)
        return f"{label}) {line[enumerator.end() :]}"
    bullet = GLYPH_BULLET.match(line)
    return NORMAL_BULLET + line[bullet.end() :] if bullet else line


def normalize_list_markers(lines: list[str]) -> list[str]:
    """Normalise every list marker; a bullet alone on its line is joined with the next line."""
    merged: list[str] = []
    pending_bullet = False
    for line in lines:
        if LONE_BULLET.match(line):
            pending_bullet = True
            continue
        if pending_bullet and line:
            line = NORMAL_BULLET + line
        pending_bullet = False
        merged.append(normalize_list_marker(line))
    return merged
