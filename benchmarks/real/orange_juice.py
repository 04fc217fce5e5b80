"""Dominick's orange juice under Microsoft's TSPerf protocol ``OrangeJuice_Pt_3Weeks_Weekly``.

The data: the ``orangeJuice`` data set of the R package bayesm (Rossi; GPL >= 2), table ``yx``: weekly
log unit sales (``logmove``) of 11 refrigerated orange-juice brands in 83 Dominick's Finer Foods stores
(Chicago), weeks 40-160, with the shelf price of every brand (``price1`` .. ``price11``), and the
brand's ``deal`` (in-store promotion) and ``feat`` (feature advertisement) flags. It is read from the
Debian package ``r-cran-bayesm`` (``/usr/lib/R/site-library/bayesm/data/orangeJuice.rda``) with
``Rscript`` and cached as CSV; ``make bench-real`` installs the package.

The protocol (TSPerf ``retail_sales/OrangeJuice_Pt_3Weeks_Weekly``, kept in the microsoft/forecasting
repository's history under ``contrib/tsperf``): 12 rounds; round r (1..12) trains on weeks
40 .. 135 + 2(r - 1) and is scored on weeks 137 + 2(r - 1) and 138 + 2(r - 1) (the 2nd and 3rd week after
the training data: a one-week gap). Prices, deals and features of the forecast weeks are known. Units
are ``round(exp(logmove))``, predictions are rounded to whole units, and the score is the MAPE over every
(store, brand, week) of the test weeks that has a row in ``yx``, all rounds pooled. Published results
(TSPerf leaderboard): LightGBM 36.28%, DilatedCNN 37.09%, RNN 37.68%, MeanForecast 70.74%, ARIMA 70.80%,
ETS 70.99%, naive 109.67%, seasonal naive 165.06%.

The naive baseline is TSPerf's own: the weeks 40..end of every store x brand are completed, ``logmove``
filled forward (then backward), and the last value repeated; this harness must print 109.67% for it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

RDA_PATH = Path("/usr/lib/R/site-library/bayesm/data/orangeJuice.rda")
DEBIAN_PACKAGE = "r-cran-bayesm"
FIRST_WEEK_START = pd.Timestamp("1989-09-14")  # week 1 of Dominick's data starts on this Thursday
TRAIN_START_WEEK = 40
N_ROUNDS = 12
PRICE_COLS = [f"price{b}" for b in range(1, 12)]
PUBLISHED_MAPE = {
    "LightGBM": 36.28,
    "DilatedCNN": 37.09,
    "RNN": 37.68,
    "MeanForecast": 70.74,
    "ARIMA": 70.80,
    "ETS": 70.99,
    "naive": 109.67,
    "SeasonalNaive": 165.06,
}


@dataclass(frozen=True)
class Round:
    number: int  # 1..12
    train_end: int  # last training week
    test_weeks: tuple[int, int]  # scored weeks (the 2nd and 3rd after train_end)
    horizon: int = 3  # weeks forecast after train_end (the first is the gap)


ROUNDS = tuple(
    Round(r, 135 + 2 * (r - 1), (137 + 2 * (r - 1), 138 + 2 * (r - 1))) for r in range(1, N_ROUNDS + 1)
)


def week_end(week: pd.Series | np.ndarray | int) -> pd.Series:
    """The last day of Dominick's week ``week`` (a weekly date labels the 7 days ending on it)."""
    return FIRST_WEEK_START + pd.to_timedelta((np.asarray(week) - 1) * 7 + 6, unit="D")


def load_yx(cache_dir: Path) -> pd.DataFrame:
    """The ``yx`` table: store, brand, week, logmove, price1..price11, deal, feat (cached as CSV)."""
    cache = cache_dir / "orange_juice_yx.csv"
    if not cache.exists():
        if not RDA_PATH.exists():
            raise FileNotFoundError(
                f"{RDA_PATH} not found: install the Debian package {DEBIAN_PACKAGE} "
                f"(apt-get install -y --no-install-recommends {DEBIAN_PACKAGE}; `make bench-real` does it)"
            )
        if shutil.which("Rscript") is None:
            raise FileNotFoundError(
                "Rscript not found: it comes with r-base-core, a dependency of r-cran-bayesm"
            )
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        script = f'load("{RDA_PATH}"); write.csv(orangeJuice$yx, "{tmp}", row.names=FALSE)'
        subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
        tmp.replace(cache)
    yx = pd.read_csv(cache)
    yx = yx.drop(columns=["constant", "profit"], errors="ignore")
    yx["units"] = np.round(np.exp(yx["logmove"])).astype(np.int64)
    return yx


def history_frame(yx: pd.DataFrame, own_price: bool = True, all_prices: bool = False) -> pd.DataFrame:
    """``fit_predict``'s long frame: sku (brand), warehouse_id (store), date (week end), qty and the drivers
    deal, feat, the brand's own ``price`` and optionally every brand's price (``price1`` .. ``price11``)."""
    out = pd.DataFrame(
        {
            "sku": "brand" + yx["brand"].astype(str).str.zfill(2),
            "warehouse_id": "store" + yx["store"].astype(str).str.zfill(3),
            "date": week_end(yx["week"].to_numpy()),
            "qty": yx["units"].astype(np.float64),
        }
    )
    if own_price:
        prices = yx[PRICE_COLS].to_numpy()
        out["price"] = prices[np.arange(len(yx)), yx["brand"].to_numpy() - 1]
    out["deal"] = yx["deal"].astype(np.float64)
    out["feat"] = yx["feat"].astype(np.float64)
    if all_prices:
        for c in PRICE_COLS:
            out[c] = yx[c].to_numpy()
    out["week"] = yx["week"].to_numpy()
    return out


def naive_tsperf(yx: pd.DataFrame, rnd: Round) -> pd.DataFrame:
    """TSPerf's naive baseline: complete weeks 40..train_end, fill logmove forward then backward, repeat
    the last value; predictions ``round(exp(logmove))``."""
    train = yx[yx["week"] <= rnd.train_end]
    stores, brands = train["store"].unique(), train["brand"].unique()
    grid = pd.MultiIndex.from_product(
        [stores, brands, range(TRAIN_START_WEEK, rnd.train_end + 1)], names=["store", "brand", "week"]
    ).to_frame(index=False)
    filled = grid.merge(
        train[["store", "brand", "week", "logmove"]], how="left", on=["store", "brand", "week"]
    )
    filled = filled.sort_values(["store", "brand", "week"])
    g = filled.groupby(["store", "brand"])["logmove"]
    filled["logmove"] = g.ffill()
    filled["logmove"] = filled.groupby(["store", "brand"])["logmove"].bfill()
    last = filled.groupby(["store", "brand"], as_index=False).last()
    rows = [last.assign(week=w) for w in rnd.test_weeks]
    out = pd.concat(rows, ignore_index=True)
    out["prediction"] = np.round(np.exp(out["logmove"]))
    return out[["store", "brand", "week", "prediction"]]


Forecaster = Callable[[pd.DataFrame, Round], pd.DataFrame]


def score(yx: pd.DataFrame, predictions: pd.DataFrame) -> dict[str, float]:
    """TSPerf's MAPE (percent) of ``prediction`` (rounded) on every test row present in ``yx``; also the
    MAPE per round and the number of rows."""
    test = pd.concat(
        [yx[yx["week"].isin(r.test_weeks)].assign(round=r.number) for r in ROUNDS], ignore_index=True
    )
    m = test[["round", "store", "brand", "week", "units"]].merge(
        predictions, on=["round", "store", "brand", "week"], how="left"
    )
    missing = int(m["prediction"].isna().sum())
    if missing:
        raise ValueError(f"{missing} scored rows have no prediction")
    ape = (np.round(m["prediction"]) - m["units"]).abs() / m["units"]
    return {
        "mape": float(ape.mean() * 100),
        "rows": int(len(m)),
        "by_round": {int(k): float(v * 100) for k, v in ape.groupby(m["round"]).mean().items()},
    }


def run(yx: pd.DataFrame, forecaster: Forecaster) -> pd.DataFrame:
    """The forecaster's predictions for every round: round, store, brand, week, prediction (+ extra columns)."""
    parts = []
    for rnd in ROUNDS:
        pred = forecaster(yx, rnd)
        parts.append(pred[pred["week"].isin(rnd.test_weeks)].assign(round=rnd.number))
    return pd.concat(parts, ignore_index=True)


def stockflow(config=None, columns: tuple[str, ...] = ("p50",), all_prices: bool = False) -> Forecaster:
    """``fit_predict(history, horizon=3, freq="W", future=...)`` per round: history = weeks up to the
    round's training end, future = the drivers of the three forecast weeks (as TSPerf allows)."""
    from models_ml.forecast import fit_predict

    def forecast(yx: pd.DataFrame, rnd: Round) -> pd.DataFrame:
        frame = history_frame(yx, all_prices=all_prices)
        hist = frame[frame["week"] <= rnd.train_end].drop(columns="week")
        fut = frame[(frame["week"] > rnd.train_end) & (frame["week"] <= rnd.train_end + rnd.horizon)]
        fut = fut.drop(columns=["week", "qty"])
        fc = fit_predict(hist, rnd.horizon, "W", future=fut, config=config)
        fc["store"] = fc["warehouse_id"].str.removeprefix("store").astype(int)
        fc["brand"] = fc["sku"].str.removeprefix("brand").astype(int)
        fc["week"] = ((fc["date"] - FIRST_WEEK_START).dt.days - 6) // 7 + 1
        fc["prediction"] = fc[columns[0]]
        return fc[
            [
                "store",
                "brand",
                "week",
                "prediction",
                *[c for c in fc.columns if c.startswith("p") and c != "prediction"],
                *(["mean"] if "mean" in fc else []),
            ]
        ]

    return forecast
