"""Sidecar metadata validation and content-based file type detection."""

from pathlib import Path

import pytest

from core.errors import ConversionError, ErrorCode, MetadataError
from ingest.metadata_sources import load_metadata
from pipelines.components.converters.file_types import detect_format


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sidecar_fields_are_read_and_normalised(tmp_path: Path) -> None:
    document = write(tmp_path / "protokoll.txt", "Text.")
    write(
        tmp_path / "protokoll.meta.yaml",
        "title: Sitzung\nkind: protokoll\nring: VR 3\ndate: 2019-05-14\n"
        "topics: [Sozialraum]\nvisibility: ring:VR3\n",
    )
    metadata = load_metadata(document)
    assert metadata.ring == "vr3"
    assert metadata.visibility == "ring:vr3"
    assert metadata.payload_fields()["year"] == 2019


def test_missing_fields_get_defaults(tmp_path: Path) -> None:
    metadata = load_metadata(write(tmp_path / "gute-praxis_2020.md", "# Titel"))
    assert metadata.title == "gute praxis 2020"
    assert metadata.kind.value == "sonstiges"
    assert metadata.visibility == "programme"


@pytest.mark.parametrize(
    ("sidecar", "expected"),
    [
        ("kind: bericht\n", "field 'kind'"),
        ("kind: bericht\n", "protokoll, evaluationsbericht, tagungsmaterial"),
        ("date: 14.05.2019\n", "field 'date'"),
        ("visibility: geheim\n", "ring:<id>"),
        ("ring: Ring A\n", "field 'ring'"),
        ("autor: X\n", "unknown field 'autor'"),
        ("- a\n- b\n", "must be a mapping"),
        ("title: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_metadata_names_the_field_and_allowed_values(
    tmp_path: Path, sidecar: str, expected: str
) -> None:
    document = write(tmp_path / "doc.txt", "Text.")
    write(tmp_path / "doc.meta.yaml", sidecar)
    with pytest.raises(MetadataError) as error:
        load_metadata(document)
    assert expected in error.value.message


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("bericht.pdf", b"%PDF-1.7\n...", "pdf"),
        ("bericht.txt", b"%PDF-1.4\n...", "pdf"),
        ("notiz.md", "# Überschrift".encode(), "markdown"),
        ("notiz.txt", "Text mit Umlauten äöü".encode(), "text"),
    ],
)
def test_format_comes_from_content_first(name: str, head: bytes, expected: str) -> None:
    assert detect_format(Path(name), head) == expected


@pytest.mark.parametrize(
    ("name", "head", "message"),
    [
        ("bericht.pdf", b"PK\x03\x04rest", "ZIP container"),
        ("bericht.pdf", b"Hallo, kein PDF", "not a PDF"),
        ("bild.txt", b"\x89PNG\r\n", "PNG image"),
        ("tabelle.xlsx", b"<xml/>", "not supported"),
    ],
)
def test_mislabelled_and_unsupported_files_are_named(name: str, head: bytes, message: str) -> None:
    with pytest.raises(ConversionError) as error:
        detect_format(Path(name), head)
    assert error.value.code is ErrorCode.UNSUPPORTED_FORMAT
    assert message in error.value.message
