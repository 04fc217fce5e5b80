"""Property-based ingest (issue 16): Hypothesis writes malformed sales extracts (encodings, title and total
rows, wrong types, duplicated keys, negative quantities, unknown SKUs, far-away dates, header-only files,
huge cells) and checks the invariant: every data row of every file is accounted for, either loaded (with its
file and row) or in a quarantine report that names the file and, for a bad cell, its row and column; and
ingest never raises for the files beside a bad one.

One warehouse serves every example (files and order numbers are unique per example): 100 examples of 2-3
files each, 200 to 300 files, take about a minute."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh
from tests.conftest import write_csv

HEADERS = {
    "en": ["order_id", "line_no", "order_date", "sku", "warehouse_id", "ordered_qty", "customer_id"],
    "zh": ["订单号", "行号", "单据日期", "存货编码", "仓库编码", "数量", "客户编码"],
}
DEFECTS = ("not_a_number", "duplicate_key", "negative_qty", "unknown_sku", "far_date", "empty_required")
_counter = itertools.count(1)


@dataclass
class Extract:
    lang: str
    encoding: str
    title_rows: int
    total_row: bool
    rows: int
    defects: dict[int, str] = field(default_factory=dict)  # data row index -> defect
    huge_cell: bool = False


@st.composite
def extracts(draw) -> Extract:
    rows = draw(st.integers(min_value=0, max_value=12))
    defects = {}
    if rows:
        for i in draw(st.sets(st.integers(min_value=0, max_value=rows - 1), max_size=3)):
            defects[i] = draw(st.sampled_from(DEFECTS))
        if defects.get(0) == "duplicate_key":  # a duplicate copies the key of the row before it
            del defects[0]
    return Extract(
        lang=draw(st.sampled_from(["en", "zh"])),
        encoding=draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])),
        title_rows=draw(st.integers(min_value=0, max_value=2)),
        total_row=draw(st.booleans()),
        rows=rows,
        defects=defects,
        huge_cell=draw(st.booleans()),
    )


def _write(extract: Extract, path: Path, prefix: str) -> dict[int, str]:
    """The file, and the defects by the line number the reader reports (a text editor's, from 1)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for t in range(extract.title_rows):
        writer.writerow(["销售订单列表" if t == 0 else "制表日期：2025-06-30"])
    writer.writerow(HEADERS[extract.lang])
    first_line = extract.title_rows + 2
    by_line: dict[int, str] = {}
    rows: list[list] = []
    for i in range(extract.rows):
        row = [f"{prefix}-{i}", 1, "2025-01-02", "A1", "W01", 3, ("x" * 5000) if extract.huge_cell else "C1"]
        defect = extract.defects.get(i)
        if defect == "not_a_number":
            row[5] = "三件"
        elif defect == "duplicate_key":
            row[0] = rows[-1][0]
        elif defect == "negative_qty":
            row[5] = -2
        elif defect == "unknown_sku":
            row[3] = "NOPE"
        elif defect == "far_date":
            row[2] = "9999-12-31"
        elif defect == "empty_required":
            row[3] = ""
        if defect:
            by_line[first_line + i] = defect
        rows.append(row)
    writer.writerows(rows)
    if extract.total_row and extract.rows:
        writer.writerow(["合计", "", "", "", "", 3 * extract.rows, ""])
    path.write_bytes(out.getvalue().encode(extract.encoding))
    return by_line


@pytest.fixture
def home(settings: Settings) -> Settings:
    write_csv(settings.inbox / "warehouses.csv", ["warehouse_id", "warehouse_name"], [["W01", "Shanghai"]])
    write_csv(settings.inbox / "items.csv", ["sku", "sku_name"], [["A1", "Cup"]])
    with wh.connect(settings.warehouse_path) as conn:
        for kind in ("warehouses", "items"):
            ingest.ingest_kind(conn, settings, kind, load_header_map())
    return settings


@hypothesis_settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(extracts(), min_size=2, max_size=3))  # 200 to 300 files per run
def test_every_row_is_loaded_or_reported(home: Settings, batch: list[Extract]):
    header_map = load_header_map()
    expected = {}
    for extract in batch:
        n = next(_counter)
        name = f"sales_orders_{n}.csv"
        expected[name] = (extract, _write(extract, home.inbox / name, f"P{n}"))
    with wh.connect(home.warehouse_path) as conn:
        result = ingest.ingest_kind(conn, home, "sales_orders", header_map)
    outcomes = {o.file_name: o for o in result.outcomes}
    assert set(outcomes) == set(expected)  # every file was dealt with, none left in the inbox
    assert not any((home.inbox / name).exists() for name in expected)
    for name, (extract, defects) in expected.items():
        outcome = outcomes[name]
        if not defects and extract.rows:
            assert outcome.status == "loaded", (name, outcome, extract)
            with wh.connect(home.warehouse_path, read_only=True) as conn:
                loaded = conn.execute(
                    "select count(*) from raw.sales_orders where _source_file = ?", [name]
                ).fetchone()[0]
            assert loaded == extract.rows  # every data row loaded; title and total rows are not data
            continue
        assert outcome.status == "rejected", (name, outcome, extract)
        errors = pd.read_csv(home.quarantine / f"{name}.errors.csv", encoding="utf-8-sig", dtype=str)
        assert not errors.empty and set(errors["file"]) == {name}
        reported = {int(r) for r in errors["row"].dropna()}
        assert set(defects) <= reported, (name, defects, errors.to_dict("records"))
        assert errors.loc[errors["row"].notna(), "column"].notna().all()  # a bad cell names its column
