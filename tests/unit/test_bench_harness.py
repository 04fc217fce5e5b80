"""The benchmark's mechanics on tiny stages: memory of child processes is seen, a failing stage is
recorded and the next ones run, the results document's schema, the markdown tables, the targets."""

import json
import subprocess
import sys
import time

import pytest

from pipelines.bench.harness import Bench, StageResult
from pipelines.bench.memory import RssSampler
from pipelines.bench.results import SCHEMA, results_markdown, stages_markdown, validate_results, write_results
from pipelines.bench.run import MARKER, prepare_workdir
from pipelines.bench.targets import evaluate_targets

MB = 1024**2


# stage functions: module level, so a spawned worker can import them
def stage_ok(n: int) -> dict:
    return {"rows": n, "rows_what": "things", "detail": {"n": n}}


def stage_fails() -> dict:
    raise ValueError("bad input: column qty is missing")


def stage_allocates(mb: int) -> dict:
    block = bytearray(mb * MB)  # bytearray writes its zeros: resident, not just reserved
    time.sleep(1.0)
    return {"rows": len(block) // MB, "rows_what": "MB held"}


def stage_with_steps() -> dict:
    now = time.time()
    return {
        "rows": 10,
        "rows_what": "rows loaded",
        "status": "failed",
        "error": "step b failed: boom",
        "steps": [
            {"name": "a", "started": now - 0.5, "finished": now - 0.2, "rows": 10, "rows_what": "rows"},
            {"name": "b", "started": now - 0.2, "finished": now, "status": "failed", "error": "boom"},
            {"name": "c", "status": "skipped", "error": "did not run"},
        ],
    }


def test_sampler_sees_a_child_process_memory():
    with RssSampler(interval=0.05) as sampler:
        before = sampler.tree_rss()
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; b = bytearray(300 * 1024 * 1024); time.sleep(1.5)"]
        )
        child.wait(timeout=30)
    start, end = sampler.samples[0][0], sampler.samples[-1][0]
    peak = sampler.peak(start, end)
    assert peak - before > 250 * MB  # the child's 300 MB, on top of this process


def test_bench_runs_stages_in_workers_records_failure_and_goes_on(tmp_path):
    lines: list[str] = []
    with Bench(tmp_path / "logs", echo=lines.append, sampler=RssSampler(interval=0.05)) as bench:
        first = bench.run("first", stage_ok, 5)
        failed = bench.run("broken", stage_fails)
        big = bench.run("allocates", stage_allocates, 200)
    assert first.status == "ok" and first.rows == 5 and first.detail["n"] == 5
    assert failed.status == "failed"
    assert failed.error == "ValueError: bad input: column qty is missing"
    assert "stage_fails" in failed.detail["traceback"]  # the worker's own traceback
    assert big.status == "ok"  # ran after the failure
    assert big.peak_rss_bytes > 200 * MB  # measured in the worker, a child process
    assert any("broken FAILED" in line for line in lines)
    assert [s.name for s in bench.stages] == ["first", "broken", "allocates"]


def test_steps_of_a_stage_become_sub_stages_with_their_own_status(tmp_path):
    with Bench(tmp_path / "logs", echo=lambda s: None, sampler=RssSampler(interval=0.05)) as bench:
        run = bench.run("refresh", stage_with_steps)
    assert run.status == "failed" and run.error == "step b failed: boom"
    subs = {s.name: s for s in bench.stages if s.parent == "refresh"}
    assert subs["a"].status == "ok" and subs["a"].seconds == pytest.approx(0.3, abs=0.01)
    assert subs["a"].rows_per_second == pytest.approx(10 / 0.3, rel=0.05)
    assert subs["b"].status == "failed" and subs["b"].error == "boom"
    assert subs["c"].status == "skipped" and subs["c"].seconds is None


def _doc(stages, peers=(), floor=None, scale="m5"):
    return {
        "schema": SCHEMA,
        "scale": scale,
        "config": {"skus": 10, "warehouses": 2, "days": 60},
        "machine": {"cpus": 2},
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": None,
        "stages": [s.to_dict() for s in stages],
        "peers": list(peers),
        "sql_floor": floor or {},
        "targets": [],
        "data": {},
    }


def _peer(method, family, wape, seconds):
    return {
        "method": method,
        "family": family,
        "status": "ok",
        "fit_predict_seconds": seconds,
        "peak_rss_bytes": 100 * MB,
        "wape": wape,
        "rmsse": 0.9,
        "error": None,
    }


def test_results_document_is_validated_and_written(tmp_path):
    doc = _doc([StageResult("ingest", "ok", seconds=2.0, rows=100, rows_what="rows")])
    path = write_results(doc, tmp_path / "r" / "2026-01-01-m5.json")
    loaded = json.loads(path.read_text())
    assert loaded["stages"][0]["rows_per_second"] == 50.0
    validate_results(loaded)
    del loaded["peers"]
    with pytest.raises(ValueError, match="missing 'peers'"):
        validate_results(loaded)
    bad = _doc([StageResult("x", "weird")])
    with pytest.raises(ValueError, match="status 'weird'"):
        write_results(bad, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_markdown_tables():
    stages = [
        StageResult("full refresh (end to end)", "ok", seconds=100.0, peak_rss_bytes=2 * 1024**3, rows=10),
        StageResult(
            "ingest",
            "ok",
            seconds=4.0,
            rows=1_000_000,
            rows_what="rows loaded",
            parent="full refresh (end to end)",
        ),
        StageResult(
            "publish", "failed", seconds=1.0, error="disk | full", parent="full refresh (end to end)"
        ),
    ]
    table = stages_markdown([s.to_dict() for s in stages]).splitlines()
    assert table[0] == "| stage | wall s | peak RSS GB | rows | rows are | rows/s | status |"
    assert table[2] == "| full refresh (end to end) | 100.0 | 2.00 | 10 |  | 0 | ok |"
    assert table[3] == "|   - ingest | 4.0 |  | 1,000,000 | rows loaded | 250,000 | ok |"
    assert table[4].endswith("| failed: disk / full |")  # a pipe in an error does not break the table
    doc = _doc(stages, peers=[_peer("stockflow", "ours", 0.7, 10.0)])
    text = results_markdown(doc)
    assert "| stockflow | ours | 10.0 | 0.10 | 0.700 | 0.900 | ok |" in text


def test_targets_met_missed_and_not_measured():
    full = "full refresh (end to end)"
    inc = "daily refresh: one more day (end to end)"
    stages = [
        StageResult(full, "ok", seconds=1200.0, peak_rss_bytes=6 * 1024**3),
        StageResult(inc, "ok", seconds=600.0, peak_rss_bytes=13 * 1024**3),
        StageResult("ingest", "ok", seconds=2.0, rows=30_000_000, parent=full),
        StageResult("dbt build", "ok", seconds=60.0, peak_rss_bytes=9 * 1024**3, parent=full),
        StageResult("dbt build", "ok", seconds=3.0, parent=inc),
    ]
    peers = [
        _peer("stockflow", "ours", 0.70, 100.0),
        _peer("seasonal_naive", "baseline", 1.00, 1.0),
        _peer("ADIDA", "statsforecast", 0.71, 5.0),
        _peer("mlforecast_lgbm", "mlforecast", 0.75, 50.0),
    ]
    doc = _doc(stages, peers, floor={"seconds": 1.5})
    t = {x["target"]: x for x in evaluate_targets(doc)}
    assert t["ingest throughput"]["met"] is True  # 15M rows/s
    assert t["full dbt build vs scan floor"]["met"] is False
    assert t["full dbt build vs scan floor"]["gap"] == "2.0x over (needs <= 30.0 s)"
    assert t["full dbt build peak memory"]["met"] is False
    assert t["incremental dbt build after one day"]["met"] is True  # 5%
    assert t["WAPE vs seasonal naive"]["met"] is True  # 30% lower
    assert t["WAPE vs best statsforecast intermittent method"]["met"] is False  # 1.4% lower
    assert t["WAPE vs mlforecast LightGBM"]["met"] is True
    assert t["fit + predict time vs mlforecast"]["gap"] == "2.0x slower"
    assert t["first load of all history end to end (m5)"]["gap"] == "5.0 min over"
    assert t["daily refresh end to end (m5)"]["met"] is True
    assert t["whole refresh peak memory"]["gap"] == "1.00 GB over"  # the larger of the two runs
    empty = {x["target"]: x for x in evaluate_targets(_doc([]))}
    assert empty["ingest throughput"]["met"] is None


def test_workdir_is_cleared_only_when_the_bench_made_it(tmp_path):
    own = tmp_path / "own"
    prepare_workdir(own)
    (own / "leftover.csv").write_text("x")
    prepare_workdir(own)
    assert sorted(p.name for p in own.iterdir()) == [MARKER]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "warehouse.duckdb").write_text("precious")
    with pytest.raises(FileExistsError, match="not made by `stockflow bench`"):
        prepare_workdir(foreign)
    assert (foreign / "warehouse.duckdb").read_text() == "precious"


def test_cli_rejects_unknown_peers_and_a_foreign_workdir(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    monkeypatch.setenv("STOCKFLOW_FORECAST_THREADS", "1")
    assert main(["bench", "--peers", "stockflow,prophet"]) == 2
    assert "unknown peers ['prophet']" in capsys.readouterr().err
    foreign = tmp_path / "data"
    foreign.mkdir()
    (foreign / "warehouse.duckdb").write_text("precious")
    assert main(["bench", "--workdir", str(foreign), "--results-dir", str(tmp_path / "results")]) == 2
    assert "not made by `stockflow bench`" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()
