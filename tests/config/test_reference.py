"""The README's configuration reference is generated from the models and must not go stale."""

from __future__ import annotations

from pathlib import Path

from okr_sync.config.reference import BEGIN, END, render, splice

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert splice(text) == text, "README.md is stale: run `python -m okr_sync.config.reference --write README.md`"


def test_reference_covers_every_section_and_key() -> None:
    reference = render()
    for key in ("`interval`", "`webhook_secret`", "`client_secret`", "`baseline`", "`children_of_home`"):
        assert key in reference
    assert BEGIN.startswith("<!--") and END.startswith("<!--")
