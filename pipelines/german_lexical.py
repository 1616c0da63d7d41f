"""German text for BM25: spelling variants folded, compounds split into their parts.

Qdrant Edge's German BM25 already lower-cases, drops stopwords and stems with Snowball ("german"),
which turns ß into ss and ä/ö/ü into a/o/u, so "Maßnahme"/"Massnahme" and "Amt"/"Ämter" meet. It
does not know the spellings without umlauts ("Foerderung", "fuer"), and it keeps a compound
("Eingliederungsleistung") apart from its parts ("Leistungen zur Eingliederung").
`GermanLexicalAnalyzer` rewrites text before it reaches the tokenizer, the same way for documents
and queries:

1. Umlauts written as two letters become umlauts ("foerderung" → "förderung", "fuer" → "für", so
   stopwords stay stopwords), as in Snowball's german2 variant: a "u" between vowels
   ("Frauen", "neue", "Steuer") and "qu" ("Quelle") are left alone.
2. Each word of at least `min_word_length` letters is split by CharSplit (`compound-split`, n-gram
   probabilities learnt from German text, offline) where the best split scores at least
   `min_split_score` and both parts have `min_part_length` letters; the parts are split again the
   same way. The parts follow the word: "eingliederungsleistung eingliederungs leistung"
   (the stemmer removes the linking "s").

Splits are cached per word; the probability tables (about 350 MB, 2 s) load once per process.
The defaults (score ≥ 0.3, parts ≥ 4 letters, words ≥ 8) were chosen on the BM25-only figures of
`blok eval demo xquad-de omosqa-de-dev`: MRR 0.835/0.939/0.629 without the analyzer, 0.914/0.947/
0.656 with it; 0.5, 0.8 and 0.0 or parts ≥ 3 were as good or worse on every set.
"""

from __future__ import annotations

import importlib
import re
import threading
from functools import lru_cache
from types import ModuleType
from typing import Any

WORD = re.compile(r"[^\W\d_]+")
# A "u" between vowels is a consonant in Snowball's sense ("Frauen", "neue"): keep it out of "ue".
VOWEL_U = re.compile(r"(?<=[aeiouyäöü])u(?=[aeiouyäöü])")
TWO_LETTER_UMLAUT = re.compile(r"(?<!q)ue|ae|oe")
UMLAUTS = {"ae": "ä", "oe": "ö", "ue": "ü"}
PROTECTED_U = "\x00"
# Heads that are word endings, not words: "Förder|ung", "Organ|isation", "Alleinerzieh|ende".
SUFFIX_HEADS = frozenset(
    "ung ungen heit heiten keit keiten igkeit igkeiten schaft schaften isation isationen "
    "ende enden ender lich liche lichen ische ischen ieren ierung ierungen tion tionen".split()
)

_tables: ModuleType | None = None
_tables_lock = threading.Lock()


def load_split_tables() -> ModuleType:
    """CharSplit's German n-gram probabilities, imported once per process."""
    global _tables
    with _tables_lock:
        if _tables is None:
            # Only the German tables: `compound_split.char_split` would load the Dutch ones too.
            _tables = importlib.import_module("compound_split.de_ngram_probs")
    return _tables


def fold_umlauts(word: str) -> str:
    """Lower-case `word` and write "ae", "oe", "ue" as umlauts where they stand for one."""
    lowered = VOWEL_U.sub(PROTECTED_U, word.lower())
    folded = TWO_LETTER_UMLAUT.sub(lambda match: UMLAUTS[match.group()], lowered)
    return folded.replace(PROTECTED_U, "u")


def _without_linking_s(part: str) -> str:
    # CharSplit's own rule: "arbeits" is looked up as "arbeit".
    if part.endswith(("ts", "gs", "ks", "hls", "ns")) and len(part) > 3:
        return part[:-1]
    return part


def split_candidates(word: str, tables: Any) -> list[tuple[float, int]]:
    """CharSplit's (score, position) of every split of a lower-case word, best first."""
    prefix, infix, suffix = tables.prefix, tables.infix, tables.suffix
    candidates = []
    for position in range(3, len(word) - 2):
        start_probability = prefix.get(_without_linking_s(word[position:]), -1)
        end_probability = suffix.get(_without_linking_s(word[:position]), -1)
        inner = min(infix.get(word[position:end], 1) for end in range(len(word), position + 2, -1))
        candidates.append((start_probability - inner + end_probability, position))
    candidates.sort(key=lambda candidate: -candidate[0])
    return candidates


class GermanLexicalAnalyzer:
    """Rewrite German text for BM25: umlaut spellings folded, compounds followed by their parts."""

    def __init__(
        self,
        *,
        split_compounds: bool = True,
        min_word_length: int = 8,
        min_part_length: int = 4,
        min_split_score: float = 0.3,
        max_depth: int = 3,
        cache_size: int = 200_000,
    ) -> None:
        self.split_compounds = split_compounds
        self.min_word_length = min_word_length
        self.min_part_length = min_part_length
        self.min_split_score = min_split_score
        self.max_depth = max_depth
        self.cache_size = cache_size
        self._tables: ModuleType | None = None
        self._rewrite_word = lru_cache(maxsize=cache_size)(self._rewrite_word_uncached)

    def warm_up(self) -> None:
        """Load the split probabilities (once per process; later calls return at once)."""
        if self.split_compounds and self._tables is None:
            self._tables = load_split_tables()

    def document_text(self, text: str) -> str:
        """The text to give the BM25 tokenizer for a document."""
        return self._rewrite(text)

    def query_text(self, text: str) -> str:
        """The text to give the BM25 tokenizer for a query (same rules as documents)."""
        return self._rewrite(text)

    def compound_parts(self, word: str) -> list[str]:
        """The parts of a (folded, lower-case) word, outer splits first; empty when not split."""
        self.warm_up()
        return self._parts(word, self.max_depth)

    def _rewrite(self, text: str) -> str:
        self.warm_up()
        return WORD.sub(lambda match: self._rewrite_word(match.group()), text)

    def _rewrite_word_uncached(self, word: str) -> str:
        folded = fold_umlauts(word)
        parts = self._parts(folded, self.max_depth) if self.split_compounds else []
        return " ".join([folded, *parts])

    def _parts(self, word: str, depth: int) -> list[str]:
        if depth <= 0 or len(word) < max(self.min_word_length, 2 * self.min_part_length):
            return []
        split = self._best_split(word)
        if split is None:
            return []
        modifier, head = split
        return [
            modifier,
            head,
            *self._parts(_without_linking_s(modifier), depth - 1),
            *self._parts(head, depth - 1),
        ]

    def _best_split(self, word: str) -> tuple[str, str] | None:
        # "ss" may stand for "ß" ("Massnahmen"): the tables know the current spelling better.
        spellings = [word, word.replace("ss", "ß")] if "ss" in word else [word]
        best: tuple[float, str, str] | None = None
        for spelling in spellings:
            for score, position in split_candidates(spelling, self._tables):
                if score < self.min_split_score:
                    break
                modifier, head = spelling[:position], spelling[position:]
                if min(len(modifier), len(head)) >= self.min_part_length and (
                    head not in SUFFIX_HEADS
                ):
                    if best is None or score > best[0]:
                        best = (score, modifier, head)
                    break
        return None if best is None else (best[1], best[2])
