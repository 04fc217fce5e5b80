from datetime import date

import openpyxl
import pandas as pd

from pipelines.reports.exports import neutralise_formulas, write_csv, write_workbook


def test_formula_like_text_is_neutralised_numbers_are_not():
    frame = pd.DataFrame(
        {
            "note": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "plain", None],
            "qty": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    out = neutralise_formulas(frame)
    assert list(out["note"][:5]) == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "'\tx"]
    assert out["note"][5] == "plain" and pd.isna(out["note"][6])
    assert list(out["qty"]) == list(frame["qty"])


def test_csv_has_bom_translated_headers_and_no_leftovers(tmp_path):
    path = write_csv(
        pd.DataFrame({"sku": ["杯子"], "order_qty": [12]}),
        tmp_path / "plan.csv",
        labels={"sku": "存货编码", "order_qty": "建议订货量"},
    )
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == ["存货编码,建议订货量", "杯子,12"]
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


def test_workbook_sheets_header_formats_and_frozen_pane(tmp_path):
    plan = pd.DataFrame(
        {
            "sku": ["A", "=cmd"],
            "order_qty": [24, 0],
            "service_level": [0.95, 0.9],
            "arrival_date": pd.to_datetime(["2025-07-01", "2025-07-03"]),
        }
    )
    path = write_workbook(
        {"Summary": plan.head(1), "Supplier: ACME/华东": plan},
        tmp_path / "plan.xlsx",
        labels={"order_qty": "建议订货量"},
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Supplier ACME华东"]
    ws = wb["Supplier ACME华东"]
    assert [c.value for c in ws[1]] == ["sku", "建议订货量", "service_level", "arrival_date"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert ws["A3"].value == "'=cmd" and ws["B2"].value == 24 and ws["B2"].number_format == "#,##0"
    assert ws["C2"].number_format == "0.0%" and ws["D2"].value.date() == date(2025, 7, 1)
    assert ws["D2"].number_format == "yyyy-mm-dd"


def test_stale_temporaries_of_killed_writes_are_removed_and_live_ones_kept(tmp_path):
    """Issue 16: interrupted plan exports left temporary files that nothing cleaned."""
    import subprocess
    import sys

    from pipelines.reports.exports import remove_stale_temporaries

    day = tmp_path / "plans" / "2025-06-30"
    day.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = day / f".replenishment_plan.xlsx.{int(dead.stdout)}.tmp"
    status = tmp_path / "plans" / ".STATUS.md.tmp"
    live_writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / "bi" / f".stockflow.duckdb.{live_writer.pid}.tmp"
        live.parent.mkdir()
        kept = day / "replenishment_plan.xlsx"
        for path in (stale, status, live, kept):
            path.write_text("x")
        removed = remove_stale_temporaries(tmp_path)
        assert sorted(removed) == sorted([stale, status])
        assert live.exists() and kept.exists() and not stale.exists() and not status.exists()
    finally:
        live_writer.kill()
        live_writer.wait()
    assert remove_stale_temporaries(tmp_path / "missing") == []
