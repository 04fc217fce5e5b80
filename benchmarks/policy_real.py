"""Policy benchmark on real demand (issue 14, point 3): Stockflow's plan vs the rules planners already use.

Run: ``.venv/bin/python benchmarks/policy_real.py --dataset uci_weekly|demo_daily|demo_weekly
[--series N] [--quick] [--refit-every K]``; results in ``benchmarks/results/<date>-policy-<dataset>.json``.

Demand is replayed period by period (``policy_replay.replay``: lost sales, a review every week, lead times
fixed 1 week, fixed 2 weeks, or drawn uniformly from 1-3 weeks per order with a seed; for daily data the
same in days: review every 7 days, lead time 7 / 14 / 7-21 days). Policies, all starting from the same
opening stock (mean demand x (L + R)) with nothing on order, facing the same demand and lead-time draws:

- ``stockflow`` (``ReplenishmentConfig(allow_transfers=False)``: no rule can transfer, and a plan row served by a
  transfer has ``order_qty`` 0): at each review (refit every ``refit_every`` reviews; in between the last forecast is
  used from the review's date on, fitted with a horizon long enough), ``models_ml.forecast.fit_predict(history
  before the review, horizon, freq, future=..., config=ForecastConfig(include_mean=True, num_threads=1))``
  then ``models_ml.replenishment.plan_replenishment(forecast, stock, params, open_pos=..., as_of=review
  day)`` with on hand, on order, ``lead_time_days``, ``lead_time_std_days`` and ``review_period_days`` in
  the parameters; the benchmark orders exactly ``order_qty``. Traced at per-row ``service_level``
  0.5 ... 0.999 (``stockflow_sl``) and at the config's aggregate fill target
  (``service_allocation="optimised", fill_measure="units", target_fill_rate=...``: ``stockflow_fill``).
  For weekly data a diagnostic family ``stockflow_split_*`` passes the same weekly forecast split into
  7 daily rows (mean / 7, a ``sigma`` of weekly sigma / sqrt(7)), the day-based input the planner
  documents, to separate the forecast from the weekly-reading defect (issue 14 defect 1).
  With drivers in the data, each family runs on history only (``_hist``, driver columns dropped) and with
  the drivers (``_drv``: history with drivers, their planned values passed as ``future`` when
  ``drivers_future``).
- ``erpnext``: reorder level = mean x L + safety periods x mean; when position <= level order up to level +
  mean x R. Swept over safety weeks.
- ``odoo``: min = mean x L + k sigma sqrt(L), max = min + mean x R; when position <= min order up to max.
- ``rs``: S = mean x (L + R) + k sqrt((L + R) sigma^2 + mean^2 sigma_L^2); order S - position.
  Rules use the trailing mean and std-dev of demand per period over the last ``stat_window`` periods
  (26 weeks / 91 days; from a series' first demand), recomputed at every review, and the lead time's
  mean and std in periods; orders in whole units, no MOQ or pack for anybody.

Every policy, the forecaster included, sees the requested demand of past periods (lost demand recorded),
so forecasts do not depend on the policy and are fitted once per review for all variants.

Metrics after the warm-up (opening + L_max + R periods): unit fill = units shipped / units demanded over all
series; average on-hand units = sum over series of the mean mid-period on hand (value with a unit cost).
The fill-vs-stock frontier of each family keeps its efficient points and interpolates stock as a monotone
(PCHIP) function of fill; ratios Stockflow / rule at equal fill at 90, 95, 97, 98, 99% (NaN when one of the
two never reaches that fill, no extrapolation).

Data: ``uci_weekly`` (../shared/data/real, 811 products x 52 weeks, weeks dated from 2024-01-07, warm-up
20 weeks); ``demo_daily`` / ``demo_weekly`` (the demo company generated into a temp dir, 100 SKUs x 2
warehouses x 730 days ending 2025-06-30, seed 42: requested quantity of non-cancelled lines by order date,
the promotion discount in force as a planned driver, unit cost from the item master). Other sets: call
``run_policy_benchmark(demand, freq, drivers_future, ...)`` with a long frame ``sku, warehouse_id, date,
qty`` (+ numeric driver columns).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the parts (benchmarks/policy/): demand, panel, forecasts, variants, planner, setup, benchmark, frontier,
# report; the names other code calls are re-exported here
from benchmarks.policy.benchmark import run_policy_benchmark  # noqa: E402
from benchmarks.policy.demand import KEYS, generate_demo_demand, load_uci_weekly, to_weekly  # noqa: E402
from benchmarks.policy.forecasts import split_weekly_forecast  # noqa: E402
from benchmarks.policy.report import git_state, jsonable, print_report  # noqa: E402

__all__ = [
    "generate_demo_demand",
    "load_uci_weekly",
    "main",
    "print_report",
    "run_policy_benchmark",
    "split_weekly_forecast",
    "to_weekly",
]

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=["uci_weekly", "demo_daily", "demo_weekly"], required=True)
    ap.add_argument("--series", type=int, default=None, help="keep N series (seeded sample)")
    ap.add_argument("--quick", action="store_true", help="few series, short replay, coarse sweeps (< ~2 min)")
    ap.add_argument(
        "--refit-every",
        type=int,
        default=None,
        help="refit the forecaster every K reviews (default 1 weekly, 2 daily)",
    )
    ap.add_argument(
        "--ss-cap-days",
        type=float,
        default=None,
        help="ReplenishmentConfig.max_safety_stock_days (default: the config's)",
    )
    ap.add_argument("--no-split", action="store_true", help="skip the weekly->daily split diagnostic family")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    kw: dict = {"seed": a.seed, "split_weekly": not a.no_split}
    if a.ss_cap_days is not None:
        kw["replen_kw"] = {"max_safety_stock_days": a.ss_cap_days}
    if a.quick:
        kw.update(
            service_levels=(0.8, 0.9, 0.95, 0.99),
            fill_targets=(0.95,),
            rs_k=(0.0, 1.0, 2.0, 3.0),
            odoo_k=(1.0, 2.0, 3.0, 5.0),
            erpnext_safety_weeks=(0.5, 1.0, 2.0, 4.0),
        )
    ds = a.dataset
    if ds == "uci_weekly":
        demand, cost, freq, drv_future = load_uci_weekly(), None, "W", False
        kw.update(warmup=20, refit_every=a.refit_every or 1)
        series = a.series or (60 if a.quick else None)
        if a.quick:
            kw.update(replay_periods=12)
    else:
        skus = 25 if a.quick else 100
        daily, cost = generate_demo_demand(skus=skus, warehouses=2, days=730 if not a.quick else 400)
        drv_future = True
        series = a.series or (20 if a.quick else None)
        if ds == "demo_daily":
            demand, freq = daily, "D"
            kw.update(
                warmup=len(pd.unique(daily["date"])) - (56 if a.quick else 182),
                refit_every=a.refit_every or (4 if a.quick else 2),
            )
        else:
            demand, freq = to_weekly(daily), "W"
            nweeks = demand["date"].nunique()
            kw.update(
                warmup=nweeks - (16 if a.quick else 52), refit_every=a.refit_every or (2 if a.quick else 1)
            )
    print(
        f"dataset {ds}: {demand[KEYS].drop_duplicates().shape[0]} series, {len(demand)} rows, data ready in {time.perf_counter() - t0:.1f}s"
    )
    res = run_policy_benchmark(demand, freq, drv_future, unit_cost=cost, series=series, **kw)
    res["settings"]["dataset"] = ds
    res["settings"]["quick"] = a.quick
    res["code"] = git_state()
    res["timings"]["wall_seconds_including_data"] = round(time.perf_counter() - t0, 1)
    print_report(res, ds)
    out = a.out or RESULTS / f"{date.today().isoformat()}-policy-{ds}{'-quick' if a.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(jsonable(res), indent=1))
    print(f"\nwrote {out} ({res['timings']['wall_seconds_including_data']}s)")
    return res


if __name__ == "__main__":
    main()
