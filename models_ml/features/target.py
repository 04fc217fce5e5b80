"""Target features of the period o + h known at the origin o: the horizon, same-season and year-ago
values at or before the origin, the calendar of the target period, its drivers, the price relative to
the usual price and the series' price response at the target's price.

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np

from models_ml.config import ResolvedConfig
from models_ml.features.calendar import YEARLY_CALENDAR, YEARLY_CALENDAR_MIN_YEARS, calendar_table
from models_ml.features.panel import Panel


def target_features(
    panel: Panel,
    idx: np.ndarray,
    h: np.ndarray,
    drivers: dict[str, np.ndarray],
    origin_f: dict[str, np.ndarray],
    rc: ResolvedConfig,
) -> dict[str, np.ndarray]:
    """Features of target period ``t[idx] + h`` that are known at the origin ``idx``.

    ``drivers`` holds the driver values of the target periods (planned prices and promotions)."""
    yf = panel.y_feat
    off = panel.offset[panel.sid[idx]]
    f: dict[str, np.ndarray] = {"h": h.astype(np.float64)}

    def back(lag: np.ndarray) -> np.ndarray:
        j = idx + h - lag  # a period at or before the origin (lag >= h)
        return np.where(j >= off, yf[np.clip(j, 0, len(yf) - 1)], np.nan)

    s = rc.season
    first = s * np.ceil(h / s).astype(np.int64)
    seas = np.stack([back(first + s * m) for m in range(4)])
    f["seas_1"] = seas[0]
    f["seas_mean4"] = _nanmean(seas) if s < rc.year else seas[0]
    mid = rc.windows[min(2, len(rc.windows) - 1)]
    f["seas_index"] = f["seas_mean4"] / (origin_f[f"mean_{mid}"] + 1e-3)
    yr = rc.year
    ok_h = h <= yr - 3
    around = np.stack([back(np.full_like(h, yr + d)) for d in ((-3, -2, -1, 0, 1, 2, 3) if s < yr else (0,))])
    yr_mean = np.where(ok_h, _nanmean(around), np.nan)
    f["year_ago"] = yr_mean
    f["year_index"] = yr_mean / (origin_f[f"mean_{rc.windows[-1]}"] + 1e-3)

    cal = calendar_table(
        panel.origin, panel.step_days, int(panel.t.min()), int(h.max()), rc.base.holiday_country
    )
    rows = panel.t[idx] + h - int(panel.t.min())
    # a yearly calendar (month, week of the year, yearly festivals) cannot be learned from less than a
    # year of history: there it only adds noise (two years was too strict: the demo's two-year history
    # lost its festivals at every backtest origin, WAPE 75.7% -> 76.4%)
    short = -int(panel.t.min()) + 1 < YEARLY_CALENDAR_MIN_YEARS * rc.year
    for col in cal.columns:
        if short and col in YEARLY_CALENDAR:
            continue
        f[col] = cal[col].to_numpy()[rows]
    for name, vals in drivers.items():
        f[f"x_{name}"] = vals
    if panel.price_col is not None:
        f["price_rel"] = drivers[panel.price_col] / origin_f["price_ref"]
    if "_resp_mz" in origin_f:  # the series' own price response at the target period's price
        price = drivers[panel.price_col]
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.log(np.where(price > 0, price, np.nan))
        fit = origin_f["_resp_mz"] + origin_f["_resp_slope"] * np.nan_to_num(lp - origin_f["_resp_mx"])
        f["price_response"] = fit
    return f


def _nanmean(stack: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(stack)
    n = ok.sum(axis=0)
    return np.where(n > 0, np.where(ok, stack, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
