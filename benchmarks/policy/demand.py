"""The demand the policy benchmark replays, as long frames ``sku, warehouse_id, date, qty`` (+ drivers):
UCI Sales Transactions Weekly, the demo company's requested quantities (with the promotion discount as a
planned driver and the item master's unit cost), and daily frames summed into complete weeks."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["sku", "warehouse_id"]
UCI_PATH = ROOT.parent / "shared" / "data" / "real" / "uci_sales_transactions_weekly.csv"


def load_uci_weekly(path: Path = UCI_PATH, first_week: str = "2024-01-07") -> pd.DataFrame:
    """UCI Sales Transactions Weekly as a long frame; W0..W51 dated as consecutive Sundays (pandas ``W``)."""
    raw = pd.read_csv(path)
    weeks = [f"W{i}" for i in range(52)]
    wide = raw.set_index("Product_Code")[weeks]
    dates = pd.date_range(first_week, periods=len(weeks), freq="W-SUN")
    wide.columns = dates
    long = wide.stack().rename("qty").reset_index()
    long.columns = ["sku", "date", "qty"]
    long["warehouse_id"] = "W1"
    return long[["sku", "warehouse_id", "date", "qty"]].astype({"qty": float})


def generate_demo_demand(
    skus: int = 100, warehouses: int = 2, days: int = 730, seed: int = 42, end: date = date(2025, 6, 30)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the demo company (``stockflow demo``'s generator) in a temp dir; return its daily demand.

    Demand = requested quantity of non-cancelled sales-order lines per SKU x warehouse x order date, dense
    from each series' first demand (zeros included), with ``discount_pct``, the promotion discount in force
    (planned in advance: a driver whose future is known). Also returns ``sku, unit_cost`` (item master)."""
    from pipelines.demo import DemoConfig, generate_demo  # data generation only, not the replay

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate_demo(
            folder,
            DemoConfig(skus=skus, warehouses=warehouses, days=days, seed=seed, end_date=end),
            progress=False,
        )
        (so_path,) = folder.glob("sales_orders_*")
        so = pd.read_csv(so_path, dtype={"sku": "string", "warehouse_id": "string"})
        items = pd.read_excel(next(folder.glob("items_*")), engine="openpyxl", dtype={"sku": "string"})
        promos = pd.read_excel(
            next(folder.glob("promotions_*")),
            engine="openpyxl",
            dtype={"sku": "string", "warehouse_id": "string"},
        )
    so = so[so["line_status"] != "cancelled"]
    so["date"] = pd.to_datetime(so["order_date"])
    d = (
        so.groupby([*KEYS, "date"], as_index=False)["ordered_qty"]
        .sum()
        .rename(columns={"ordered_qty": "qty"})
    )
    days_idx = pd.date_range(d["date"].min(), pd.Timestamp(end), freq="D")
    first = d.groupby(KEYS)["date"].min().rename("first").reset_index()
    grid = first.merge(pd.DataFrame({"date": days_idx}), how="cross")
    grid = grid[grid["date"] >= grid["first"]].drop(columns="first")
    dense = grid.merge(d, on=[*KEYS, "date"], how="left").fillna({"qty": 0.0})
    # promotions: per (sku, warehouse or all warehouses, day) the deepest discount
    promos["start_date"] = pd.to_datetime(promos["start_date"])
    promos["end_date"] = pd.to_datetime(promos["end_date"])
    rows = []
    for p in promos.itertuples(index=False):
        for day in pd.date_range(p.start_date, p.end_date, freq="D"):
            rows.append((p.sku, p.warehouse_id, day, float(p.discount_pct)))
    pr = pd.DataFrame(rows, columns=["sku", "warehouse_id", "date", "discount_pct"])
    specific = pr.dropna(subset=["warehouse_id"])
    general = pr[pr["warehouse_id"].isna()].drop(columns="warehouse_id")
    dense = dense.merge(
        specific.groupby([*KEYS, "date"], as_index=False)["discount_pct"].max(),
        on=[*KEYS, "date"],
        how="left",
    )
    dense = dense.merge(
        general.groupby(["sku", "date"], as_index=False)["discount_pct"]
        .max()
        .rename(columns={"discount_pct": "disc_all"}),
        on=["sku", "date"],
        how="left",
    )
    dense["discount_pct"] = dense[["discount_pct", "disc_all"]].max(axis=1).fillna(0.0)
    dense = dense.drop(columns="disc_all").sort_values([*KEYS, "date"]).reset_index(drop=True)
    cost = items[["sku", "unit_cost"]].drop_duplicates("sku")
    return dense, cost


def to_weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily long frame -> weekly (pandas ``W``: the Sunday ending the week); complete weeks only.

    ``qty`` is summed; driver columns are averaged over the days of the week."""
    df = daily.copy()
    df["date"] = pd.to_datetime(df["date"])
    df["week"] = df["date"].dt.to_period("W-SUN").dt.end_time.dt.normalize()
    drivers = [c for c in df.columns if c not in (*KEYS, "date", "qty", "week")]
    agg = {"qty": ("qty", "sum"), **{c: (c, "mean") for c in drivers}}
    w = df.groupby([*KEYS, "week"], as_index=False).agg(**agg).rename(columns={"week": "date"})
    lo, hi = pd.to_datetime(daily["date"]).min(), pd.to_datetime(daily["date"]).max()
    w = w[(w["date"] - pd.Timedelta(days=6) >= lo) & (w["date"] <= hi)]
    return w.reset_index(drop=True)
