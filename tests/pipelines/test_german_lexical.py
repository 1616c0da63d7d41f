"""German lexical search: umlaut/ß spellings, compound parts, the office's glossary.

The end-to-end tests ingest a few tiny text files with the real model and query the real pipeline
in sparse mode, so each one fails if the lexical feature it names breaks (the dense side could
otherwise hide it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import qdrant_edge as edge

from core.errors import BlokError, InvalidRequestError
from core.settings import Settings
from ingest.runner import run_ingest
from pipelines.components.embedders.bm25_embedders import Bm25TextEmbedder
from pipelines.components.preprocessors.glossary_query_expander import GlossaryQueryExpander
from pipelines.text.german_lexical import GermanLexicalAnalyzer, fold_umlauts
from pipelines.text.glossary import DEFAULT_GLOSSARY, GlossaryError, load_glossary, parse_glossary
from search_service.context import ServiceContext, build_service_context
from search_service.schemas import SearchRequest
from tests.support.helpers import make_settings, search_response

FILES = {
    "eingliederung.txt": "Die Bildungsträger im Landkreis erhalten Leistungen zur Eingliederung.",
    "integrationsfoerderung.txt": "Der Kompass beschreibt die Integrationsförderung vor Ort.",
    "gebuehren.txt": "Für die Gebühren der Kita gilt eine Härtefallregelung im Kreis.",
    "massnahme.txt": "Die Massnahme Werkstattjahr beginnt im Herbst für junge Menschen.",
    "kooperationsplan.txt": "Der Kooperationsplan wird gemeinsam mit der Ansprechperson erstellt.",
    "buergergeld.txt": "Beim Bürgergeld zählt der Regelbedarf aller Haushaltsmitglieder.",
    "bedarfsgemeinschaft.txt": "Eine Bedarfsgemeinschaft umfasst alle Personen im Haushalt.",
    "zauberwortliste.txt": "Die Zauberwortliste des Rings wächst mit jeder Sitzung weiter.",
}


@pytest.fixture(scope="module")
def lexical_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data directory with the tiny corpus ingested."""
    corpus = tmp_path_factory.mktemp("lexical-corpus")
    for name, text in FILES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("lexical-data"))
    assert run_ingest(settings, [corpus]).count("indexed") == len(FILES)
    return settings


@pytest.fixture(scope="module")
def context(lexical_settings: Settings) -> Iterator[ServiceContext]:
    """The real service context over the tiny corpus."""
    built_context = build_service_context(lexical_settings)
    yield built_context
    built_context.close()


def sparse_hits(context: ServiceContext, query: str) -> list[str]:
    """Source names of the BM25-only results."""
    response = search_response(context.searcher, SearchRequest(query=query, top_k=5), mode="sparse")
    return [hit.source_name for hit in response.results]


def bm25_terms(text: str, analyzer: GermanLexicalAnalyzer | None) -> set[int]:
    """Token ids qdrant_edge's German BM25 gives the (analysed) query text."""
    model = edge.Bm25(edge.Bm25Config(language="german"))
    return set(model.embed_query(analyzer.query_text(text) if analyzer else text).indices)


# --- analyzer units ---------------------------------------------------------------------------


def test_two_letter_umlauts_fold_but_vowel_u_stays() -> None:
    assert fold_umlauts("Foerderung") == "förderung"
    assert fold_umlauts("UEBERGANG") == "übergang"
    assert fold_umlauts("Aemter") == "ämter"
    assert fold_umlauts("Frauen") == "frauen"  # u between vowels
    assert fold_umlauts("neue Quelle") == "neue quelle"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Foerderung", "Förderung"),
        ("Massnahmen", "Maßnahmen"),
        ("Buergergeld", "Bürgergeld"),
        ("Antraege", "Anträge"),
        ("STRASSE", "Straße"),
    ],
)
def test_spelling_variants_give_the_same_bm25_terms(first: str, second: str) -> None:
    analyzer = GermanLexicalAnalyzer()
    assert bm25_terms(first, analyzer) == bm25_terms(second, analyzer)


def test_plain_bm25_misses_two_letter_umlauts() -> None:
    # Pins why the analyzer exists: without it the stemmer keeps these apart.
    assert bm25_terms("Foerderung", None) != bm25_terms("Förderung", None)


def test_spelled_out_stopwords_stay_stopwords() -> None:
    assert bm25_terms("fuer ueber", GermanLexicalAnalyzer()) == set()


def test_compound_is_followed_by_its_parts() -> None:
    analyzer = GermanLexicalAnalyzer()
    assert analyzer.query_text("Eingliederungsleistung") == (
        "eingliederungsleistung eingliederungs leistung"
    )
    assert {"langzeit", "arbeitslose"} <= set(analyzer.compound_parts("langzeitarbeitslose"))
    # "ss" spelling splits like "ß".
    assert analyzer.compound_parts("massnahmenplanung")[1] == "planung"


def test_compound_and_phrase_share_their_terms() -> None:
    analyzer = GermanLexicalAnalyzer()
    phrase = bm25_terms("Leistungen zur Eingliederung", analyzer)
    assert phrase and phrase <= bm25_terms("Eingliederungsleistung", analyzer)
    assert not phrase & bm25_terms("Eingliederungsleistung", None) - bm25_terms(
        "Eingliederung", None
    )


def test_short_words_and_word_endings_are_not_split() -> None:
    analyzer = GermanLexicalAnalyzer()
    assert analyzer.compound_parts("förderung") == []  # "förder|ung": a word ending
    assert analyzer.compound_parts("jobamt") == []  # shorter than min_word_length
    assert GermanLexicalAnalyzer(split_compounds=False).query_text("Bürgergeld") == "bürgergeld"


def test_text_embedder_uses_the_analyzer_unless_switched_off() -> None:
    with_analyzer = Bm25TextEmbedder().run(text="Foerderung")["sparse_embedding"]
    without = Bm25TextEmbedder(analyzer=False).run(text="Foerderung")["sparse_embedding"]
    reference = Bm25TextEmbedder(analyzer=False).run(text="Förderung")["sparse_embedding"]
    assert with_analyzer.indices == reference.indices
    assert without.indices != reference.indices


# --- glossary units ---------------------------------------------------------------------------


def test_default_glossary_expands_abbreviations_case_sensitively() -> None:
    glossary = parse_glossary(DEFAULT_GLOSSARY.read_text(encoding="utf-8"))
    assert len(glossary) > 60
    assert "Bedarfsgemeinschaft" in glossary.expansions("Wer gehört zur BG?")
    assert glossary.expansions("wer gehört zur bg?") == []
    assert "Kosten der Unterkunft" in glossary.expansions("KdU bei Umzug")
    assert "erwerbsfähige Leistungsberechtigte" in glossary.expansions("Zahl der eLb")
    # An abbreviation's long form leads on to the long form's new name.
    assert glossary.expansions("Was steht in der EGV?")[:2] == [
        "Eingliederungsvereinbarung",
        "Kooperationsplan",
    ]


def test_default_glossary_maps_renamed_terms_both_ways_any_case() -> None:
    glossary = parse_glossary(DEFAULT_GLOSSARY.read_text(encoding="utf-8"))
    assert "Bürgergeld" in glossary.expansions("hartz iv und Wohnen")
    assert "Bürgergeld" in glossary.expansions("Antrag auf ALG-II")
    assert "Arbeitslosengeld II" in glossary.expansions("Bürgergeld beantragen")
    assert "Eingliederungsvereinbarung" in glossary.expansions("Kooperationsplan erstellen")
    assert glossary.expansions("Hartz IVa") == []  # whole words only


def test_expander_component_appends_expansions() -> None:
    glossary = parse_glossary("abkuerzungen:\n  AGH: Arbeitsgelegenheit\n")
    expander = GlossaryQueryExpander(glossary=glossary)
    assert expander.run(query="AGHs im Kreis") == {
        "query": "AGHs im Kreis Arbeitsgelegenheit",
        "original_query": "AGHs im Kreis",
    }
    assert GlossaryQueryExpander().run(query="AGH")["query"] == "AGH"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("abkuerzungen:\n  BG: Bedarfsgemeinschaft\n  EGV: [Eingliederung\n", 4, "invalid YAML"),
        ("abkuerzungen:\n  BG: Bedarfsgemeinschaft\nsonstiges:\n  - x\n", 3, "unknown section"),
        ("begriffe:\n  - [Bürgergeld, ALG II]\n  - [Kooperationsplan]\n", 3, "two terms"),
        ("abkuerzungen:\n  - BG\n", 2, "mapping"),
    ],
)
def test_invalid_glossary_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(GlossaryError) as caught:
        parse_glossary(text, source="glossary.yaml")
    assert isinstance(caught.value, InvalidRequestError)
    assert isinstance(caught.value, BlokError)
    assert f"glossary.yaml, line {line}:" in caught.value.message
    assert words in caught.value.message


def test_load_glossary_copies_the_default_once(tmp_path: Path) -> None:
    glossary = load_glossary(tmp_path / "data")
    copied = tmp_path / "data" / "glossary.yaml"
    assert copied.read_text(encoding="utf-8") == DEFAULT_GLOSSARY.read_text(encoding="utf-8")
    assert "Bedarfsgemeinschaft" in glossary.expansions("BG")
    copied.write_text("abkuerzungen:\n  XY: Beispielwort\n", encoding="utf-8")
    edited = load_glossary(tmp_path / "data")
    assert edited.expansions("XY") == ["Beispielwort"]
    assert edited.expansions("BG") == []


# --- through the real pipeline ----------------------------------------------------------------


@pytest.mark.model
def test_compound_query_finds_the_phrase(context: ServiceContext) -> None:
    assert sparse_hits(context, "Eingliederungsleistung")[0] == "eingliederung.txt"


@pytest.mark.model
def test_phrase_query_finds_the_compound(context: ServiceContext) -> None:
    assert sparse_hits(context, "Förderung der Integration")[0] == "integrationsfoerderung.txt"


@pytest.mark.model
def test_umlaut_and_sharp_s_variants_find_each_other(context: ServiceContext) -> None:
    assert sparse_hits(context, "Gebuehren Haertefallregelung")[0] == "gebuehren.txt"
    assert sparse_hits(context, "Maßnahme Werkstattjahr")[0] == "massnahme.txt"
    assert sparse_hits(context, "Integrationsfoerderung")[0] == "integrationsfoerderung.txt"


@pytest.mark.model
def test_glossary_expands_abbreviations(context: ServiceContext) -> None:
    assert sparse_hits(context, "BG")[0] == "bedarfsgemeinschaft.txt"
    assert "bedarfsgemeinschaft.txt" not in sparse_hits(context, "bg")
    assert sparse_hits(context, "EGV")[0] == "kooperationsplan.txt"


@pytest.mark.model
def test_glossary_expands_renamed_terms(context: ServiceContext) -> None:
    assert sparse_hits(context, "Hartz IV")[0] == "buergergeld.txt"
    assert sparse_hits(context, "eingliederungsvereinbarung")[0] == "kooperationsplan.txt"


@pytest.mark.model
def test_office_edits_the_glossary(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zauberwortliste.txt").write_text(FILES["zauberwortliste.txt"], encoding="utf-8")
    (corpus / "buergergeld.txt").write_text(FILES["buergergeld.txt"], encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    assert run_ingest(settings, [corpus]).count("indexed") == 2
    glossary_file = settings.data_dir / "glossary.yaml"

    context = build_service_context(settings)
    try:
        assert glossary_file.is_file()  # copied there for the office on first use
        assert "zauberwortliste.txt" not in sparse_hits(context, "ZWL")
        assert sparse_hits(context, "Hartz IV")[0] == "buergergeld.txt"
    finally:
        context.close()

    glossary_file.write_text("abkuerzungen:\n  ZWL: Zauberwortliste\n", encoding="utf-8")
    context = build_service_context(settings)
    try:
        assert sparse_hits(context, "ZWL")[0] == "zauberwortliste.txt"
        assert "buergergeld.txt" not in sparse_hits(context, "Hartz IV")  # the office removed it
    finally:
        context.close()

    glossary_file.write_text("abkuerzungen:\n  ZWL: Zauberwortliste\n  BG: [Bedarf\n", "utf-8")
    with pytest.raises(GlossaryError, match=r"glossary\.yaml, line 4: invalid YAML"):
        build_service_context(settings)
    # The failed start released the store: a fixed file works again.
    glossary_file.write_text("abkuerzungen:\n  ZWL: Zauberwortliste\n", encoding="utf-8")
    build_service_context(settings).close()
