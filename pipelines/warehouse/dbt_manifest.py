"""Keep dbt's manifest current: Dagster's dbt assets are built from target/manifest.json.

`dagster dev` would parse through `prepare_if_dev()`, but the CLI, tests and CI load the code
location directly, so the manifest is (re)built here when it is missing or older than any dbt file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.operations.settings import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
_WATCHED = ("models", "macros", "tests", "seeds", "dbt_project.yml", "profiles.yml")


def dbt_executable(guarded: bool = False) -> str:
    """dbt next to this interpreter (works with a venv that is not activated), else dbt on PATH. With
    `guarded`, `stockflow-dbt` (dbt ended by the kernel when its parent dies: `dbt_guarded`) when installed."""
    folder = Path(sys.executable).parent
    if guarded and (folder / "stockflow-dbt").exists():
        return str(folder / "stockflow-dbt")
    candidate = folder / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _WATCHED:
        path = project_dir / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for child in path.rglob("*"):
                if child.suffix in {".sql", ".yml", ".yaml", ".csv", ".md"}:
                    newest = max(newest, child.stat().st_mtime)
    return newest


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project_dir)


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run `dbt parse` when the manifest is missing or stale; return its path."""
    manifest = project_dir / "target" / "manifest.json"
    if manifest_is_stale(project_dir):
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        proc = subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--quiet",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
            ],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not manifest.exists():
            raise RuntimeError(f"dbt parse failed:\n{proc.stdout}\n{proc.stderr}")
    return manifest
