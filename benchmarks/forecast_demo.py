"""Forecast benchmark on the demo company: rolling-origin backtest of ``models_ml.forecast.fit_predict``
against seasonal naive, a 28-day moving average and the Croston family; prints markdown tables.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python benchmarks/forecast_demo.py --skus 500 --warehouses 3

Demand is ``ordered_qty`` by order date (cancelled lines excluded), dense over days with zeros; price is
the day's mean unit price (carried forward on days without sales); promotion flag and discount from the
promotions file (a blank warehouse means all). The demo's ordered quantities are not censored by stock
(customers order regardless; only shipments are short), so no ``is_stockout`` column is passed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from models_ml.backtest import BacktestConfig, backtest  # noqa: E402
from models_ml.config import ForecastConfig  # noqa: E402
from models_ml.forecast import fit_predict  # noqa: E402
from pipelines.demo import DemoConfig, generate_demo  # noqa: E402


def demo_panel(folder: Path) -> pd.DataFrame:
    """Daily panel sku, warehouse_id, date, qty, price, is_promo, discount_pct, category."""
    sales = pd.read_csv(next(folder.glob("sales_orders_*.csv")), dtype={"sku": str, "warehouse_id": str})
    sales = sales[sales["line_status"] != "cancelled"]
    sales["date"] = pd.to_datetime(sales["order_date"])
    sales["value"] = sales["unit_price"] * sales["ordered_qty"]
    daily = sales.groupby(["sku", "warehouse_id", "date"], as_index=False).agg(
        qty=("ordered_qty", "sum"), value=("value", "sum")
    )
    daily["price"] = daily["value"] / daily["qty"].where(daily["qty"] > 0)
    items = pd.read_excel(next(folder.glob("items_*.xlsx")), dtype={"sku": str})
    keys = daily[["sku", "warehouse_id"]].drop_duplicates()
    days = pd.date_range(daily["date"].min(), daily["date"].max(), freq="D")
    grid = keys.merge(pd.DataFrame({"date": days}), how="cross")
    panel = grid.merge(daily.drop(columns="value"), on=["sku", "warehouse_id", "date"], how="left")
    panel["qty"] = panel["qty"].fillna(0.0)
    # series start at their first sale (launches), as the mart would show them
    first = panel[panel["qty"] > 0].groupby(["sku", "warehouse_id"])["date"].min().rename("first")
    panel = panel.merge(first, on=["sku", "warehouse_id"], how="inner")
    panel = panel[panel["date"] >= panel["first"]].drop(columns="first")
    panel = panel.sort_values(["sku", "warehouse_id", "date"])
    panel["price"] = panel.groupby(["sku", "warehouse_id"])["price"].ffill()

    promos = pd.read_excel(next(folder.glob("promotions_*.xlsx")), dtype={"sku": str, "warehouse_id": str})
    whs = panel["warehouse_id"].unique()
    promos["warehouse_id"] = promos["warehouse_id"].map(
        lambda w: [w] if isinstance(w, str) and w else list(whs)
    )
    promos = promos.explode("warehouse_id")
    n = (promos["end_date"] - promos["start_date"]).dt.days + 1
    expanded = promos.loc[promos.index.repeat(n)].copy()
    expanded["date"] = expanded["start_date"] + pd.to_timedelta(
        expanded.groupby(level=0).cumcount().to_numpy(), unit="D"
    )
    flags = expanded.groupby(["sku", "warehouse_id", "date"], as_index=False)["discount_pct"].max()
    panel = panel.merge(flags, on=["sku", "warehouse_id", "date"], how="left")
    panel["discount_pct"] = panel["discount_pct"].fillna(0.0)
    panel["is_promo"] = (panel["discount_pct"] > 0).astype(float)
    panel = panel.merge(items[["sku", "category"]].astype({"category": str}), on="sku", how="left")
    return panel.reset_index(drop=True)


def fmt(x: float, pct: bool = True) -> str:
    return "" if pd.isna(x) else (f"{100 * x:.1f}%" if pct else f"{x:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skus", type=int, default=500)
    ap.add_argument("--warehouses", type=int, default=3)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--origins", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cfg = DemoConfig(
            skus=args.skus, warehouses=args.warehouses, days=args.days, seed=42, end_date=date(2025, 6, 30)
        )
        generate_demo(Path(tmp), cfg, progress=False)
        panel = demo_panel(Path(tmp))
        print(
            f"demo: {panel.groupby(['sku', 'warehouse_id']).ngroups} series, {len(panel)} rows, "
            f"built in {time.perf_counter() - t0:.1f} s\n"
        )
    config = ForecastConfig(num_threads=args.threads)
    t0 = time.perf_counter()
    fc = fit_predict(panel, args.horizon, "D", config=config)
    full = time.perf_counter() - t0
    print(f"fit_predict on the full history ({len(fc)} rows): {full:.1f} s\n")

    res = backtest(panel, args.horizon, "D", config, BacktestConfig(n_origins=args.origins))
    m = res.metrics.set_index("method")
    croston = [c for c in ("croston", "sba", "tsb") if c in m.index]
    best = min(croston, key=lambda c: m.loc[c, "wape"]) if croston else None
    fva = res.fva[res.fva["scope"] == "all"].set_index("baseline")
    print(f"Rolling-origin backtest: {args.origins} origins x {args.horizon} days\n")
    print("| method | WAPE | RMSSE | MASE | bias | p90 coverage | FVA vs method (WAPE pts) | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ["model", "seasonal_naive", "ma", *([best] if best else [])]:
        r = m.loc[name]
        fva_s = (
            ""
            if name == "model"
            else f"{100 * fva.loc[name, 'fva_points']:.1f} ({fmt(fva.loc[name, 'fva_pct'])})"
        )
        label = {"ma": "moving average 28", "seasonal_naive": "seasonal naive"}.get(name, name)
        print(
            f"| {label} | {fmt(r['wape'])} | {fmt(r['rmsse'], False)} | {fmt(r['mase'], False)} | "
            f"{fmt(r['bias'])} | {fmt(r['coverage_p90'])} | {fva_s} | {res.seconds[name]:.1f} |"
        )
    print("\nBy demand pattern (WAPE; model p90 coverage)\n")
    seg = res.by_segment.pivot(index="segment", columns="method", values="wape")
    cov = res.by_segment[res.by_segment["method"] == "model"].set_index("segment")["coverage_p90"]
    share = res.by_segment[res.by_segment["method"] == "model"].set_index("segment")["actual"]
    share = share / share.sum()
    cols = ["model", "seasonal_naive", "ma", *croston]
    print("| segment | volume share | " + " | ".join(cols) + " | model p90 coverage |")
    print("|---" * (len(cols) + 3) + "|")
    for s in seg.index:
        print(
            f"| {s} | {fmt(share.get(s, np.nan))} | "
            + " | ".join(fmt(seg.loc[s, c]) for c in cols)
            + f" | {fmt(cov.get(s, np.nan))} |"
        )
    print("\nBy horizon (model)\n")
    hz = res.by_horizon[res.by_horizon["method"] == "model"]
    print("| days ahead | WAPE | bias | p90 coverage |\n|---|---|---|---|")
    for _, r in hz.iterrows():
        print(f"| {r['horizon_bucket']} | {fmt(r['wape'])} | {fmt(r['bias'])} | {fmt(r['coverage_p90'])} |")
    sn, ma = m.loc["seasonal_naive", "wape"], m.loc["ma", "wape"]
    mw = m.loc["model", "wape"]
    print(
        f"\nTargets: WAPE -{100 * (1 - mw / sn):.1f}% vs seasonal naive (>= 15%), "
        f"-{100 * (1 - mw / ma):.1f}% vs MA28 (>= 10%), p90 coverage {fmt(m.loc['model', 'coverage_p90'])} "
        "(85-95%)"
    )


if __name__ == "__main__":
    main()
