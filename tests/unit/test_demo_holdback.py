"""The demo generator's held-back last day: the evening-before export plus the next day's extract
together say what the full history says."""

from datetime import date

import pandas as pd
import pytest

from pipelines.demo.generator import DemoConfig, generate_demo

END = date(2025, 6, 30)
CONFIG = DemoConfig(skus=40, warehouses=2, days=90, end_date=END)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("holdback")
    summary = generate_demo(root / "main", CONFIG, progress=False, holdback_dir=root / "day")
    generate_demo(root / "full", CONFIG, progress=False)
    return root, summary


def _csv(folder, kind):
    (path,) = folder.glob(f"{kind}_*.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_main_files_end_the_day_before_and_the_day_files_hold_only_that_day(folders):
    root, summary = folders
    assert summary.end_date == date(2025, 6, 29)
    assert {p.name.rsplit("_", 1)[1] for p in (root / "main").iterdir()} == {"20250629.csv", "20250629.xlsx"}
    for kind, column in (("sales_orders", "order_date"), ("receipts", "receipt_date")):
        assert (_csv(root / "main", kind)[column] < "2025-06-30").all()
    new = _csv(root / "day", "sales_orders")
    assert (new["order_date"] == "2025-06-30").any()
    assert not list((root / "day").glob("items_*"))  # masters are not re-sent


def test_main_plus_day_latest_versions_equal_the_full_history(folders):
    root, _ = folders
    for kind, key in (("sales_orders", ["order_id", "line_no"]), ("purchase_orders", ["po_id", "line_no"])):
        full = _csv(root / "full", kind).sort_values(key).reset_index(drop=True)
        both = pd.concat([_csv(root / "main", kind), _csv(root / "day", kind)])
        latest = both.drop_duplicates(key, keep="last").sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(latest, full)


def test_lines_shipped_on_the_last_day_were_open_the_evening_before(folders):
    root, _ = folders
    day = _csv(root / "day", "sales_orders")
    reexported = day[(day["order_date"] < "2025-06-30") & (day["ship_date"] == "2025-06-30")]
    assert len(reexported) > 0
    main = _csv(root / "main", "sales_orders").set_index(["order_id", "line_no"])
    before = main.loc[list(zip(reexported["order_id"], reexported["line_no"], strict=True))]
    assert (before["line_status"] == "open").all()
    assert (before["shipped_qty"].astype(float) == 0).all()
    assert (before["ship_date"] == "").all()
