"""Folder manifests, precedence of metadata sources, and title and date inferred from the text."""

from pathlib import Path

import pytest
from haystack import Document

from core.errors import MetadataError
from ingest.metadata_sources import ManifestReader, resolve_metadata
from pipelines.components.extractors.document_metadata_extractor import (
    DocumentMetadataExtractor,
)
from pipelines.text.german_dates import find_dates, unambiguous_date


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archiv"
    write(
        root / "_manifest.yaml",
        "defaults:\n  kind: protokoll\n  visibility: programme\n  topics: [Allgemein]\n"
        "files:\n  vr3/sitzung.txt:\n    date: 2019-05-14\n",
    )
    write(
        root / "vr3" / "_manifest.yaml",
        "defaults:\n  ring: VR 3\n  visibility: ring:vr3\n  date: 2019\n"
        "files:\n  sitzung.txt:\n    title: Zweite Sitzung\n    job_centre: Kreis A\n",
    )
    write(root / "vr3" / "sitzung.txt", "Text.")
    write(root / "vr3" / "sitzung.meta.yaml", "job_centre: Kreis B\n")
    write(root / "vr3" / "andere.txt", "Text.")
    write(root / "oben.txt", "Text.")
    return root


def test_sidecar_beats_file_entries_which_beat_defaults(archive: Path) -> None:
    resolved = resolve_metadata(archive / "vr3" / "sitzung.txt", root=archive)
    metadata = resolved.metadata
    assert metadata.job_centre == "Kreis B"  # sidecar over the manifest's file entry
    assert metadata.title == "Zweite Sitzung"  # file entry
    assert metadata.date is not None and metadata.date.isoformat() == "2019-05-14"
    assert metadata.ring == "vr3" and metadata.visibility == "ring:vr3"  # nearest defaults
    assert metadata.kind.value == "protokoll" and metadata.topics == ["Allgemein"]  # inherited
    assert resolved.missing == []


def test_manifests_inherit_to_subfolders_but_not_upwards(archive: Path) -> None:
    reader = ManifestReader()
    below = resolve_metadata(archive / "vr3" / "andere.txt", root=archive, manifests=reader)
    assert below.metadata.ring == "vr3" and below.metadata.kind.value == "protokoll"
    assert below.missing == ["title"]
    above = resolve_metadata(archive / "oben.txt", root=archive, manifests=reader)
    assert above.metadata.ring is None and above.metadata.visibility == "programme"
    assert above.missing == ["title", "date"]
    assert above.metadata.title == "oben"


def test_a_file_given_alone_uses_only_its_own_folder_manifest(archive: Path) -> None:
    alone = resolve_metadata(archive / "vr3" / "andere.txt")
    assert alone.metadata.ring == "vr3"
    assert alone.metadata.kind.value == "sonstiges"


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ("defaults:\n  kind: bericht\n", "archiv/_manifest.yaml (defaults): field 'kind'"),
        ("defaults:\n  kind: bericht\n", "protokoll, evaluationsbericht, tagungsmaterial"),
        ("files:\n  a.txt:\n    date: 14.05.2019\n", "(files: a.txt): field 'date'"),
        ("defaults:\n  visibility: geheim\n", "ring:<id>"),
        ("defaults:\n  autor: X\n", "unknown field 'autor'"),
        ("standard:\n  kind: protokoll\n", "unknown section 'standard'"),
        ("defaults: [a, b]\n", "'defaults' must be a mapping"),
        ("defaults: {kind: [unclosed\n", "archiv/_manifest.yaml is not valid YAML"),
    ],
)
def test_an_invalid_manifest_names_itself_the_field_and_the_allowed_values(
    tmp_path: Path, manifest: str, expected: str
) -> None:
    root = tmp_path / "archiv"
    write(root / "_manifest.yaml", manifest)
    document = write(root / "a.txt", "Text.")
    with pytest.raises(MetadataError) as error:
        resolve_metadata(document, root=root)
    assert expected in error.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sitzung am 14. Mai 2019 in Kassel", {"2019-05-14"}),
        ("Sitzung am 14.05.2019", {"2019-05-14"}),
        ("Stand: Mai 2019", {"2019-05"}),
        ("Am 3. März 2021 (Bericht vom März 2021)", {"2021-03-03"}),
        ("Vom 14.05.2019 bis 16.05.2019", {"2019-05-14", "2019-05-16"}),
        ("Rund 9.000 Fälle, § 48a SGB II, 31.02.2019, seit 2018", set()),
    ],
)
def test_german_dates_are_found(text: str, expected: set[str]) -> None:
    assert find_dates(text) == expected


def test_only_an_unambiguous_date_is_taken() -> None:
    assert str(unambiguous_date("Protokoll vom 14. Mai 2019")) == "2019-05-14"
    assert str(unambiguous_date("Bericht Mai 2019")) == "2019-05-01"
    assert unambiguous_date("Vom 14.05.2019 bis 16.05.2019") is None
    assert unambiguous_date("Keine Angabe") is None


def pages(*texts: str, infer: list[str]) -> list[Document]:
    meta = {"document_id": "d1", "title": "datei name", "infer_fields": infer}
    return [Document(content=t, meta={**meta, "page": n}) for n, t in enumerate(texts, start=1)]


def test_the_extractor_fills_in_only_the_fields_asked_for() -> None:
    texts = ("1. Einleitung\nText ohne Datum.", "Zweite Seite, Stand 14.05.2019.")
    result = DocumentMetadataExtractor().run(documents=pages(*texts, infer=["title", "date"]))
    assert result["inferred"] == {"d1": {"date": "2019-05-14"}}  # "1. Einleitung" is no title
    assert all(page.meta["year"] == 2019 for page in result["documents"])
    assert all("infer_fields" not in page.meta for page in result["documents"])
    texts = ("Protokoll der Sitzung\n\nDie Sitzung am 14. Mai 2019 beginnt.",)
    result = DocumentMetadataExtractor().run(documents=pages(*texts, infer=["title"]))
    assert result["inferred"] == {"d1": {"title": "Protokoll der Sitzung"}}
    assert result["documents"][0].meta["title"] == "Protokoll der Sitzung"
    assert "date" not in result["documents"][0].meta


def test_markdown_headings_give_the_title() -> None:
    page = pages("Praxisbeispiel\n\nText.", infer=["title"])[0]
    page.meta["headings"] = [[0, "Praxisbeispiel"]]
    result = DocumentMetadataExtractor().run(documents=[page])
    assert result["inferred"]["d1"]["title"] == "Praxisbeispiel"
