"""`stockflow bench --extract-format parquet`: the generator stage writes Parquet extracts and says so."""

from __future__ import annotations

import pytest

from pipelines.bench import stages
from pipelines.bench.results import results_markdown
from pipelines.cli import build_parser


def test_generate_stage_writes_parquet_extracts_and_records_the_format(tmp_path, monkeypatch):
    for name in stages.PLACEMENT:  # bench_settings rewrites them: restore them after the test
        monkeypatch.setenv(name, "")
    out = stages.generate(
        str(tmp_path / "home"), 12, 1, 40, 1, "2025-06-30", str(tmp_path / "next"), "parquet"
    )
    assert out["detail"]["extract_format"] == "parquet"
    inbox = {p.suffix for p in (tmp_path / "home" / "inbox").iterdir()}
    assert inbox == {".parquet", ".xlsx"}  # the text extracts as Parquet, the workbooks unchanged
    assert {p.suffix for p in (tmp_path / "next").iterdir()} == {".parquet", ".xlsx"}
    assert out["rows"] == sum(out["detail"]["rows_by_kind"].values()) > 0


def test_bench_command_takes_the_extract_format():
    args = build_parser().parse_args(["bench", "--extract-format", "parquet"])
    assert args.extract_format == "parquet"
    assert build_parser().parse_args(["bench"]).extract_format == "csv"  # make bench's default
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--extract-format", "xml"])


def test_results_heading_names_the_extract_format():
    doc = {
        "scale": "small",
        "config": {"skus": 2000, "warehouses": 3, "days": 1095, "extract_format": "parquet"},
        "started_at": "2026-11-26T16:00:00",
        "machine": {"cpus": 2},
        "stages": [],
        "sql_floor": {},
        "peers": [],
        "targets": [],
    }
    assert "parquet extracts" in results_markdown(doc).splitlines()[0]
