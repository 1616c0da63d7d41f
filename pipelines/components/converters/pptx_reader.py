"""Read a PowerPoint deck (PPTX) with python-pptx: one page per slide, the slide title as heading.

`unstructured`'s PPTX partitioner classifies body text with English heuristics (without its
spaCy model it calls most bullet points titles), so slides are read directly: the title
placeholder is the heading, each paragraph of another shape a line (bullets of a multi-line
body as `- ` items), tables one line per row with cells separated by ` | `, speaker notes last.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.exc import PackageNotFoundError
from pptx.shapes.group import GroupShape

from core.errors import ConversionError
from pipelines.components.converters.page_readers import RawPage


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shape_blocks(shapes: Iterable[Any], title_id: int | None) -> list[str]:
    blocks: list[str] = []
    for shape in shapes:
        if shape.shape_id == title_id:
            continue
        if isinstance(shape, GroupShape):
            blocks += _shape_blocks(shape.shapes, None)
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [
                " | ".join(_one_line(cell.text) for cell in row.cells) for row in shape.table.rows
            ]
            blocks.append("\n".join(row for row in rows if row.strip(" |")))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines = [_one_line(p.text) for p in shape.text_frame.paragraphs]
            lines = [line for line in lines if line]
            if len(lines) > 1 and shape.is_placeholder:
                lines = [f"- {line}" for line in lines]
            if lines:
                blocks.append("\n".join(lines))
    return blocks


def read_pptx_pages(path: Path) -> list[RawPage]:
    """One page per slide (slide number = page number); empty slides come back empty."""
    try:
        presentation = Presentation(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise ConversionError(
            f"{path.name} is not a readable PowerPoint deck (PPTX): {exc}"
        ) from exc
    pages = []
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
        title_id = title_shape.shape_id if title_shape is not None else None
        blocks = ([title] if title else []) + _shape_blocks(slide.shapes, title_id)
        notes_frame = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
        notes = [_one_line(p.text) for p in notes_frame.paragraphs] if notes_frame else []
        if any(notes):
            blocks.append("\n".join(line for line in notes if line))
        pages.append(RawPage(number, "\n\n".join(blocks), [(0, title)] if title else []))
    return pages
