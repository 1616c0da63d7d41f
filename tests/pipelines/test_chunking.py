"""Cleaning and chunking pages: whole sentences, headings as section paths, exact offsets."""

from haystack import Document

from pipelines.components.converters.page_readers import markdown_to_plain
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker, chunk_id_for
from pipelines.components.preprocessors.page_cleaner import PageCleaner, clean_page_text

PAGE_ONE = """Protokoll der Sitzung des Vergleichsrings 3

1. Begrüßung
Die Moderation begrüßt die Teilnehmenden. Der Kreis Emsland stellt z. B. sein Projekt vor.

2. Sozialraumorientierung
2.1 Ergebnisse
Die Jobcenter arbeiten gem. Nr. 4 der Vereinbarung mit den Quartieren zusammen.
"""
PAGE_TWO = """Die Eingliederungs-
leistungen wurden ausgeweitet. Kreis-
und Stadtverwaltung stimmen zu.
Seite 2
"""


def pages(*texts: str) -> list[Document]:
    meta = {"document_id": "doc1", "title": "T", "source_name": "t.pdf"}
    return [Document(content=t, meta={**meta, "page": n}) for n, t in enumerate(texts, start=1)]


def chunk(texts: list[str], max_words: int = 250) -> list[Document]:
    cleaned = PageCleaner().run(documents=pages(*texts))["documents"]
    return GermanSentenceChunker(max_words=max_words).run(documents=cleaned)["documents"]


def test_cleaner_joins_hyphenated_words_and_drops_page_numbers() -> None:
    text = clean_page_text(PAGE_TWO)
    assert "Eingliederungsleistungen wurden" in text
    assert "Kreis-\nund Stadtverwaltung" in text
    assert "Seite 2" not in text


def test_chunks_follow_headings_and_keep_page_and_offsets() -> None:
    cleaned = PageCleaner().run(documents=pages(PAGE_ONE, PAGE_TWO))["documents"]
    chunks = GermanSentenceChunker().run(documents=cleaned)["documents"]
    sections = [c.meta["section"] for c in chunks]
    assert sections[0] == "Protokoll der Sitzung des Vergleichsrings 3 > 1. Begrüßung"
    title = "Protokoll der Sitzung des Vergleichsrings 3"
    assert sections[1] == f"{title} > 2. Sozialraumorientierung > 2.1 Ergebnisse"
    # The heading path carries over to the next page.
    assert chunks[-1].meta["page_start"] == 2
    assert chunks[-1].meta["section"] == sections[1]
    for item in chunks:
        page_text = cleaned[item.meta["page_start"] - 1].content
        assert page_text[item.meta["start_offset"] : item.meta["end_offset"]] == item.content


def test_chunks_hold_whole_sentences_within_the_word_limit() -> None:
    sentence = "Das Jobcenter berät erwerbsfähige Leistungsberechtigte z. B. zu Qualifizierung. "
    chunks = chunk([sentence * 40], max_words=30)
    assert len(chunks) > 5
    for item in chunks:
        assert item.meta["word_count"] <= 30
        assert item.content.startswith("Das Jobcenter") and item.content.endswith("Qualifizierung.")


def test_a_sentence_longer_than_the_limit_is_cut_at_word_boundaries() -> None:
    chunks = chunk([" ".join(["Wort"] * 70) + "."], max_words=30)
    assert [c.meta["word_count"] for c in chunks] == [30, 30, 10]


def test_chunk_ids_are_deterministic() -> None:
    first = [c.id for c in chunk([PAGE_ONE, PAGE_TWO])]
    second = [c.id for c in chunk([PAGE_ONE, PAGE_TWO])]
    assert first == second
    assert first[0] == chunk_id_for("doc1", 0)
    assert len(set(first)) == len(first)


def test_markdown_headings_become_the_section_path() -> None:
    text, headings = markdown_to_plain(
        "# Praxisbeispiel\n\nEinleitung mit **Fettdruck**.\n\n## Ergebnis\n\nEs [wirkt](http://x)."
    )
    assert headings == [(0, "Praxisbeispiel"), (1, "Ergebnis")]
    assert "Fettdruck" in text and "**" not in text and "http" not in text
    document = pages(text)[0]
    document.meta["headings"] = [list(h) for h in headings]
    chunks = GermanSentenceChunker().run(documents=[document])["documents"]
    assert [c.meta["section"] for c in chunks] == [
        "Praxisbeispiel",
        "Praxisbeispiel > Ergebnis",
    ]


def test_running_headers_and_footers_are_removed() -> None:
    header = "Benchlearning – Vergleichsring 1 – vertraulich"
    texts = [
        f"{header}\nInhalt der Seite {n}. Vergleichsring 1 tagte.\nStand: {n}.03.2022"
        for n in (1, 2, 3, 4)
    ]
    cleaned = PageCleaner().run(documents=pages(*texts))["documents"]
    for n, page in enumerate(cleaned, start=1):
        assert page.content == f"Inhalt der Seite {n}. Vergleichsring 1 tagte."
