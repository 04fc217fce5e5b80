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
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy_replay import (  # noqa: E402
    LeadTimeScenario,
    draw_lead_times,
    efficient_points,
    erpnext_levels,
    fill_rate,
    odoo_levels,
    order_if_at_or_below,
    order_up_to,
    replay,
    rs_order_up_to,
    stock_at_fill,
    trailing_stats,
)

KEYS = ["sku", "warehouse_id"]
STEP_DAYS = {"D": 1, "W": 7}
FILL_LEVELS = (0.90, 0.95, 0.97, 0.98, 0.99)
UCI_PATH = ROOT.parent / "shared" / "data" / "real" / "uci_sales_transactions_weekly.csv"
RESULTS = Path(__file__).resolve().parent / "results"

SERVICE_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995, 0.999)
FILL_TARGETS = (0.9, 0.95, 0.97, 0.98, 0.99)
RS_K = (-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
ODOO_K = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0)
ERPNEXT_SAFETY_WEEKS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


# ================================================================================================ data


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


@dataclass
class Panel:
    keys: pd.DataFrame  # sku, warehouse_id (strings), one row per series
    dates: pd.DatetimeIndex
    qty: np.ndarray  # [n, T] requested demand (NaN-free; 0 before a series' first date)
    first: np.ndarray  # [n] first period of the series in the input
    drivers: dict[str, np.ndarray]  # name -> [n, T]
    freq: str


def build_panel(demand: pd.DataFrame, freq: str) -> Panel:
    df = demand.copy()
    df["sku"] = df["sku"].astype(str)
    df["warehouse_id"] = df["warehouse_id"].astype(str)
    df["date"] = pd.to_datetime(df["date"])
    drivers = [
        c
        for c in df.columns
        if c not in (*KEYS, "date", "qty", "is_stockout") and pd.api.types.is_numeric_dtype(df[c])
    ]
    step = "D" if freq == "D" else "W-SUN"
    dates = pd.date_range(df["date"].min(), df["date"].max(), freq=step)
    if freq == "W" and not (df["date"].dt.day_of_week == 6).all():
        raise ValueError("weekly dates must be Sundays (pandas 'W' labels the week ending on that day)")
    keys = df[KEYS].drop_duplicates().sort_values(KEYS).reset_index(drop=True)
    kidx = pd.MultiIndex.from_frame(keys)
    row = kidx.get_indexer(pd.MultiIndex.from_frame(df[KEYS]))
    col = dates.get_indexer(df["date"])
    if (col < 0).any():
        raise ValueError("dates off the frequency grid")
    n, T = len(keys), len(dates)
    qty = np.zeros((n, T))
    np.add.at(qty, (row, col), df["qty"].to_numpy(float))
    first = np.full(n, T)
    np.minimum.at(first, row, col)
    drv = {}
    for c in drivers:
        m = np.zeros((n, T))
        m[row, col] = df[c].to_numpy(float)
        drv[c] = m
    return Panel(keys, dates, qty, first, drv, freq)


def panel_frame(panel: Panel, lo: int, hi: int, drivers: bool) -> pd.DataFrame:
    """Long frame of periods [lo, hi) from each series' first period (what fit_predict gets)."""
    n = len(panel.keys)
    t = np.arange(lo, hi)
    ii, tt = np.meshgrid(np.arange(n), t, indexing="ij")
    ii, tt = ii.ravel(), tt.ravel()
    keep = tt >= panel.first[ii]
    ii, tt = ii[keep], tt[keep]
    out = pd.DataFrame(
        {
            "sku": panel.keys["sku"].to_numpy()[ii],
            "warehouse_id": panel.keys["warehouse_id"].to_numpy()[ii],
            "date": panel.dates[tt],
            "qty": panel.qty[ii, tt],
        }
    )
    if drivers:
        for c, m in panel.drivers.items():
            out[c] = m[ii, tt]
    return out


# ================================================================================================ Stockflow


def rolling_forecasts(
    panel: Panel, origins: list[int], horizon: int, use_drivers: bool, drivers_future: bool, config, log=print
) -> tuple[dict[int, pd.DataFrame], list[float]]:
    """``fit_predict`` on the history before each origin; returns origin -> forecast and fit seconds."""
    from models_ml.forecast import fit_predict

    out, secs = {}, []
    for o in origins:
        hist = panel_frame(panel, 0, o, use_drivers)
        future = None
        if use_drivers and drivers_future and panel.drivers:
            T = len(panel.dates)
            fut = panel_frame(panel, o, min(o + horizon, T), True).drop(columns="qty")
            # periods past the data end: drivers unknown, left to fit_predict's carry-forward
            future = fut
        t0 = time.perf_counter()
        fc = fit_predict(hist, horizon, panel.freq, future=future, config=config)
        secs.append(time.perf_counter() - t0)
        fc = fc.copy()
        fc["sku"] = fc["sku"].astype(str)
        fc["warehouse_id"] = fc["warehouse_id"].astype(str)
        fc["date"] = pd.to_datetime(fc["date"])
        out[o] = fc
        log(
            f"    fit origin {panel.dates[o].date()} ({'drivers' if use_drivers else 'history'}): {secs[-1]:.1f}s, {len(fc)} rows"
        )
    return out, secs


def split_weekly_forecast(fc: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows (date = Sunday ending the week) -> 7 daily rows: mean / 7, sigma = weekly sigma / sqrt(7).

    Weekly sigma from (p90 - p50) / z(0.9). A diagnostic input for the day-based planner, not a fix."""
    z90 = 1.2815515655446004
    point = fc["mean"] if "mean" in fc else fc["p50"]
    sig_w = np.maximum(fc["p90"].to_numpy(float) - fc["p50"].to_numpy(float), 0.0) / z90
    base = pd.DataFrame(
        {
            "sku": fc["sku"].to_numpy(),
            "warehouse_id": fc["warehouse_id"].to_numpy(),
            "end": fc["date"].to_numpy(),
            "mean": point.to_numpy(float) / 7.0,
            "sigma": sig_w / math.sqrt(7.0),
        }
    )
    parts = []
    for back in range(6, -1, -1):
        p = base.copy()
        p["date"] = p["end"] - pd.Timedelta(days=back)
        parts.append(p)
    out = pd.concat(parts, ignore_index=True).drop(columns="end")
    out["p50"] = out["mean"]
    out["p90"] = out["mean"] + z90 * out["sigma"]
    return out.sort_values([*KEYS, "date"]).reset_index(drop=True)[
        ["sku", "warehouse_id", "date", "p50", "p90", "mean", "sigma"]
    ]


@dataclass(frozen=True)
class Variant:
    family: str  # e.g. rs, odoo, erpnext, stockflow_sl_hist, stockflow_fill_drv, stockflow_split_sl_hist
    param: float  # k, safety weeks, service level or fill target
    kind: str  # rule name or "sl" / "fill"
    source: str = ""  # stockflow forecast: "hist" | "drv"
    split: bool = False  # stockflow: weekly forecast split into days


def make_variants(
    freq: str, sources: list[str], split: bool, service_levels, fill_targets, rs_k, odoo_k, erp_weeks
) -> list[Variant]:
    v: list[Variant] = []
    v += [Variant("rs", k, "rs") for k in rs_k]
    v += [Variant("odoo", k, "odoo") for k in odoo_k]
    v += [Variant("erpnext", s, "erpnext") for s in erp_weeks]
    modes = [False, True] if (split and freq == "W") else [False]
    for src in sources:
        for sp in modes:
            pre = "stockflow_split" if sp else "stockflow"
            v += [Variant(f"{pre}_sl_{src}", s, "sl", src, sp) for s in service_levels]
            v += [Variant(f"{pre}_fill_{src}", f, "fill", src, sp) for f in fill_targets]
    return v


class StockflowPlanner:
    """Calls ``plan_replenishment`` for the Stockflow variants of one replay (one lead-time scenario)."""

    def __init__(
        self,
        panel: Panel,
        variants: list[Variant],
        scenario: LeadTimeScenario,
        review: int,
        forecasts: dict[str, dict[int, pd.DataFrame]],
        unit_cost: np.ndarray,
        replen_kw: dict,
        log=print,
    ):
        from models_ml.replenishment import ReplenishmentConfig

        self.panel, self.variants, self.review, self.log = panel, variants, review, log
        self.forecasts = forecasts
        self.step = STEP_DAYS[panel.freq]
        self.lt_days = scenario.mean * self.step
        self.lt_std_days = scenario.std * self.step
        self.unit_cost = unit_cost
        self.cfg_sl = ReplenishmentConfig(**replen_kw)
        self.cfg_fill = {
            f: ReplenishmentConfig(
                **{
                    **replen_kw,
                    "service_allocation": "optimised",
                    "fill_measure": "units",
                    "target_fill_rate": f,
                }
            )
            for f in {v.param for v in variants if v.kind == "fill"}
        }
        self.sku = panel.keys["sku"].to_numpy(str)
        self.wh = panel.keys["warehouse_id"].to_numpy(str)
        self.errors: list[str] = []
        self.failed: set[int] = set()  # variant indices whose plan call raised at least once
        self.plan_seconds = 0.0
        self.plan_calls = 0
        self.flag_counts: dict[str, int] = {}
        self.samples: list[dict] = []
        self._split_cache: dict[tuple[str, int], pd.DataFrame] = {}

    def _forecast(self, source: str, split: bool, t: int) -> pd.DataFrame:
        fcs = self.forecasts[source]
        origin = max(o for o in fcs if o <= t)
        fc = fcs[origin]
        if split:
            key = (source, origin)
            if key not in self._split_cache:
                self._split_cache = {k: v for k, v in self._split_cache.items() if k[1] == origin}
                self._split_cache[key] = split_weekly_forecast(fc)
            fc = self._split_cache[key]
        return fc

    def as_of(self, t: int) -> pd.Timestamp:
        d = self.panel.dates[t]
        return d - pd.Timedelta(days=6) if self.panel.freq == "W" else d  # the review day: Monday of week t

    def _call(
        self,
        idx: list[int],
        fc: pd.DataFrame,
        on_hand: np.ndarray,
        on_order: np.ndarray,
        t: int,
        cfg,
        sl: list[float] | None,
    ):
        from models_ml.replenishment import plan_replenishment

        n = len(self.sku)
        tags = [f"@{j}" for j in range(len(idx))]
        fcs, stocks, pars, pos = [], [], [], []
        for j, vi in enumerate(idx):
            f = fc.copy()
            f["sku"] = f["sku"] + tags[j]
            fcs.append(f)
            sk = np.char.add(self.sku, tags[j])
            stocks.append(
                pd.DataFrame(
                    {
                        "sku": sk,
                        "warehouse_id": self.wh,
                        "on_hand_qty": on_hand[vi],
                        "unit_cost": self.unit_cost,
                    }
                )
            )
            p = pd.DataFrame(
                {
                    "sku": sk,
                    "warehouse_id": self.wh,
                    "lead_time_mean_days": self.lt_days,
                    "lead_time_std_days": self.lt_std_days,
                    "review_period_days": float(self.review * self.step),
                    "pack_size": 1.0,
                    "moq": 0.0,
                    "unit_cost": self.unit_cost,
                }
            )
            if sl is not None:
                p["service_level"] = sl[j]
            pars.append(p)
            oo = on_order[vi]
            has = oo > 0
            pos.append(pd.DataFrame({"sku": sk[has], "warehouse_id": self.wh[has], "qty": oo[has]}))
        fc_all, stock, params, open_pos = (pd.concat(x, ignore_index=True) for x in (fcs, stocks, pars, pos))
        t0 = time.perf_counter()
        plan = plan_replenishment(
            fc_all,
            stock,
            params,
            open_pos=open_pos if len(open_pos) else None,
            as_of=self.as_of(t),
            config=cfg,
        )
        self.plan_seconds += time.perf_counter() - t0
        self.plan_calls += 1
        for fl in plan["flags"].fillna("").astype(str):
            for f in filter(None, fl.split(";")):
                self.flag_counts[f] = self.flag_counts.get(f, 0) + 1
        if len(self.samples) < 3 and sl is not None:
            cols = [
                c
                for c in (
                    "sku",
                    "daily_demand",
                    "sigma_daily",
                    "protection_days",
                    "demand_protection_qty",
                    "safety_stock_qty",
                    "order_up_to_qty",
                    "inventory_position_qty",
                    "order_qty",
                    "flags",
                )
                if c in plan
            ]
            self.samples.append(
                {"t": str(self.panel.dates[t].date()), "rows": plan[cols].head(2).to_dict("records")}
            )
        q = plan.set_index(["sku", "warehouse_id"])["order_qty"]
        out = np.zeros((len(idx), n))
        for j in range(len(idx)):
            key = pd.MultiIndex.from_arrays([np.char.add(self.sku, tags[j]), self.wh])
            out[j] = q.reindex(key).fillna(0.0).to_numpy(float)
        return out

    def orders(self, t: int, on_hand: np.ndarray, on_order: np.ndarray, rows: list[int]) -> np.ndarray:
        """Orders [len(rows), n] for the Stockflow variants at positions ``rows`` of the variant list."""
        out = np.zeros((len(rows), len(self.sku)))
        groups: dict[tuple, list[int]] = {}
        for r, vi in enumerate(rows):
            v = self.variants[vi]
            key = (v.source, v.split, "sl") if v.kind == "sl" else (v.source, v.split, "fill", v.param)
            groups.setdefault(key, []).append(r)
        for key, rr in groups.items():
            src, sp = key[0], key[1]
            vis = [rows[r] for r in rr]
            fc = self._forecast(src, sp, t)
            try:
                if key[2] == "sl":
                    res = self._call(
                        vis, fc, on_hand, on_order, t, self.cfg_sl, [self.variants[vi].param for vi in vis]
                    )
                else:
                    res = self._call(vis, fc, on_hand, on_order, t, self.cfg_fill[key[3]], None)
            except Exception as e:  # noqa: BLE001 - an API failure is a finding, recorded and reported
                msg = f"{key}: {type(e).__name__}: {e}"
                if msg not in self.errors:
                    self.errors.append(msg)
                    self.log(f"    plan_replenishment failed {msg}")
                self.failed.update(vis)
                res = np.zeros((len(vis), len(self.sku)))
            out[rr] = res
        return out


# ================================================================================================ benchmark


def _rule_orders(v: Variant, mean, std, pos, L, R, std_L, step_per_week):
    if v.kind == "rs":
        return order_up_to(pos, rs_order_up_to(mean, std, L, R, std_L, v.param))
    if v.kind == "odoo":
        lo, hi = odoo_levels(mean, std, L, R, v.param)
        return order_if_at_or_below(pos, lo, hi)
    lo, hi = erpnext_levels(mean, L, R, v.param * step_per_week)
    return order_if_at_or_below(pos, lo, hi)


def frontier_table(points: pd.DataFrame, stock_col: str, fills=FILL_LEVELS) -> dict[str, list]:
    out = {}
    for fam, g in points.groupby("family"):
        f, s = efficient_points(g["fill"].to_numpy(), g[stock_col].to_numpy())
        out[fam] = {
            "efficient_fill": f.round(5).tolist(),
            "efficient_stock": s.round(3).tolist(),
            "stock_at_fill": dict(
                zip(
                    [f"{x:.2f}" for x in fills],
                    stock_at_fill(g["fill"].to_numpy(), g[stock_col].to_numpy(), np.array(fills))
                    .round(3)
                    .tolist(),
                    strict=True,
                )
            ),
            "max_fill": float(g["fill"].max()),
        }
    return out


def ratios(front: dict, fills=FILL_LEVELS) -> dict[str, dict[str, dict[str, float]]]:
    """Stockflow family / rule family stock at equal fill."""
    rules = [f for f in ("rs", "erpnext", "odoo") if f in front]
    out = {}
    for fam in front:
        if not fam.startswith("stockflow"):
            continue
        out[fam] = {}
        for r in rules:
            out[fam][r] = {}
            for x in fills:
                a, b = front[fam]["stock_at_fill"][f"{x:.2f}"], front[r]["stock_at_fill"][f"{x:.2f}"]
                out[fam][r][f"{x:.2f}"] = (
                    float(a / b) if a is not None and b and not (np.isnan(a) or np.isnan(b)) else float("nan")
                )
    return out


def run_policy_benchmark(
    demand: pd.DataFrame,
    freq: str,
    drivers_future: bool = False,
    *,
    warmup: int | None = None,
    replay_periods: int | None = None,
    review_days: int = 7,
    lead_scenarios: list[LeadTimeScenario] | None = None,
    unit_cost: pd.DataFrame | None = None,
    series: int | None = None,
    refit_every: int = 1,
    stat_window: int | None = None,
    service_levels=SERVICE_LEVELS,
    fill_targets=FILL_TARGETS,
    rs_k=RS_K,
    odoo_k=ODOO_K,
    erpnext_safety_weeks=ERPNEXT_SAFETY_WEEKS,
    split_weekly: bool = True,
    seed: int = 0,
    num_threads: int = 1,
    replen_kw: dict | None = None,
    log=print,
) -> dict:
    """Replay ``demand`` under Stockflow and the three rules; return settings, points, frontiers and ratios.

    demand: long frame ``sku, warehouse_id, date, qty`` (requested units per period; weekly dates are the
    Sunday ending the week) plus optional numeric driver columns (their values at future dates are used as
    ``future`` only when ``drivers_future``). freq: ``"D"`` or ``"W"``. warmup: periods of history before
    the first review (default 20 weeks / 364 days); replay_periods: periods replayed after it (default: to
    the end). unit_cost: ``sku`` (+ ``warehouse_id``), ``unit_cost`` to value stock (else units only).
    series: keep the first N series by (sku, warehouse) after a seeded shuffle. Lead scenarios default to
    fixed 1, fixed 2 weeks and uniform 1-3 weeks (in periods of ``freq``)."""
    from models_ml.config import ForecastConfig

    if freq not in STEP_DAYS:
        raise ValueError("freq must be 'D' or 'W'")
    step = STEP_DAYS[freq]
    if review_days % step:
        raise ValueError("review_days must be a whole number of periods")
    R = review_days // step
    per_week = 7 // step
    if lead_scenarios is None:
        lead_scenarios = [
            LeadTimeScenario("L1w", (per_week,)),
            LeadTimeScenario("L2w", (2 * per_week,)),
            LeadTimeScenario(
                "L1-3w",
                tuple(range(per_week, 3 * per_week + 1, per_week)) if freq == "W" else tuple(range(7, 22)),
            ),
        ]
    t_start = time.perf_counter()
    panel = build_panel(demand, freq)
    if series is not None and series < len(panel.keys):
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(panel.keys), size=series, replace=False))
        panel = Panel(
            panel.keys.iloc[keep].reset_index(drop=True),
            panel.dates,
            panel.qty[keep],
            panel.first[keep],
            {k: m[keep] for k, m in panel.drivers.items()},
            freq,
        )
    n, T = panel.qty.shape
    warmup = warmup if warmup is not None else (20 if freq == "W" else 364)
    start = warmup
    end = T if replay_periods is None else min(T, start + replay_periods)
    Lmax = max(s.max for s in lead_scenarios)
    measure_from = start + Lmax + R
    if measure_from >= end:
        raise ValueError("replay too short for the warm-up (L_max + R periods)")
    qty = panel.qty[:, :end]
    stat_window = stat_window or (26 if freq == "W" else 91)
    if unit_cost is not None:
        uc = unit_cost.copy()
        uc["sku"] = uc["sku"].astype(str)
        if "warehouse_id" in uc:
            uc["warehouse_id"] = uc["warehouse_id"].astype(str)
            cost = panel.keys.merge(uc, on=KEYS, how="left")["unit_cost"].to_numpy(float)
        else:
            cost = panel.keys.merge(uc.drop_duplicates("sku"), on="sku", how="left")["unit_cost"].to_numpy(
                float
            )
        has_cost = True
        cost = np.where(np.isfinite(cost), cost, np.nanmean(cost))
    else:
        cost, has_cost = np.ones(n), False

    # transfers off: the rules cannot move stock between warehouses and the replay books purchases only
    # (a plan row served by a transfer has order_qty 0: ordering "exactly order_qty" would drop its supply)
    replen_cfg = {"allow_transfers": False, **(replen_kw or {})}
    sources = ["hist"] + (["drv"] if panel.drivers else [])
    variants = make_variants(
        freq, sources, split_weekly, service_levels, fill_targets, rs_k, odoo_k, erpnext_safety_weeks
    )
    reviews = list(range(start, end, R))
    refit_every = max(1, int(refit_every))
    origins = reviews[::refit_every]
    horizon = Lmax + R + (refit_every - 1) * R
    fcfg = ForecastConfig(include_mean=True, num_threads=num_threads)
    log(
        f"  {n} series x {T} periods ({freq}); reviews {len(reviews)} from {panel.dates[start].date()}, measured from "
        f"{panel.dates[measure_from].date()} to {panel.dates[end - 1].date()}; {len(origins)} refits, horizon {horizon}; "
        f"{len(variants)} variants x {len(lead_scenarios)} lead-time scenarios"
    )

    # forecasts (shared by every variant and scenario: all policies see the requested demand)
    forecasts, fit_secs = {}, {}
    for src in sources:
        forecasts[src], fit_secs[src] = rolling_forecasts(
            panel, origins, horizon, src == "drv", drivers_future, fcfg, log
        )
    accuracy = forecast_accuracy(panel, forecasts, reviews, R, end, freq)

    first = panel.first  # rules count periods from a series' first row in the input
    points, diagnostics = [], {}
    for si, sc in enumerate(lead_scenarios):
        lt = draw_lead_times(sc, n, end, seed=seed + 1000 + si)
        mean0, _ = trailing_stats(qty, start, stat_window, first)
        opening = np.round(mean0 * (sc.mean + R))
        sf_rows = [i for i, v in enumerate(variants) if v.kind in ("sl", "fill")]
        planner = StockflowPlanner(panel, variants, sc, R, forecasts, cost, replen_cfg, log)
        L, std_L = sc.mean, sc.std

        def decide(t, on_hand, on_order, _planner=planner, _L=L, _sL=std_L, _rows=sf_rows, _sc=sc):
            mean, std = trailing_stats(qty, t, stat_window, first)
            pos = on_hand + on_order
            out = np.zeros_like(on_hand)
            for i, v in enumerate(variants):
                if v.kind in ("rs", "odoo", "erpnext"):
                    out[i] = _rule_orders(v, mean, std, pos[i], _L, R, _sL, per_week)
            if _rows:
                out[_rows] = _planner.orders(t, on_hand, on_order, _rows)
            if (t - start) // R % 10 == 9:
                log(
                    f"    {_sc.name}: review {(t - start) // R + 1}/{len(reviews)}, plan_replenishment {_planner.plan_seconds:.0f}s so far"
                )
            return out

        t0 = time.perf_counter()
        tot = replay(
            qty,
            lt,
            decide,
            len(variants),
            start=start,
            review=R,
            measure_from=measure_from,
            opening_on_hand=opening,
        )
        secs = time.perf_counter() - t0
        fill_u = fill_rate(tot)
        fill_v = fill_rate(tot, cost) if has_cost else np.full(len(variants), np.nan)
        avg = tot.avg_on_hand
        for i, v in enumerate(variants):
            failed = i in planner.failed
            points.append(
                {
                    "scenario": sc.name,
                    "family": v.family,
                    "param": v.param,
                    "fill": float(fill_u[i]),
                    "fill_value": float(fill_v[i]),
                    "avg_on_hand_units": float(avg[i].sum()),
                    "avg_on_hand_close_units": float(tot.avg_on_hand_close[i].sum()),
                    "avg_on_hand_value": float((avg[i] * cost).sum()) if has_cost else float("nan"),
                    "stockout_period_share": float(tot.stockout_periods[i].sum() / (n * tot.periods)),
                    "orders_per_series_review": float(tot.orders[i].sum() / (n * len(reviews))),
                    "failed": bool(failed),
                }
            )
        diagnostics[sc.name] = {
            "replay_seconds": round(secs, 1),
            "plan_seconds": round(planner.plan_seconds, 1),
            "plan_calls": planner.plan_calls,
            "plan_errors": planner.errors,
            "plan_flag_counts": planner.flag_counts,
            "plan_samples": planner.samples,
            "demand_units_measured": float(tot.demand.sum()),
            "measured_periods": tot.periods,
        }
        log(
            f"  scenario {sc.name}: replay {secs:.1f}s (plan_replenishment {planner.plan_seconds:.1f}s in {planner.plan_calls} calls)"
        )

    pts = pd.DataFrame(points)
    result = {
        "settings": {
            "freq": freq,
            "series": n,
            "periods": T,
            "warmup": warmup,
            "first_review": str(panel.dates[start].date()),
            "measured_from": str(panel.dates[measure_from].date()),
            "last_period": str(panel.dates[end - 1].date()),
            "reviews": len(reviews),
            "review_periods": R,
            "refit_every_reviews": refit_every,
            "refits": len(origins),
            "forecast_horizon": horizon,
            "stat_window": stat_window,
            "drivers": sorted(panel.drivers),
            "drivers_future": drivers_future,
            "lead_scenarios": [asdict(s) for s in lead_scenarios],
            "seed": seed,
            "service_levels": list(service_levels),
            "fill_targets": list(fill_targets),
            "rs_k": list(rs_k),
            "odoo_k": list(odoo_k),
            "erpnext_safety_weeks": list(erpnext_safety_weeks),
            "unit_cost": has_cost,
            "replenishment_config": replen_cfg,
            "num_threads": num_threads,
            "stock_measure": "sum over series of mean mid-period on hand ((opening after receipts + closing) / 2)",
        },
        "timings": {
            "fit_seconds": {k: [round(x, 2) for x in v] for k, v in fit_secs.items()},
            "total_seconds": None,
        },
        "forecast_accuracy": accuracy,
        "diagnostics": diagnostics,
        "points": pts.to_dict("records"),
        "frontiers": {},
        "ratios": {},
        "target_vs_achieved": {},
    }
    for sc in lead_scenarios:
        g = pts[(pts["scenario"] == sc.name) & ~pts["failed"]]
        fr = frontier_table(g, "avg_on_hand_units")
        result["frontiers"][sc.name] = fr
        result["ratios"][sc.name] = ratios(fr)
        if has_cost:
            frv = frontier_table(g, "avg_on_hand_value")
            result.setdefault("frontiers_value", {})[sc.name] = frv
            result.setdefault("ratios_value", {})[sc.name] = ratios(frv)
        sf = g[g["family"].str.startswith("stockflow")]
        result["target_vs_achieved"][sc.name] = sf[["family", "param", "fill", "avg_on_hand_units"]].to_dict(
            "records"
        )
    result["timings"]["total_seconds"] = round(time.perf_counter() - t_start, 1)
    return result


def forecast_accuracy(panel: Panel, forecasts: dict, reviews: list[int], R: int, end: int, freq: str) -> dict:
    """WAPE / bias of ``mean`` and ``p50`` vs a trailing moving average, at each review: the first period
    after the review (``1step``) and the sum over the review window of R periods (``review``; = 1step weekly).

    Series count from their first period; each review uses the forecast the replay used (last refit)."""
    ma_n = 13 if freq == "W" else 28
    out = {}
    idx = pd.MultiIndex.from_frame(panel.keys)
    n = len(panel.keys)
    for src, fcs in forecasts.items():
        err = {(m, w): [0.0, 0.0] for m in ("mean", "p50", "ma") for w in ("1step", "review")}
        act = {"1step": 0.0, "review": 0.0}
        for t in reviews:
            hi = min(t + R, end)
            if hi <= t:
                continue
            fc = fcs[max(o for o in fcs if o <= t)]
            win = fc[(fc["date"] >= panel.dates[t]) & (fc["date"] <= panel.dates[hi - 1])]
            alive = panel.first <= t
            lo_ma = np.maximum(panel.first, t - ma_n)
            ma = np.array([panel.qty[i, lo_ma[i] : t].mean() if t > lo_ma[i] else 0.0 for i in range(n)])
            for w, sel in (("1step", win[win["date"] == panel.dates[t]]), ("review", win)):
                g = sel.groupby(["sku", "warehouse_id"])[["mean", "p50"]].sum().reindex(idx).fillna(0.0)
                steps = 1 if w == "1step" else hi - t
                y = panel.qty[:, t : t + steps].sum(axis=1)[alive]
                for m, f in (
                    ("mean", g["mean"].to_numpy(float)),
                    ("p50", g["p50"].to_numpy(float)),
                    ("ma", ma * steps),
                ):
                    err[(m, w)][0] += np.abs(f[alive] - y).sum()
                    err[(m, w)][1] += (f[alive] - y).sum()
                act[w] += y.sum()
        res = {}
        for (m, w), (ae, e) in err.items():
            res[f"{m}_wape_{w}"] = round(ae / act[w], 4) if act[w] else None
            res[f"{m}_bias_{w}"] = round(e / act[w], 4) if act[w] else None
        res["moving_average_periods"] = ma_n
        out[src] = res
    return out


# ================================================================================================ report


def _fmt(x, nd=3):
    return "   nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def print_report(res: dict, title: str) -> None:
    print(f"\n==== {title} ====")
    s = res["settings"]
    print(
        f"{s['series']} series, {s['freq']}, reviews {s['reviews']} (refit every {s['refit_every_reviews']}), measured "
        f"{s['measured_from']}..{s['last_period']}, drivers {s['drivers'] or 'none'}; total {res['timings']['total_seconds']}s"
    )
    for src, a in res["forecast_accuracy"].items():
        for w in ("1step", "review"):
            print(
                f"forecast ({src}, {w}) WAPE mean {a[f'mean_wape_{w}']} p50 {a[f'p50_wape_{w}']} vs {a['moving_average_periods']}-period "
                f"MA {a[f'ma_wape_{w}']}; bias mean {a[f'mean_bias_{w}']} p50 {a[f'p50_bias_{w}']} MA {a[f'ma_bias_{w}']}"
            )
    pts = pd.DataFrame(res["points"])
    for sc, fr in res["frontiers"].items():
        print(f"\n-- lead time {sc}: points (fill / avg on-hand units) --")
        for fam, g in pts[pts["scenario"] == sc].groupby("family", sort=False):
            cells = "  ".join(
                f"{p:g}:{f:.3f}/{st:,.0f}"
                for p, f, st in zip(g["param"], g["fill"], g["avg_on_hand_units"], strict=True)
            )
            print(f"  {fam:28s} {cells}")
        print(
            f"  stock at equal fill (units): {'family':26s}"
            + "".join(f"{x:>10.0%}" for x in FILL_LEVELS)
            + "   max fill"
        )
        for fam, d in fr.items():
            print(
                f"  {'':29s}{fam:26s}"
                + "".join(f"{_fmt(d['stock_at_fill'][f'{x:.2f}'], 0):>10s}" for x in FILL_LEVELS)
                + f"   {d['max_fill']:.3f}"
            )
        print("  ratio Stockflow / rule at equal fill:")
        for fam, rr in res["ratios"][sc].items():
            for rule, d in rr.items():
                print(
                    f"    {fam:28s} / {rule:8s}" + "".join(f"{_fmt(d[f'{x:.2f}']):>8s}" for x in FILL_LEVELS)
                )
        if "ratios_value" in res:
            print("  ratio in stock VALUE at equal unit fill:")
            for fam, rr in res["ratios_value"][sc].items():
                for rule, d in rr.items():
                    print(
                        f"    {fam:28s} / {rule:8s}"
                        + "".join(f"{_fmt(d[f'{x:.2f}']):>8s}" for x in FILL_LEVELS)
                    )
        d = res["diagnostics"][sc]
        if d["plan_errors"]:
            print(f"  plan_replenishment errors: {d['plan_errors']}")
        print(f"  plan flags (row counts): {d['plan_flag_counts']}")


def _git() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "models_ml"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
        return {"commit": commit, "models_ml_dirty": dirty}
    except OSError:
        return {}


def _jsonable(o):
    if isinstance(o, float) and math.isnan(o):
        return None
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.floating,)):
        return _jsonable(float(o))
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return o


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
    res["code"] = _git()
    res["timings"]["wall_seconds_including_data"] = round(time.perf_counter() - t0, 1)
    print_report(res, ds)
    out = a.out or RESULTS / f"{date.today().isoformat()}-policy-{ds}{'-quick' if a.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_jsonable(res), indent=1))
    print(f"\nwrote {out} ({res['timings']['wall_seconds_including_data']}s)")
    return res


if __name__ == "__main__":
    main()
