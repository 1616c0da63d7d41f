"""The docs stay honest: every setting is documented, the README's commands exist."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def setting_variables() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [f"BLOK_{name.upper()}__{sub.upper()}" for sub in annotation.model_fields]
        else:
            names.append(f"BLOK_{name.upper()}")
    return names


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in setting_variables() if f"`{name}`" not in readme]
    assert not missing


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


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/run-demo.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (ROOT / command.split()[1]).is_file()
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
