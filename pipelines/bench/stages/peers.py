"""The forecast peer stages: the forecaster's input cut into a training window and one holdout, then
each method (ours, seasonal naive, statsforecast's intermittent models, mlforecast's LightGBM) fitted
and scored on it."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

from pipelines.bench.stages.home import bench_settings

HOLDOUT = {"train": "train.parquet", "future": "future.parquet", "truth": "truth.parquet"}


def prepare_holdout(home: str, data_dir: str) -> dict:
    """The forecaster's input as the refresh reads it (``demand_history``), history_days + horizon long;
    the last ``horizon`` days become the holdout that every method forecasts from the same origin."""
    import pandas as pd

    from models_ml.backtest import actuals, series_scales
    from models_ml.config import ForecastConfig
    from pipelines.forecast.forecasting import demand_history
    from pipelines.warehouse import connection as warehouse

    settings = bench_settings(Path(home))
    horizon = settings.forecast_horizon_days
    with warehouse.connect(settings.warehouse_path, read_only=True) as conn:
        demand = demand_history(conn, horizon, settings.forecast_history_days + horizon)
    hist = demand.history
    hist["date"] = pd.to_datetime(hist["date"])
    origin = hist["date"].max() - pd.Timedelta(days=horizon)
    train, window = hist[hist["date"] <= origin], hist[hist["date"] > origin]
    # what the refresh knows of the horizon: planned promotions (as demand_history's `future`); prices are
    # known only on days with sales, so they are not passed (fit_predict carries the last one forward)
    planned = [c for c in ("is_on_promotion", "discount_pct") if c in hist.columns]
    future = window[["sku", "warehouse_id", "date", *planned]]
    truth = actuals(train, window, horizon, 1, True, origin)
    scales = series_scales(train, 7, "D", ForecastConfig())
    truth = truth.merge(scales, on=["sku", "warehouse_id"], how="left")
    out = Path(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    train.to_parquet(out / HOLDOUT["train"], index=False)
    future.to_parquet(out / HOLDOUT["future"], index=False)
    truth.to_parquet(out / HOLDOUT["truth"], index=False)
    return {
        "rows": len(train),
        "rows_what": "training SKU-wh-days",
        "detail": {
            "origin": str(origin.date()),
            "train_days": int(train["date"].nunique()),
            "series": int(train[["sku", "warehouse_id"]].drop_duplicates().shape[0]),
            "holdout_rows": len(truth),
            "holdout_zero_share": float((truth["y"] == 0).mean()),
        },
    }


STATSFORECAST = ("ADIDA", "CrostonClassic", "CrostonSBA", "CrostonOptimized", "TSB", "IMAPA")
PEERS = ("stockflow", "seasonal_naive", *STATSFORECAST, "mlforecast_lgbm")


def peer_family(method: str) -> str:
    if method == "stockflow":
        return "ours (models_ml.fit_predict)"
    if method == "seasonal_naive":
        return "baseline"
    if method in STATSFORECAST:
        return "statsforecast"
    return "mlforecast"


def _statsforecast(train, method: str, horizon: int):
    import statsforecast.models as sm
    from statsforecast import StatsForecast

    model = sm.TSB(alpha_d=0.2, alpha_p=0.2) if method == "TSB" else getattr(sm, method)()
    df = train.assign(unique_id=train["sku"].astype(str) + "|" + train["warehouse_id"].astype(str))
    df = df.rename(columns={"date": "ds", "qty": "y"})[["unique_id", "ds", "y"]]
    fc = StatsForecast(models=[model], freq="D", n_jobs=1).forecast(df=df, h=horizon)
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
    ids = fc["unique_id"].str.split("|", n=1, expand=True)
    return fc.assign(sku=ids[0], warehouse_id=ids[1], date=fc["ds"], p50=fc[col])


def _mlforecast(train, horizon: int, threads: int):
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    df = train.assign(unique_id=train["sku"].astype(str) + "|" + train["warehouse_id"].astype(str))
    df = df.rename(columns={"date": "ds", "qty": "y"})[["unique_id", "ds", "y"]]
    model = lgb.LGBMRegressor(n_estimators=200, num_threads=threads, verbosity=-1, random_state=0)
    fcst = MLForecast(
        models={"lgbm": model},
        freq="D",
        lags=[7, 14, 28],
        lag_transforms={1: [RollingMean(7), RollingMean(28)], 7: [RollingMean(7), RollingMean(28)]},
        date_features=["dayofweek", "day", "month", "dayofyear"],
        num_threads=1,
    )
    fcst.fit(df, static_features=[])
    fc = fcst.predict(horizon)
    ids = fc["unique_id"].str.split("|", n=1, expand=True)
    return fc.assign(sku=ids[0], warehouse_id=ids[1], date=fc["ds"], p50=fc["lgbm"].clip(lower=0))


def peer(method: str, data_dir: str, horizon: int, threads: int) -> dict:
    """Fit + predict ``method`` on the prepared training window; WAPE and RMSSE on the holdout.

    Timed: fit and predict only (data loading and scoring are not); peak memory: this process's."""
    import numpy as np
    import pandas as pd

    from models_ml.metrics import summarise

    folder = Path(data_dir)
    train = pd.read_parquet(folder / HOLDOUT["train"])
    truth = pd.read_parquet(folder / HOLDOUT["truth"])
    train["sku"], train["warehouse_id"] = train["sku"].astype(str), train["warehouse_id"].astype(str)
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    if method == "stockflow":
        from models_ml.config import ForecastConfig
        from models_ml.forecast import fit_predict

        future = pd.read_parquet(folder / HOLDOUT["future"])
        fc = fit_predict(train, horizon, "D", future, ForecastConfig(num_threads=threads, include_mean=True))
    elif method == "seasonal_naive":
        from models_ml.forecast import seasonal_naive

        fc = seasonal_naive(train, horizon, "D")
    elif method in STATSFORECAST:
        fc = _statsforecast(train, method, horizon)
    elif method == "mlforecast_lgbm":
        fc = _mlforecast(train, horizon, threads)
    else:
        raise ValueError(f"unknown peer {method!r}; expected one of {', '.join(PEERS)}")
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kB
    fc = fc[
        [
            "sku",
            "warehouse_id",
            "date",
            "p50",
            *(["p90"] if "p90" in fc else []),
            *(["mean"] if "mean" in fc else []),
        ]
    ]
    fc = fc.assign(date=pd.to_datetime(fc["date"]))
    scored = truth.merge(fc, on=["sku", "warehouse_id", "date"], how="left")
    missing = int(scored["p50"].isna().sum())
    scored["p50"] = scored["p50"].fillna(0.0)
    if "p90" not in scored:
        scored["p90"] = np.nan
    scored["series"] = scored["sku"] + "|" + scored["warehouse_id"]
    m = summarise(scored.assign(all="all"), ["all"]).iloc[0]
    if "mean" in scored:  # our mean column too: plans use it, and RMSSE rewards the mean
        mm = summarise(scored.assign(all="all", p50=scored["mean"].fillna(0.0)), ["all"]).iloc[0]
        extra = {"mean_wape": float(mm["wape"]), "mean_rmsse": float(mm["rmsse"])}
    return {
        "rows": len(train),
        "rows_what": "training SKU-wh-days",
        "detail": {
            "method": method,
            "fit_predict_seconds": seconds,
            "peak_rss_bytes": peak,
            "wape": float(m["wape"]),
            "rmsse": float(m["rmsse"]),
            "mase": float(m["mase"]),
            "bias": float(m["bias"]),
            "holdout_rows": int(m["n"]),
            "forecast_rows_missing": missing,
            **extra,
        },
    }
