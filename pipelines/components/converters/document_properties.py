"""The title a file states about itself: HTML `<title>`, DOCX and PPTX document properties.

Authors rarely fill these in with care. Word puts "Microsoft Word - datei.doc" into PDFs and
converted files, PowerPoint "PowerPoint-Präsentation", and many tools the file name; such values
say less than the first heading and are ignored (`sensible_title`). What is left is usually the
title the author chose, better than a guess from the first heading.
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from core.errors import ConversionError
from pipelines.components.converters.page_readers import decode_text

# Page meta key the converter sets and `DocumentMetadataExtractor` reads (and removes).
PROPERTIES_TITLE_KEY = "properties_title"
MAX_TITLE_CHARACTERS = 200
HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
CORE_TITLE = "{http://purl.org/dc/elements/1.1/}title"
TOOL_PREFIX = re.compile(r"^microsoft (word|powerpoint|excel)\s+-\s", re.I)
PLACEHOLDER = re.compile(
    r"^(untitled|ohne titel|unbenannt|titel|title|new document|neues dokument|"
    r"dokument ?\d*|document ?\d*|präsentation ?\d*|presentation ?\d*|"
    r"powerpoint[- ]?(präsentation|presentation)|folie ?\d*|slide ?\d*|"
    r"folientitel|click to add title|titel hinzufügen|home|startseite|index)$",
    re.I,
)


def _name_words(text: str) -> str:
    return " ".join(re.split(r"[\s_\-.]+", text.casefold())).strip()


def sensible_title(title: str | None, file_name: str) -> str | None:
    """The title with spaces collapsed, or None when it is empty, a tool's or template's
    placeholder, or just the file name."""
    if not title:
        return None
    title = " ".join(title.split())
    if len(title) < 3 or not any(char.isalpha() for char in title):
        return None
    if TOOL_PREFIX.match(title) or PLACEHOLDER.match(title):
        return None
    name = Path(file_name)
    if _name_words(title) in (_name_words(name.name), _name_words(name.stem)):
        return None
    return title[:MAX_TITLE_CHARACTERS]


def html_title(path: Path) -> str | None:
    """The text of the page's `<title>` element (entities decoded), if it has one."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    try:
        text = decode_text(head, path.name)
    except ConversionError:
        return None
    found = HTML_TITLE.search(text)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else None


def core_title(path: Path) -> str | None:
    """`dc:title` of an Office file's core properties (`docProps/core.xml`), if set.

    Reading the small XML part directly saves parsing the whole document a second time.
    """
    try:
        with zipfile.ZipFile(path) as container:
            core = container.read("docProps/core.xml")
        element = ElementTree.fromstring(core).find(CORE_TITLE)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    return element.text if element is not None else None


def properties_title(path: Path, file_format: str) -> str | None:
    """The sensible title stated in the file's properties, for HTML, DOCX and PPTX files."""
    if file_format == "html":
        return sensible_title(html_title(path), path.name)
    if file_format in ("docx", "pptx"):
        return sensible_title(core_title(path), path.name)
    return None
