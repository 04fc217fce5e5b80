"""Rolling-origin backtest of ``fit_predict`` against seasonal naive, a moving average and the Croston
family: WAPE, MASE, RMSSE, bias and p90 coverage by method, segment and horizon, and the forecast
value added (FVA) over each baseline.

At each origin the forecasters see only ``history`` up to the origin; the drivers of the horizon
(prices, promotion flags) are passed as ``future``, as planned prices and promotions would be.

Never imports: the forecaster's internals (only the public ``models_ml.forecast`` and
``models_ml.features`` packages), the replenishment code, nor dagster, duckdb, dbt, pipelines or
benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models_ml.config import ForecastConfig
from models_ml.features import (
    DATE_COL,
    ID_COLS,
    STOCKOUT_COL,
    TARGET_COL,
    build_panel,
    demand_patterns,
    driver_columns,
)
from models_ml.forecast import croston_forecast, fit_predict, moving_average, seasonal_naive
from models_ml.metrics import summarise

MODEL = "model"


@dataclass(frozen=True)
class BacktestConfig:
    n_origins: int = 3
    step: int | None = None  # periods between origins; None: the horizon (non-overlapping windows)
    baselines: tuple[str, ...] = ("seasonal_naive", "ma", "croston", "sba", "tsb")
    ma_window: int | None = None  # None: 28 days or 4 weeks


@dataclass
class BacktestResult:
    forecasts: pd.DataFrame  # one row per method, origin, series and period, with the actual
    metrics: pd.DataFrame  # per method
    by_segment: pd.DataFrame  # per method and segment
    by_horizon: pd.DataFrame  # per method and horizon bucket
    fva: pd.DataFrame  # per baseline (and segment): WAPE of baseline and model, FVA
    seconds: dict[str, float] = field(default_factory=dict)  # fit + predict time per method


def origins_for(history: pd.DataFrame, horizon: int, freq: str, n_origins: int, step: int | None) -> list:
    step_days = {"D": 1, "W": 7}[freq]
    last = pd.to_datetime(history[DATE_COL]).max().normalize()
    step = step or horizon
    return [last - pd.Timedelta(days=(horizon + k * step) * step_days) for k in reversed(range(n_origins))]


def backtest(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "D",
    config: ForecastConfig | None = None,
    backtest_config: BacktestConfig | None = None,
    segments: str | pd.DataFrame | Mapping | None = None,
) -> BacktestResult:
    """Rolling-origin backtest. ``segments``: a column of ``history`` (e.g. ``abc_xyz``), a frame with
    ``sku`` (and optionally ``warehouse_id``) and ``segment``, a mapping sku -> segment, or ``None``
    for the demand pattern (SBC class) of each series at each origin."""
    cfg = config or ForecastConfig()
    bt = backtest_config or BacktestConfig()
    rc = cfg.resolved(freq)
    # a new frame sharing history's columns (copy-on-write), not a copy of 20M rows
    hist = history.assign(**{DATE_COL: pd.to_datetime(history[DATE_COL]).dt.normalize()})
    drivers, _ = driver_columns(hist)
    rows: list[pd.DataFrame] = []
    seconds: dict[str, float] = {}
    for origin in origins_for(hist, horizon, freq, bt.n_origins, bt.step):
        past = hist[hist[DATE_COL] <= origin]
        end = origin + pd.Timedelta(days=horizon * rc.step_days)
        window = hist[(hist[DATE_COL] > origin) & (hist[DATE_COL] <= end)]
        future = window[[*ID_COLS, DATE_COL, *drivers]] if drivers else None
        runs = {MODEL: lambda p=past, f=future: fit_predict(p, horizon, freq, f, cfg)}
        for name in bt.baselines:
            if name == "seasonal_naive":
                runs[name] = lambda p=past: seasonal_naive(p, horizon, freq)
            elif name == "ma":
                runs[name] = lambda p=past: moving_average(p, horizon, freq, bt.ma_window)
            else:
                runs[name] = lambda p=past, m=name: croston_forecast(p, horizon, freq, m, cfg)
        truth = actuals(past, window, horizon, rc.step_days, cfg.missing_as_zero, origin)
        scales = series_scales(past, rc.season, freq, cfg)
        seg = segment_of(past, segments, cfg, freq)
        for name, run in runs.items():
            t0 = time.perf_counter()
            fc = run()
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
            if "p90" not in fc.columns:
                fc = fc.assign(p90=np.nan)
            fc = fc.merge(truth, on=[*ID_COLS, DATE_COL], how="inner")
            fc = fc.merge(scales, on=list(ID_COLS), how="left").merge(seg, on=list(ID_COLS), how="left")
            fc["method"], fc["origin"] = name, origin
            rows.append(fc)
    forecasts = pd.concat(rows, ignore_index=True)
    forecasts["segment"] = forecasts["segment"].fillna("unknown").astype(str)
    forecasts["series"] = series_labels(forecasts)
    forecasts["horizon_bucket"] = _bucket(forecasts["h"].to_numpy(), freq)
    metrics = summarise(forecasts, ["method"])
    by_segment = summarise(forecasts, ["method", "segment"])
    by_horizon = summarise(forecasts, ["method", "horizon_bucket"])
    return BacktestResult(
        forecasts, metrics, by_segment, by_horizon, value_added(metrics, by_segment), seconds
    )


def series_labels(frame: pd.DataFrame) -> pd.Categorical:
    """``sku|warehouse_id`` of each row as a categorical (categories in text order): one string per
    series, not one per row of the backtest's long frame (tens of millions at M5)."""
    codes, pairs = pd.factorize(pd.MultiIndex.from_frame(frame[list(ID_COLS)]))
    text = pairs.get_level_values(0).astype(str) + "|" + pairs.get_level_values(1).astype(str)
    label_codes, labels = pd.factorize(np.asarray(text, dtype=object), sort=True)
    return pd.Categorical.from_codes(label_codes[codes], categories=pd.Index(labels, dtype="str"))


def _bucket(h: np.ndarray, freq: str) -> np.ndarray:
    """Horizon bucket label of each row (the rows share a few string objects)."""
    values, inverse = np.unique(h, return_inverse=True)
    if freq == "D":
        week = (values - 1) // 7
        labels = [f"d{7 * w + 1:02d}-{7 * w + 7:02d}" for w in week]
    else:
        labels = [f"w{int(x):02d}" for x in values]
    return np.array(labels, dtype=object)[inverse.reshape(-1)]


def actuals(
    past: pd.DataFrame, window: pd.DataFrame, horizon: int, step_days: int, missing_as_zero: bool, origin
) -> pd.DataFrame:
    """Actual demand of every series known at the origin over the horizon; stockout periods dropped."""
    keys = past[list(ID_COLS)].drop_duplicates()
    h = np.arange(1, horizon + 1)
    grid = keys.loc[keys.index.repeat(horizon)].reset_index(drop=True)
    grid["h"] = np.tile(h, len(keys))
    grid[DATE_COL] = origin + pd.to_timedelta(grid["h"] * step_days, unit="D")
    cols = [*ID_COLS, DATE_COL, TARGET_COL] + ([STOCKOUT_COL] if STOCKOUT_COL in window.columns else [])
    w = (
        window[cols]
        .groupby([*ID_COLS, DATE_COL], as_index=False, observed=True)
        .agg({TARGET_COL: "sum", **({STOCKOUT_COL: "max"} if STOCKOUT_COL in cols else {})})
    )
    out = grid.merge(w, on=[*ID_COLS, DATE_COL], how="left")
    out["y"] = out[TARGET_COL].fillna(0.0 if missing_as_zero else np.nan).clip(lower=0.0)
    keep = out["y"].notna()
    if STOCKOUT_COL in out.columns:
        keep &= ~out[STOCKOUT_COL].fillna(False).astype(bool)
    return out.loc[keep, [*ID_COLS, DATE_COL, "h", "y"]]


def series_scales(past: pd.DataFrame, season: int, freq: str, cfg: ForecastConfig) -> pd.DataFrame:
    """In-sample MASE (seasonal difference) and RMSSE (first difference) scales per series."""
    rc = cfg.resolved(freq)
    panel = build_panel(past[[*ID_COLS, DATE_COL, TARGET_COL]], rc)
    y = np.nan_to_num(panel.y)
    out = panel.keys[list(ID_COLS)].copy()
    for name, lag, power in (("mase_scale", season, 1), ("rmsse_scale", 1, 2)):
        j = np.arange(len(y))
        ok = (j - lag) >= panel.offset[panel.sid]
        d = np.abs(y[ok] - y[j[ok] - lag]) ** power
        s = np.bincount(panel.sid[ok], weights=d, minlength=panel.n_series)
        n = np.bincount(panel.sid[ok], minlength=panel.n_series)
        out[name] = np.where(n > 0, s / np.maximum(n, 1), np.nan)
    return out


def segment_of(past: pd.DataFrame, segments, cfg: ForecastConfig, freq: str) -> pd.DataFrame:
    if segments is None:
        pat = demand_patterns(past[[*ID_COLS, DATE_COL, TARGET_COL]], cfg.resolved(freq))
        return pat[[*ID_COLS, "pattern"]].rename(columns={"pattern": "segment"})
    if isinstance(segments, str):
        return (
            past.groupby(list(ID_COLS), as_index=False, observed=True)[segments]
            .last()
            .rename(columns={segments: "segment"})
        )
    if isinstance(segments, pd.DataFrame):
        on = [c for c in ID_COLS if c in segments.columns]
        keys = past[list(ID_COLS)].drop_duplicates()
        return keys.merge(segments[[*on, "segment"]].drop_duplicates(on), on=on, how="left")
    keys = past[list(ID_COLS)].drop_duplicates()
    return keys.assign(segment=keys["sku"].map(dict(segments)))


def value_added(metrics: pd.DataFrame, by_segment: pd.DataFrame) -> pd.DataFrame:
    """FVA of the model over each baseline: WAPE points saved and relative WAPE reduction."""
    rows = []
    for scope, frame, keys in (("all", metrics, []), ("segment", by_segment, ["segment"])):
        model = frame[frame["method"] == MODEL].set_index(keys or ["method"])["wape"]
        for method in frame["method"].unique():
            if method == MODEL:
                continue
            base = frame[frame["method"] == method].set_index(keys or ["method"])["wape"]
            if not keys:
                model_w, base_w = float(model.iloc[0]), float(base.iloc[0])
                rows.append(
                    {
                        "scope": scope,
                        "segment": "all",
                        "baseline": method,
                        "wape_baseline": base_w,
                        "wape_model": model_w,
                    }
                )
                continue
            for seg, base_w in base.items():
                rows.append(
                    {
                        "scope": scope,
                        "segment": seg,
                        "baseline": method,
                        "wape_baseline": base_w,
                        "wape_model": float(model.get(seg, np.nan)),
                    }
                )
    out = pd.DataFrame(rows)
    out["fva_points"] = out["wape_baseline"] - out["wape_model"]
    out["fva_pct"] = out["fva_points"] / out["wape_baseline"]
    return out
