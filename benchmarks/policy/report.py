"""What the policy benchmark prints and writes: the report of forecasts, points, stock at equal fill and
ratios per lead-time scenario; the code's commit; the results made JSON-safe (NaN as null)."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pandas as pd

from benchmarks.policy.demand import ROOT
from benchmarks.policy.frontier import FILL_LEVELS


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


def git_state() -> dict:
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


def jsonable(o):
    if isinstance(o, float) and math.isnan(o):
        return None
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.floating,)):
        return jsonable(float(o))
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return o
