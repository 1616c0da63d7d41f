"""The docs stay honest: every setting is documented, the README's commands and links exist."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def setting_variables() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [f"BLOK_{name.upper()}__{sub.upper()}" for sub in annotation.model_fields]
        else:
            names.append(f"BLOK_{name.upper()}")
    return names


def test_every_setting_is_documented_in_the_configuration_page() -> None:
    configuration = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = [line for line in configuration.splitlines() if line.startswith("| `BLOK_")]
    documented = [row.split("`")[1] for row in rows]
    missing = [name for name in setting_variables() if name not in documented]
    assert not missing, f"settings missing in docs/configuration.md: {missing}"
    unknown = set(documented) - {*setting_variables(), "BLOK_API_KEY", "BLOK_TORCH_INDEX_URL"}
    assert not unknown, f"docs/configuration.md names settings that do not exist: {unknown}"
    for row in rows:
        assert row.rstrip(" |").rsplit("|", 1)[1].strip(), f"no description: {row}"


def test_the_readme_links_the_configuration_and_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    pages = {f"docs/{path.name}" for path in DOCS.glob("*.md")}
    assert "docs/configuration.md" in linked
    assert pages - linked <= {"docs/cli-reference.md"}, f"not linked from README: {pages - linked}"


def heading_anchors(page: Path) -> set[str]:
    """GitHub's anchors of the headings of a Markdown page (code blocks left out)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    headings = re.findall(r"^#+ (.*)$", text, flags=re.M)
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings
    }


def test_every_relative_link_in_the_docs_points_to_a_file_and_heading() -> None:
    for page in [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            linked = (page.parent / target).resolve() if target else page
            assert linked.exists(), f"{page.name} links to missing {target}"
            if anchor and linked.suffix == ".md":
                assert anchor in heading_anchors(linked), f"{page.name}: no heading #{anchor}"


def test_every_setting_has_a_description() -> None:
    for section in Settings.model_fields.values():
        annotation = section.annotation
        fields = (
            annotation.model_fields
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else {}
        )
        for name, field in fields.items():
            assert field.description, name


def test_the_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, "README.md is a short entry; move details into docs/"


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/run-demo.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (ROOT / command.split()[1]).is_file()
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_setting_the_docs_name_exists() -> None:
    known = {*setting_variables(), "BLOK_API_KEY", "BLOK_TORCH_INDEX_URL", "BLOK_TEST_POSTGRES_URL"}
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md")), ROOT / "pipelines/README.md"]:
        named = set(re.findall(r"\bBLOK_[A-Z0-9_]*[A-Z0-9]", page.read_text(encoding="utf-8")))
        assert named <= known, f"{page.name} names unknown settings: {named - known}"
