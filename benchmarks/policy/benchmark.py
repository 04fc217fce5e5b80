"""The policy benchmark itself (``run_policy_benchmark``): demand replayed under Stockflow and the three
rules for each lead-time scenario, every policy from the same opening stock facing the same demand and
lead-time draws; the points, frontiers and ratios of the results document. The method is told in
``benchmarks/policy_real.py``'s docstring."""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np
import pandas as pd

from benchmarks.policy.forecasts import forecast_accuracy, rolling_forecasts
from benchmarks.policy.frontier import add_frontiers
from benchmarks.policy.planner import StockflowPlanner
from benchmarks.policy.setup import Setup, default_lead_scenarios, prepare, review_periods
from benchmarks.policy.variants import rule_orders
from benchmarks.policy_replay import LeadTimeScenario, draw_lead_times, fill_rate, replay, trailing_stats

SERVICE_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995, 0.999)
FILL_TARGETS = (0.9, 0.95, 0.97, 0.98, 0.99)
RS_K = (-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
ODOO_K = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0)
ERPNEXT_SAFETY_WEEKS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def fit_forecasts(
    setup: Setup, drivers_future: bool, num_threads: int, log=print
) -> tuple[dict[str, dict[int, pd.DataFrame]], dict[str, list[float]]]:
    """The forecasts at each refit, per source, and the fit seconds. Shared by every variant and scenario:
    all policies see the requested demand."""
    from models_ml.config import ForecastConfig

    fcfg = ForecastConfig(include_mean=True, num_threads=num_threads)
    forecasts, fit_secs = {}, {}
    for src in setup.sources:
        forecasts[src], fit_secs[src] = rolling_forecasts(
            setup.panel, setup.origins, setup.horizon, src == "drv", drivers_future, fcfg, log
        )
    return forecasts, fit_secs


def scenario_points(
    setup: Setup, sc: LeadTimeScenario, tot, planner: StockflowPlanner, fill_u, fill_v
) -> list[dict]:
    """One point per variant of a scenario's replay: fill, average stock, stockouts and orders."""
    variants, cost, has_cost, reviews = setup.variants, setup.cost, setup.has_cost, setup.reviews
    n = len(setup.panel.keys)
    avg = tot.avg_on_hand
    points = []
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
    return points


def replay_scenario(
    setup: Setup, si: int, sc: LeadTimeScenario, forecasts: dict, log=print
) -> tuple[list[dict], dict]:
    """Every variant replayed under one lead-time scenario: its points and its diagnostics."""
    panel, qty, R, start, end = setup.panel, setup.qty, setup.R, setup.start, setup.end
    variants, reviews, per_week = setup.variants, setup.reviews, setup.per_week
    stat_window, cost, has_cost, seed = setup.stat_window, setup.cost, setup.has_cost, setup.seed
    n = len(panel.keys)
    first = panel.first  # rules count periods from a series' first row in the input
    lt = draw_lead_times(sc, n, end, seed=seed + 1000 + si)
    mean0, _ = trailing_stats(qty, start, stat_window, first)
    opening = np.round(mean0 * (sc.mean + R))
    sf_rows = [i for i, v in enumerate(variants) if v.kind in ("sl", "fill")]
    planner = StockflowPlanner(panel, variants, sc, R, forecasts, cost, setup.replen_cfg, log)
    L, std_L = sc.mean, sc.std

    def decide(t, on_hand, on_order, _planner=planner, _L=L, _sL=std_L, _rows=sf_rows, _sc=sc):
        mean, std = trailing_stats(qty, t, stat_window, first)
        pos = on_hand + on_order
        out = np.zeros_like(on_hand)
        for i, v in enumerate(variants):
            if v.kind in ("rs", "odoo", "erpnext"):
                out[i] = rule_orders(v, mean, std, pos[i], _L, R, _sL, per_week)
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
        measure_from=setup.measure_from,
        opening_on_hand=opening,
    )
    secs = time.perf_counter() - t0
    fill_u = fill_rate(tot)
    fill_v = fill_rate(tot, cost) if has_cost else np.full(len(variants), np.nan)
    points = scenario_points(setup, sc, tot, planner, fill_u, fill_v)
    diagnostics = {
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
    return points, diagnostics


def benchmark_settings(setup: Setup, drivers_future: bool, num_threads: int) -> dict:
    """The results document's ``settings``: what was replayed and how."""
    panel, start = setup.panel, setup.start
    n, T = panel.qty.shape
    return {
        "freq": panel.freq,
        "series": n,
        "periods": T,
        "warmup": setup.start,
        "first_review": str(panel.dates[start].date()),
        "measured_from": str(panel.dates[setup.measure_from].date()),
        "last_period": str(panel.dates[setup.end - 1].date()),
        "reviews": len(setup.reviews),
        "review_periods": setup.R,
        "refit_every_reviews": setup.refit_every,
        "refits": len(setup.origins),
        "forecast_horizon": setup.horizon,
        "stat_window": setup.stat_window,
        "drivers": sorted(panel.drivers),
        "drivers_future": drivers_future,
        "lead_scenarios": [asdict(s) for s in setup.lead_scenarios],
        "seed": setup.seed,
        **{name: list(values) for name, values in setup.sweeps.items()},
        "unit_cost": setup.has_cost,
        "replenishment_config": setup.replen_cfg,
        "num_threads": num_threads,
        "stock_measure": "sum over series of mean mid-period on hand ((opening after receipts + closing) / 2)",
    }


def assemble(
    setup: Setup,
    drivers_future: bool,
    num_threads: int,
    fit_secs: dict[str, list[float]],
    accuracy: dict,
    diagnostics: dict,
    pts: pd.DataFrame,
) -> dict:
    """The results document (its total time is set by the caller)."""
    result = {
        "settings": benchmark_settings(setup, drivers_future, num_threads),
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
    add_frontiers(result, pts, setup.lead_scenarios, setup.has_cost)
    return result


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
    t_start = time.perf_counter()
    R, per_week = review_periods(freq, review_days)
    if lead_scenarios is None:
        lead_scenarios = default_lead_scenarios(freq, per_week)
    sweeps = {
        "service_levels": service_levels,
        "fill_targets": fill_targets,
        "rs_k": rs_k,
        "odoo_k": odoo_k,
        "erpnext_safety_weeks": erpnext_safety_weeks,
    }
    setup = prepare(
        demand,
        freq,
        series=series,
        warmup=warmup,
        replay_periods=replay_periods,
        R=R,
        per_week=per_week,
        lead_scenarios=lead_scenarios,
        unit_cost=unit_cost,
        refit_every=refit_every,
        stat_window=stat_window,
        sweeps=sweeps,
        split_weekly=split_weekly,
        seed=seed,
        replen_kw=replen_kw,
    )
    log(setup.describe())
    forecasts, fit_secs = fit_forecasts(setup, drivers_future, num_threads, log)
    accuracy = forecast_accuracy(setup.panel, forecasts, setup.reviews, R, setup.end, freq)
    points, diagnostics = [], {}
    for si, sc in enumerate(lead_scenarios):
        scenario, diagnostics[sc.name] = replay_scenario(setup, si, sc, forecasts, log)
        points += scenario
    result = assemble(
        setup, drivers_future, num_threads, fit_secs, accuracy, diagnostics, pd.DataFrame(points)
    )
    result["timings"]["total_seconds"] = round(time.perf_counter() - t_start, 1)
    return result
