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
2. Each word of at least `min_word_length` letters is split where both parts are common German
   words: the modifier (with a linking "s", "es", "n", "en" or "e" taken off) and the head must
   each have a Zipf frequency of at least `min_part_zipf` in `wordfreq`'s German list (bundled
   with the package, offline), and higher than the whole word's, so established words such as
   "Beispiel" stay whole. The parts are split again the same way and follow the word:
   "eingliederungsleistung eingliederungs leistung" (the stemmer removes the linking "s").

Splits are cached per word. `wordfreq` is Apache-2.0; its word lists are CC BY-SA 4.0 (Robyn
Speer, wordfreq, https://github.com/rspeer/wordfreq), used unchanged through the package.
"""

from __future__ import annotations

import re
from functools import lru_cache

from wordfreq import zipf_frequency

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

LINKING_ELEMENTS = ("", "s", "es", "n", "en", "e")


def zipf(word: str) -> float:
    """Zipf frequency of a lower-case German word (0 when unknown)."""
    return float(zipf_frequency(word, "de"))


def fold_umlauts(word: str) -> str:
    """Lower-case `word` and write "ae", "oe", "ue" as umlauts where they stand for one."""
    lowered = VOWEL_U.sub(PROTECTED_U, word.lower())
    folded = TWO_LETTER_UMLAUT.sub(lambda match: UMLAUTS[match.group()], lowered)
    return folded.replace(PROTECTED_U, "u")


def without_linking_element(modifier: str, min_length: int) -> list[str]:
    """The modifier and its forms without a linking element ("arbeits" → "arbeit")."""
    forms = []
    for link in LINKING_ELEMENTS:
        if modifier.endswith(link) and len(modifier) - len(link) >= min_length:
            forms.append(modifier[: len(modifier) - len(link)] if link else modifier)
    return forms


class GermanLexicalAnalyzer:
    """Rewrite German text for BM25: umlaut spellings folded, compounds followed by their parts."""

    def __init__(
        self,
        *,
        split_compounds: bool = True,
        min_word_length: int = 8,
        min_part_length: int = 4,
        min_part_zipf: float = 2.5,
        max_depth: int = 3,
        cache_size: int = 200_000,
    ) -> None:
        self.split_compounds = split_compounds
        self.min_word_length = min_word_length
        self.min_part_length = min_part_length
        self.min_part_zipf = min_part_zipf
        self.max_depth = max_depth
        self.cache_size = cache_size
        self._rewrite_word = lru_cache(maxsize=cache_size)(self._rewrite_word_uncached)

    def warm_up(self) -> None:
        """Load the German word list (once per process; later calls return at once)."""
        if self.split_compounds:
            zipf("leistung")

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
            *self._parts(without_linking_element(modifier, self.min_part_length)[-1], depth - 1),
            *self._parts(head, depth - 1),
        ]

    def _best_split(self, word: str) -> tuple[str, str] | None:
        # "ss" may stand for "ß" ("Massnahmen"): the word list knows the current spelling better.
        spellings = [word, word.replace("ss", "ß")] if "ss" in word else [word]
        best: tuple[float, str, str] | None = None
        for spelling in spellings:
            whole = zipf(spelling)
            for position in range(self.min_part_length, len(spelling) - self.min_part_length + 1):
                modifier, head = spelling[:position], spelling[position:]
                if head in SUFFIX_HEADS:
                    continue
                head_zipf = zipf(head)
                if head_zipf < self.min_part_zipf:
                    continue
                for form in without_linking_element(modifier, self.min_part_length - 1):
                    score = min(zipf(form), head_zipf)
                    good = score >= self.min_part_zipf and score > whole
                    if good and (best is None or score > best[0]):
                        best = (score, modifier, head)
        return None if best is None else (best[1], best[2])
