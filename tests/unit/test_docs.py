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


def _figures():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_figures", ROOT / "benchmarks" / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_figures_page_shows_the_newest_results():
    figures = _figures()
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert figures.figures_markdown() in page, (
        "regenerate: python benchmarks/figures.py --write docs/benchmarks.md"
    )


def test_benchmark_figures_take_the_newest_file_of_each_kind(tmp_path: Path):
    figures = _figures()
    for name in ("2026-01-02-small.json", "2026-03-04-small.json", "2026-02-01-m5.json",
                 "2026-05-05-policy-uci_weekly.json", "2026-06-06-policy-uci_weekly-weekly-split.json"):  # fmt: skip
        (tmp_path / name).write_text("{}")
    scales = figures.newest("small|m5", tmp_path)
    assert {k: p.name for k, p in scales.items()} == {
        "m5": "2026-02-01-m5.json",
        "small": "2026-03-04-small.json",
    }
    policy = figures.newest("policy-[a-z_]+", tmp_path)
    assert {k: p.name for k, p in policy.items()} == {
        "policy-uci_weekly": "2026-05-05-policy-uci_weekly.json"
    }


def test_every_path_the_architecture_page_names_exists():
    """The page a newcomer uses to find the file behind a figure names only files and folders that exist;
    a short name (`plan.py`, `forecast/model.py`) must exist inside a folder named on the same line."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    full = re.compile(r"(?:pipelines|models_ml|dbt_project|benchmarks|tests)/[\w./-]*[\w/]")
    missing = []
    for line in page.splitlines():
        paths = [p for p in full.findall(line) if "<" not in p]
        missing += [p for p in paths if not (ROOT / p).exists()]
        folders = {ROOT / p for p in paths if (ROOT / p).is_dir()} | {(ROOT / p).parent for p in paths}
        for short in re.findall(r"`([\w-]+(?:/[\w-]+)*(?:\.py|\.yml|/))`", line):
            if full.fullmatch(short.rstrip("/")) or short.startswith(("docs/", "exports/")):
                continue
            if not any(folder.rglob(short.rstrip("/")) for folder in folders | {ROOT / "pipelines"}):
                missing.append(f"{short} (on the line: {line[:60]}...)")
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
