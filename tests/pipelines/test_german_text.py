"""Sentence boundaries and headings of German text."""

import pytest

from pipelines.text.german_text import heading_level, is_list_item, sentence_spans


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Der Kreis fördert z. B. Sprachkurse gem. § 16 SGB II und bzw. Praktika.",
        "Siehe Anlage Nr. 3 und vgl. Abs. 2 der Vereinbarung.",
        "Am 1. Januar 2023 trat das Bürgergeld in Kraft.",
        "Das betrifft u. a. die eLb, d. h. alle Leistungsberechtigten.",
        "Die Quote stieg um ca. 12 Prozent, insb. bei Frauen.",
        "Die Sitzung leitete Dr. Meier aus dem Kreis.",
        "Das gilt z.B. auch i.d.R. für Bedarfsgemeinschaften.",
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_sentences_end_at_periods_questions_and_exclamations() -> None:
    text = (
        "Das Ziel ist klar. Wer hilft? Alle! Nach dem SGB II. Die Zahl lag 2019. Danach sank sie."
    )
    assert sentences(text) == [
        "Das Ziel ist klar.",
        "Wer hilft?",
        "Alle!",
        "Nach dem SGB II.",
        "Die Zahl lag 2019.",
        "Danach sank sie.",
    ]


def test_spans_index_the_original_text() -> None:
    text = "  Erster Satz.\nZweiter   Satz über\nzwei Zeilen.  "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Erster Satz.", "Zweiter   Satz über\nzwei Zeilen."]


@pytest.mark.parametrize(
    ("line", "previous", "level"),
    [
        ("1. Grundsätze", "Ende des Absatzes.", 1),
        ("2.3 Arbeitgeberservice", None, 2),
        ("TOP 4: Kennzahlenvergleich", "", 1),
        ("Vereinbarungen", "", 1),
        ("Kreis und Städte haben in einem extern moderierten Prozess die Erfahrungen", None, None),
        ("Das ist ein Satz.", None, None),
        ("Arbeitsmarkt", "ein Satz, der noch nicht zu Ende ist", None),
        ("• Aufzählungspunkt", None, None),
        ("1. Januar wurde das Gesetz", "", None),
        ("Mai 2019", "Protokoll der Sitzung am 14. und 15.", None),
        ("Ergebnisse", "Siehe Anlage Nr.", None),
    ],
)
def test_heading_guesses(line: str, previous: str | None, level: int | None) -> None:
    assert heading_level(line, previous) == level


def test_list_items() -> None:
    assert is_list_item("• Punkt")
    assert is_list_item("- Punkt")
    assert is_list_item("3) Punkt")
    assert not is_list_item("Kein Punkt")
