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
DAGSTER_ALLOWED = ("pipelines/defs/", "pipelines/definitions.py", "pipelines/operations/runner.py", "pipelines/cli.py",
                   "pipelines/reports/status.py", "pipelines/bench/")  # fmt: skip


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


# The stage packages of pipelines/ and what each may import of the others (beside itself). The layers:
# operations (settings, alerts) at the bottom, the warehouse on top of it, the stages on the warehouse,
# the run launcher, the CLI and the wiring above all of them.
STAGES = ("ingest", "warehouse", "forecast", "plans", "reports", "operations", "demo", "bench", "defs")
MAY_IMPORT = {
    "ingest": {"warehouse", "operations"},
    # the raw tables' columns are the extract contract (ingest/extracts/schema.py)
    "warehouse": {"operations", "ingest.extracts.schema"},
    "forecast": {"warehouse", "operations"},
    # the planners' workbook is written by the reports' Excel/CSV writers
    "plans": {"warehouse", "operations", "reports.exports"},
    "reports": {"warehouse", "operations"},
    "operations": set(),
    "demo": {"ingest.extracts", "operations"},
    "bench": {"defs", "demo", "forecast", "ingest", "operations", "warehouse"},
    "defs": set(STAGES),
}
# modules of operations that sit above the stages: the run launcher starts the job and records its end
ABOVE_THE_STAGES = {"pipelines/operations/runner.py": {"definitions", "defs", "plans", "warehouse"}}
TOP_LEVEL = {"__init__.py", "definitions.py", "cli.py"}


def test_every_pipelines_module_sits_in_a_stage_package():
    loose = [p.name for p in (ROOT / "pipelines").glob("*.py") if p.name not in TOP_LEVEL]
    assert not loose, f"modules outside a stage package: {loose}; move them into one of {STAGES}"
    folders = {p.name for p in (ROOT / "pipelines").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(STAGES)


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "defs"])
def test_a_stage_imports_only_the_stages_below_it(stage: str):
    offenders = {}
    for path in _files(f"pipelines/{stage}"):
        rel = path.relative_to(ROOT).as_posix()
        allowed = MAY_IMPORT[stage] | ABOVE_THE_STAGES.get(rel, set()) | {stage}
        bad = []
        for name in imports_of(path):
            if _top(name) != "pipelines" or name == "pipelines":
                continue
            inner = name.removeprefix("pipelines.")
            if not any(inner == a or inner.startswith(a + ".") for a in allowed):
                bad.append(name)
        if bad:
            offenders[rel] = sorted(bad)
    assert not offenders, f"imports across the house's layers (see docs/architecture.md): {offenders}"


@pytest.mark.parametrize(
    "path", [*_files("pipelines"), *_files("models_ml")], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_every_module_says_what_it_owns(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if path.name == "__init__.py" and not tree.body:
        pytest.fail(f"{path.relative_to(ROOT)}: a package's __init__ says what the package owns")
    assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"


# The wiring holds no logic: data work (frames, arrays, SQL) happens in the stage packages it calls.
# resources.py opens the warehouse connection the assets share, so it alone may name DuckDB.
LOGIC_LIBRARIES = ("pandas", "numpy", "duckdb", "pyarrow", "lightgbm", "sklearn")


@pytest.mark.parametrize("path", _files("pipelines/defs"), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_wiring_holds_no_data_logic(path: Path):
    allowed = {"duckdb"} if path.name == "resources.py" else set()
    bad = sorted(n for n in imports_of(path) if _top(n) in LOGIC_LIBRARIES and _top(n) not in allowed)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: move the work into the stage package it wires"


# Sizes a reader can hold in mind: a module over MODULE_LINES or a function over FUNCTION_LINES states why
# in a comment starting "# size:" (a module within its first 40 lines; a function on the line above its
# def or decorators, or on the def line).
MODULE_LINES, FUNCTION_LINES = 400, 80


def size_offenders(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    out = []
    if len(lines) > MODULE_LINES and not any(line.lstrip().startswith("# size:") for line in lines[:40]):
        out.append(f"{rel}: {len(lines)} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            near = [*lines[max(first - 2, 0) : first], lines[node.lineno - 1]]
            if length > FUNCTION_LINES and not any("# size:" in line for line in near):
                out.append(f"{rel}:{node.lineno} {node.name}: {length} lines")
    return out


def test_size_offenders_are_found(tmp_path: Path):
    body = "    x = 1\n" * 85
    (tmp_path / "big.py").write_text(f"def f():\n{body}\n\n# size: one long table\ndef g():\n{body}")
    assert size_offenders(tmp_path / "big.py") == ["big.py:1 f: 86 lines"]


@pytest.mark.parametrize("folder", ["pipelines", "models_ml", "benchmarks"], ids=lambda f: f)
def test_modules_and_functions_stay_small_or_say_why(folder: str):
    offenders = [o for path in _files(folder) for o in size_offenders(path)]
    assert not offenders, "over the size limits without a '# size:' reason:\n" + "\n".join(offenders)
