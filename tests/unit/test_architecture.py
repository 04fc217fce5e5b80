"""The rules of the house (docs/architecture.md), read from the code's imports (module-level and inside
functions): logic stays free of the orchestrator and of the warehouse engine, wiring stays in defs/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# packages a module of pure modelling logic never imports: the orchestrator, the warehouse engine, dbt,
# the pipeline's own settings and wiring, the benchmarks
MODELS_ML_FORBIDDEN = ("dagster", "dagster_dbt", "duckdb", "dbt", "pipelines", "benchmarks")
# pipelines modules that may talk to Dagster: the wiring (defs/), the Definitions object, the CLI and the
# run launcher, the run-status reader and the benchmark harness (which runs the job)
DAGSTER_ALLOWED = ("pipelines/defs/", "pipelines/definitions.py", "pipelines/runner.py", "pipelines/cli.py",
                   "pipelines/status.py", "pipelines/bench/")  # fmt: skip


def imports_of(path: Path) -> set[str]:
    """Every module name imported anywhere in the file (``import a.b`` and ``from a.b import c`` give
    ``a.b``); relative imports are not used in this project."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_imports_are_read_from_the_code(tmp_path: Path):
    f = tmp_path / "m.py"
    f.write_text("import os\nfrom a.b import c\n\ndef g():\n    import dagster as dg\n    from x import y\n")
    assert imports_of(f) == {"os", "a.b", "dagster", "x"}


@pytest.mark.parametrize("path", _files("models_ml"), ids=lambda p: p.name)
def test_models_ml_is_pure_logic(path: Path):
    bad = sorted(n for n in imports_of(path) if _top(n) in MODELS_ML_FORBIDDEN)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: models_ml takes and returns DataFrames only"


def test_only_the_wiring_talks_to_dagster():
    offenders = {}
    for path in _files("pipelines"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(DAGSTER_ALLOWED):
            continue
        bad = sorted(n for n in imports_of(path) if _top(n) in ("dagster", "dagster_dbt"))
        bad += sorted(n for n in imports_of(path) if n.startswith("pipelines.defs"))
        if bad:
            offenders[rel] = bad
    assert not offenders, f"logic modules importing Dagster or the wiring: {offenders}"


def test_nothing_in_the_product_imports_the_benchmarks():
    offenders = {
        path.relative_to(ROOT).as_posix(): sorted(n for n in imports_of(path) if _top(n) == "benchmarks")
        for path in [*_files("pipelines"), *_files("models_ml")]
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_benchmarks_own_simulator_shares_nothing_with_the_planning_code():
    """The policy replay is an independent check of the plans (issue 14): it must not reuse them."""
    names = imports_of(ROOT / "benchmarks" / "policy_replay.py")
    assert not [n for n in names if n.startswith(("models_ml.replenishment", "models_ml.simulation"))]
