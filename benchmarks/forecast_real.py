"""Forecaster benchmarks on real public demand: Stockflow's ``fit_predict`` beside published results and
beside statsforecast / mlforecast baselines fitted in the same run.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python benchmarks/forecast_real.py [--sets oj,uci] [--skip-peers]
    stockflow bench --real          # the same, from the CLI; make bench-real installs the data first

Sets (sources and licences in each module's docstring and in docs/benchmarks-real.md):
- ``oj``: Dominick's orange juice, TSPerf ``OrangeJuice_Pt_3Weeks_Weekly`` protocol
  (``benchmarks/real/orange_juice.py``), scored by MAPE like the published leaderboard;
- ``uci``: UCI Sales Transactions Weekly (``benchmarks/real/uci_weekly.py``), WAPE / MASE / RMSSE.

Prints tables and writes ``benchmarks/results/<date>-real.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.real import orange_juice as oj  # noqa: E402
from benchmarks.real import uci_weekly as uci  # noqa: E402
from models_ml.config import ForecastConfig  # noqa: E402
from models_ml.forecast import fit_predict  # noqa: E402

THREADS = int(os.environ.get("STOCKFLOW_FORECAST_THREADS", "2"))
QUANTILES = (0.1, 0.5, 0.9)
# the model settings for weekly store x item panels, the same for both sets: more, smaller steps than the
# defaults (which were set on daily intermittent demand, where the log target does not apply)
WEEKLY_MODEL = {"n_estimators": 400, "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50}


def _coverage(y: np.ndarray, frame: pd.DataFrame) -> dict[str, float]:
    return {c: float(np.mean(y <= frame[c].to_numpy())) for c in ("p10", "p50", "p90") if c in frame}


# ------------------------------------------------------------------------------------- orange juice


def oj_stockflow(yx: pd.DataFrame, config: ForecastConfig) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # a store x brand without a row in a forecast week carries its drivers
        pred = oj.run(yx, oj.stockflow(config, all_prices=True))
    return pred, time.perf_counter() - t0


def _oj_grid(yx: pd.DataFrame, last_week: int) -> pd.DataFrame:
    """Every store x brand over weeks 40..last_week, units and drivers filled forward then backward (as
    TSPerf's own baselines complete the series)."""
    frame = oj.history_frame(yx, all_prices=True)
    frame = frame[frame["week"] <= last_week]
    keys = frame[["sku", "warehouse_id"]].drop_duplicates()
    weeks = pd.DataFrame({"week": range(oj.TRAIN_START_WEEK, last_week + 1)})
    grid = keys.merge(weeks, how="cross").merge(frame, on=["sku", "warehouse_id", "week"], how="left")
    grid = grid.sort_values(["sku", "warehouse_id", "week"], ignore_index=True)
    cols = ["qty", "price", "deal", "feat", *oj.PRICE_COLS]
    grid[cols] = grid.groupby(["sku", "warehouse_id"])[cols].ffill()
    grid[cols] = grid.groupby(["sku", "warehouse_id"])[cols].bfill()
    grid["unique_id"] = grid["warehouse_id"] + "|" + grid["sku"]
    return grid


def _oj_keys(out: pd.DataFrame, week_col: str = "week") -> pd.DataFrame:
    parts = out["unique_id"].astype(str).str.split("|", expand=True)
    out["store"] = parts[0].str.removeprefix("store").astype(int)
    out["brand"] = parts[1].str.removeprefix("brand").astype(int)
    out["week"] = out[week_col].astype(int)
    return out


def oj_statsforecast(yx: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """AutoETS per store x brand on units (no drivers), as TSPerf's ETS entry."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    t0 = time.perf_counter()
    parts = []
    for rnd in oj.ROUNDS:
        grid = _oj_grid(yx, rnd.train_end)
        df = grid.rename(columns={"week": "ds", "qty": "y"})[["unique_id", "ds", "y"]]
        fc = StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1).forecast(df=df, h=rnd.horizon)
        fc = _oj_keys(fc.reset_index() if "unique_id" not in fc else fc, "ds")
        fc["prediction"] = fc["AutoETS"].clip(lower=0)
        parts.append(fc[fc["week"].isin(rnd.test_weeks)].assign(round=rnd.number))
    return pd.concat(parts, ignore_index=True), time.perf_counter() - t0


def oj_mlforecast(yx: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """mlforecast LightGBM on log units: lags 1-4 and 52, rolling means, the drivers (own price, every
    brand's price, deal, feat: what Stockflow gets) of the target week as exogenous features, store and
    brand static, recursive over the 3 weeks."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.target_transforms import GlobalSklearnTransformer
    from sklearn.preprocessing import FunctionTransformer

    t0 = time.perf_counter()
    parts = []
    for rnd in oj.ROUNDS:
        grid = _oj_grid(yx, rnd.train_end + rnd.horizon)
        grid["store"] = grid["warehouse_id"].astype("category")
        grid["brand"] = grid["sku"].astype("category")
        df = grid.rename(columns={"week": "ds", "qty": "y"})
        exog = ["price", "deal", "feat", *oj.PRICE_COLS]
        train = df[df["ds"] <= rnd.train_end][["unique_id", "ds", "y", *exog, "store", "brand"]]
        future = df[df["ds"] > rnd.train_end][["unique_id", "ds", *exog]]
        log = GlobalSklearnTransformer(FunctionTransformer(func=np.log1p, inverse_func=np.expm1))
        model = lgb.LGBMRegressor(
            n_estimators=300, learning_rate=0.05, num_leaves=63, verbose=-1, n_jobs=THREADS
        )
        mlf = MLForecast(
            models={"lgbm": model},
            freq=1,
            lags=[1, 2, 3, 4, 52],
            lag_transforms={1: [RollingMean(4), RollingMean(13)]},
            target_transforms=[log],
        )
        mlf.fit(train, static_features=["store", "brand"])
        fc = _oj_keys(mlf.predict(h=rnd.horizon, X_df=future), "ds")
        fc["prediction"] = fc["lgbm"].clip(lower=0)
        parts.append(fc[fc["week"].isin(rnd.test_weeks)].assign(round=rnd.number))
    return pd.concat(parts, ignore_index=True), time.perf_counter() - t0


def run_orange_juice(cache: Path, peers: bool) -> dict:
    yx = oj.load_yx(cache)
    out: dict = {"set": "Dominick's orange juice, TSPerf OrangeJuice_Pt_3Weeks_Weekly", "metric": "MAPE %"}
    rows = {}
    naive = oj.run(yx, oj.naive_tsperf)
    rows["naive (TSPerf, harness check)"] = {"mape": oj.score(yx, naive)["mape"], "seconds": None}
    config = ForecastConfig(
        quantiles=QUANTILES,
        include_mean=True,
        holiday_country="US",
        num_threads=THREADS,
        point_metric="mape",
        **WEEKLY_MODEL,
    )
    pred, secs = oj_stockflow(yx, config)
    test = pd.concat([yx[yx["week"].isin(r.test_weeks)].assign(round=r.number) for r in oj.ROUNDS])
    m = test[["round", "store", "brand", "week", "units"]].merge(pred, on=["round", "store", "brand", "week"])
    y = m["units"].to_numpy(dtype=float)
    for col in ("point", "p50", "mean"):
        rows[f"stockflow fit_predict {col}"] = {
            "mape": oj.score(yx, pred.assign(prediction=pred[col]))["mape"],
            "seconds": secs,
        }
    out["stockflow_calibration"] = {
        "coverage": _coverage(y, m),
        "mean_bias": float(m["mean"].sum() / y.sum() - 1),
        "p50_bias": float(m["p50"].sum() / y.sum() - 1),
    }
    if peers:
        for name, fn in (("statsforecast AutoETS", oj_statsforecast), ("mlforecast LightGBM", oj_mlforecast)):
            try:
                p, s = fn(yx)
                rows[name] = {"mape": oj.score(yx, p)["mape"], "seconds": s}
            except Exception as exc:  # a peer's failure is reported, not fatal to the benchmark
                rows[name] = {"error": f"{type(exc).__name__}: {exc}", "seconds": None}
    out["results"] = rows
    out["published"] = oj.PUBLISHED_MAPE
    return out


# ----------------------------------------------------------------------------------------- UCI weekly


def _uci_scores(fc: pd.DataFrame, hist: pd.DataFrame, point: str, mean: str) -> dict[str, float]:
    """WAPE of ``point``, MASE and RMSSE of ``mean`` per product (scaled by its in-sample one-week naive
    error up to the origin), averaged over products and origins; bias of ``mean``."""
    scales = []
    for origin in uci.ORIGIN_WEEKS:
        h = hist[hist["week"] <= origin].sort_values(["sku", "week"])
        d = h.groupby("sku")["qty"].diff()
        sc = pd.DataFrame({"sku": h["sku"], "abs": d.abs(), "sq": d**2}).groupby("sku").mean()
        scales.append(sc.assign(origin=origin).reset_index())
    scale = pd.concat(scales)
    m = fc.merge(scale, on=["sku", "origin"])
    err = m.assign(ae=(m[mean] - m["qty"]).abs(), se=(m[mean] - m["qty"]) ** 2)
    per = err.groupby(["sku", "origin"]).agg(
        ae=("ae", "mean"), se=("se", "mean"), a=("abs", "first"), s=("sq", "first")
    )
    per = per[(per["a"] > 0) & (per["s"] > 0)]
    return {
        "wape": float((m[point] - m["qty"]).abs().sum() / m["qty"].sum()),
        "mase": float((per["ae"] / per["a"]).mean()),
        "rmsse": float(np.sqrt(per["se"] / per["s"]).mean()),
        "bias": float(m[mean].sum() / m["qty"].sum() - 1),
    }


def run_uci(peers: bool) -> dict:
    hist = uci.load()
    truth = hist[["sku", "week", "qty"]]
    config = ForecastConfig(quantiles=QUANTILES, include_mean=True, num_threads=THREADS, **WEEKLY_MODEL)
    parts, t0 = [], time.perf_counter()
    for origin in uci.ORIGIN_WEEKS:
        past = hist[hist["week"] <= origin].drop(columns="week")
        fc = fit_predict(past, uci.HORIZON, "W", config=config)
        fc["week"] = ((fc["date"] - uci.FIRST_WEEK_END).dt.days // 7).astype(int)
        parts.append(fc.assign(origin=origin))
    secs = time.perf_counter() - t0
    ours = pd.concat(parts).merge(truth, on=["sku", "week"])
    rows = {"stockflow fit_predict (p50 / mean)": {**_uci_scores(ours, hist, "p50", "mean"), "seconds": secs}}
    calib = {"coverage": _coverage(ours["qty"].to_numpy(), ours)}
    if peers:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, CrostonSBA, Naive, WindowAverage

        models = [AutoETS(season_length=1), CrostonSBA(), Naive(), WindowAverage(window_size=13)]
        sf_parts, t0 = [], time.perf_counter()
        for origin in uci.ORIGIN_WEEKS:
            df = hist[hist["week"] <= origin].rename(columns={"sku": "unique_id", "week": "ds", "qty": "y"})
            fc = StatsForecast(models=models, freq=1, n_jobs=1).forecast(
                df=df[["unique_id", "ds", "y"]], h=uci.HORIZON
            )
            sf_parts.append(fc.rename(columns={"unique_id": "sku", "ds": "week"}).assign(origin=origin))
        sf = pd.concat(sf_parts).merge(truth, on=["sku", "week"])
        sf_secs = time.perf_counter() - t0
        for col in ("AutoETS", "CrostonSBA", "Naive", "WindowAverage"):
            sf[col] = sf[col].clip(lower=0)
            rows[f"statsforecast {col}"] = {**_uci_scores(sf, hist, col, col), "seconds": sf_secs}
        rows["mlforecast LightGBM"] = uci_mlforecast(hist, truth)
    return {
        "set": "UCI Sales Transactions Weekly",
        "metric": "WAPE of the point forecast; MASE, RMSSE of the mean",
        "results": rows,
        "stockflow_calibration": calib,
    }


def uci_mlforecast(hist: pd.DataFrame, truth: pd.DataFrame) -> dict:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    parts, t0 = [], time.perf_counter()
    for origin in uci.ORIGIN_WEEKS:
        df = hist[hist["week"] <= origin].rename(columns={"sku": "unique_id", "week": "ds", "qty": "y"})
        model = lgb.LGBMRegressor(
            n_estimators=200,
            learning_rate=0.05,
            num_leaves=31,
            objective="tweedie",
            verbose=-1,
            n_jobs=THREADS,
        )
        mlf = MLForecast(
            models={"lgbm": model},
            freq=1,
            lags=[1, 2, 3, 4, 8],
            lag_transforms={1: [RollingMean(4), RollingMean(13)]},
        )
        mlf.fit(df[["unique_id", "ds", "y"]])
        fc = mlf.predict(h=uci.HORIZON).rename(columns={"unique_id": "sku", "ds": "week"})
        parts.append(fc.assign(origin=origin))
    out = pd.concat(parts).merge(truth, on=["sku", "week"])
    out["lgbm"] = out["lgbm"].clip(lower=0)
    return {**_uci_scores(out, hist, "lgbm", "lgbm"), "seconds": time.perf_counter() - t0}


# ------------------------------------------------------------------------------------------- main


def _print(doc: dict) -> None:
    print(f"\n## {doc['set']} ({doc['metric']})\n")
    rows = doc["results"]
    keys = sorted({k for r in rows.values() for k in r if k != "seconds"})
    print("| method | " + " | ".join(keys) + " | seconds |")
    print("|---|" + "---:|" * (len(keys) + 1))
    for name, r in rows.items():
        vals = [f"{r[k]:.4g}" if isinstance(r.get(k), float) else "" for k in keys]
        secs = f"{r['seconds']:.1f}" if r.get("seconds") is not None else ""
        print(f"| {name} | " + " | ".join(vals) + f" | {secs} |")
    if "published" in doc:
        print(
            "\npublished (TSPerf leaderboard, MAPE %): "
            + ", ".join(f"{k} {v}" for k, v in doc["published"].items())
        )
    print("\nStockflow calibration: " + json.dumps(doc["stockflow_calibration"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="oj,uci", help="comma-separated: oj, uci")
    ap.add_argument("--skip-peers", action="store_true", help="Stockflow (and the naive check) only")
    ap.add_argument("--cache", type=Path, default=ROOT / "data" / "real_cache", help="converted data cache")
    ap.add_argument("--results-dir", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)
    docs = {}
    for name in args.sets.split(","):
        doc = (
            run_orange_juice(args.cache, not args.skip_peers)
            if name == "oj"
            else run_uci(not args.skip_peers)
        )
        _print(doc)
        docs[name] = doc
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"{date.today():%Y-%m-%d}-real.json"
    path.write_text(json.dumps({"threads": THREADS, "sets": docs}, indent=2, default=float))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
