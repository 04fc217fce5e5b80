"""The docs stay true to the code: generated pages equal what the code generates, and every page the
README points to exists."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.ingest.extracts.schema import contract_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_extract_contract_page_is_generated_from_the_schema():
    page = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")
    assert page.endswith(contract_markdown() + ("" if contract_markdown().endswith("\n") else "\n"))


def test_every_docs_page_the_readme_names_exists_and_every_page_is_named():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"docs/[a-z_]+\.md", readme))
    assert named, "the README links no docs page"
    assert all((ROOT / p).exists() for p in named), sorted(p for p in named if not (ROOT / p).exists())
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert pages <= named, f"docs pages the README does not point to: {sorted(pages - named)}"
