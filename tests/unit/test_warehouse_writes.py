"""Writes of run results converge: a table written twice for the same key (a re-run, or the run after a
killed one) holds what one clean run writes (issue 16: a killed run left plans.policy_simulation at 24
rows where a clean run holds 12)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from pipelines.warehouse import connection as wh


def _rows(window_start: date, run_id: str, n: int = 12) -> pd.DataFrame:
    return pd.DataFrame({"metric": [f"m{i}" for i in range(n)], "value": range(n), "run_id": run_id}).assign(
        window_start=window_start, window_days=180
    )


def test_a_second_write_for_the_same_key_replaces_the_first():
    conn = duckdb.connect()
    key = {"window_start": date(2025, 1, 2), "window_days": 180}
    wh.replace_rows(conn, {"plans.policy_simulation": _rows(date(2025, 1, 2), "killed")}, key)
    wh.replace_rows(conn, {"plans.policy_simulation": _rows(date(2025, 1, 2), "recovery")}, key)
    got = conn.execute("select run_id, count(*) from plans.policy_simulation group by 1").fetchall()
    assert got == [("recovery", 12)]


def test_other_keys_are_kept():
    conn = duckdb.connect()
    wh.replace_rows(conn, {"plans.s": _rows(date(2025, 1, 1), "a")}, {"window_start": date(2025, 1, 1)})
    wh.replace_rows(conn, {"plans.s": _rows(date(2025, 1, 2), "b")}, {"window_start": date(2025, 1, 2)})
    assert conn.execute("select count(*) from plans.s").fetchone()[0] == 24


def test_a_write_that_fails_half_way_leaves_the_earlier_rows():
    conn = duckdb.connect()
    key = {"plan_date": "2025-01-02"}
    first = {"plans.p": pd.DataFrame({"plan_date": ["2025-01-02"] * 3, "qty": [1, 2, 3]})}
    wh.replace_rows(conn, {**first, "plans.e": pd.DataFrame({"plan_date": ["2025-01-02"], "n": [1]})}, key)
    broken = {"plans.p": pd.DataFrame({"plan_date": ["2025-01-02"], "qty": [9]}), "plans.e": pd.DataFrame({"plan_date": ["2025-01-02"], "n": ["not a number"]})}  # fmt: skip
    with pytest.raises(duckdb.Error):
        wh.replace_rows(conn, broken, key)
    assert conn.execute("select sum(qty) from plans.p").fetchone()[0] == 6
    assert conn.execute("select count(*) from plans.e").fetchone()[0] == 1
