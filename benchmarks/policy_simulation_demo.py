"""Replay the last 180 days of the demo company under the proposed (R, S) policy and compare with history.

Run: ``.venv/bin/python benchmarks/policy_simulation_demo.py [--skus 200 --warehouses 2 --days 180]``

What is built from the English demo extracts (pandas only, no warehouse file):
- demand: requested quantity of non-cancelled sales-order lines per SKU x warehouse x order date.
- history (what the ledger shows): shipped quantity of those lines (by order date, so fill rate =
  shipped / ordered, a stockout day = a day with a line shipped short) and the end-of-day on hand
  rebuilt from the last month-end snapshot before the window plus receipts + stock movements -
  shipments (by ship date); checked against the month-end snapshots inside the window.
- stock at the window start: that rebuilt on hand the evening before; unit cost from the snapshot
  (fallback item master), used to value both scenarios.
- pipeline at the start: PO lines ordered before the window, arriving on their actual receipt dates.
- params: item master (MOQ, pack, max order qty, master lead time, supplier, discontinued date),
  supplier order weekdays; measured lead time mean/std per supplier from PO lines ordered before the
  window (order date -> first receipt); ABC by consumption value and XYZ by weekly CV over the 365
  days before the window; dead stock = on hand but nothing shipped in the 180 days before the window.
- observed lead times for the replay's arrivals: PO lines ordered in the 365 days up to the end.
- forecast: a STAND-IN (trailing 28-day mean, sigma from the trailing 91-day std, recomputed at
  each review without look-ahead), unless ``--forecaster`` is given and ``models_ml.forecast`` works.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# the inputs rebuilt from the extracts: benchmarks/policy/demo_inputs.py
from benchmarks.policy.demo_inputs import build_inputs  # noqa: E402
from models_ml.replenishment import ReplenishmentConfig  # noqa: E402
from models_ml.simulation import SimulationConfig, compare_with_history, comparison_markdown, simulate_policy  # noqa: E402
from pipelines.demo import DemoConfig, generate_demo  # noqa: E402


def real_forecast(inp: dict, days: int) -> tuple[pd.DataFrame | None, str]:
    """One fit_predict at the window start over the whole window (+ the longest protection period)."""
    try:
        from models_ml.forecast import fit_predict
    except ImportError as exc:  # the forecaster is another helper's work in progress
        return None, f"STAND-IN (models_ml.forecast not importable: {exc})"
    demand = inp["demand"]
    hist = demand[demand["date"] < inp["start"]]
    horizon = days + 120
    fc = fit_predict(hist, horizon)
    return (
        fc,
        f"models_ml.forecast.fit_predict, one origin {inp['start'] - pd.Timedelta(days=1):%Y-%m-%d}, p50 as point",
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skus", type=int, default=200)
    ap.add_argument("--warehouses", type=int, default=2)
    ap.add_argument("--history-days", type=int, default=730)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--policy", default="RS", choices=["RS", "sQ", "minmax"])
    ap.add_argument(
        "--forecaster", action="store_true", help="one models_ml.forecast run at the window start"
    )
    args = ap.parse_args()
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        demo = DemoConfig(
            args.skus, args.warehouses, args.history_days, args.seed, end_date=date(2025, 6, 30)
        )
        generate_demo(Path(tmp), demo, progress=False)
        timings["generate demo"] = time.perf_counter() - t
        t = time.perf_counter()
        inp = build_inputs(Path(tmp), args.days)
        timings["build inputs"] = time.perf_counter() - t
    forecast, label = (
        None,
        (
            "STAND-IN (trailing 28-day mean of requested qty, sigma = trailing 91-day std, "
            "recomputed at each review) - not models_ml.forecast"
        ),
    )
    if args.forecaster:
        t = time.perf_counter()
        forecast, label = real_forecast(inp, args.days)
        timings["forecaster"] = time.perf_counter() - t
    t = time.perf_counter()
    daily = simulate_policy(
        inp["demand"],
        inp["params"],
        inp["stock"],
        open_pos=inp["open_pos"],
        forecast=forecast,
        lead_time_samples=inp["samples"],
        config=ReplenishmentConfig(policy=args.policy),
        sim_config=SimulationConfig(days=args.days),
    )
    timings["simulate"] = time.perf_counter() - t
    t = time.perf_counter()
    comp = compare_with_history(daily, inp["history"])
    timings["compare"] = time.perf_counter() - t

    print(
        f"Demo: {args.skus} SKUs x {args.warehouses} warehouses, seed {args.seed}; replay {inp['start']:%Y-%m-%d}"
        f" .. {inp['end']:%Y-%m-%d} ({args.days} days), policy {args.policy}"
    )
    print(f"Forecast: {label}")
    print(
        f"History on hand rebuilt from snapshot + flows; matches month-end snapshots (+-3) on "
        f"{inp['rebuild_match']:.1%} of rows"
    )
    print()
    print(comparison_markdown(comp))
    print()
    total = comp["total"].set_index("scenario")
    ok = (total.loc["proposed", "fill_rate"] > total.loc["history", "fill_rate"]) and (
        total.loc["proposed", "avg_inventory_value"] < total.loc["history", "avg_inventory_value"]
    )
    print(f"Target (higher fill rate at lower average inventory): {'MET' if ok else 'NOT MET'}")
    print("Timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))


if __name__ == "__main__":
    main()
