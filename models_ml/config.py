"""Settings of the demand forecaster: one frozen dataclass, every field with a default.

Horizon and frequency are arguments of ``fit_predict`` (they change per call); everything here is
independent of them. Where a setting depends on the frequency (lags, windows, season), ``None`` means
"the default for that frequency" and ``ForecastConfig.resolved(freq)`` fills it in.

Never imports: any other part of ``models_ml`` (the forecaster reads its settings from here), nor dagster,
duckdb, dbt, pipelines or benchmarks; settings come as arguments, never from environment variables.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

FREQ_STEP_DAYS = {"D": 1, "W": 7}

_DEFAULTS = {
    # lags at the origin (0 = the origin's own value), rolling windows, season, year, history kept
    "D": {
        "lags": (0, 1, 2, 3, 4, 5, 6, 13),
        "windows": (7, 14, 28, 56, 112, 364),
        "season": 7,
        "year": 364,
        "max_history": 3 * 364,
        "pattern_window": 364,
        "price_window": 91,
        "calibration_days": 28,
    },
    "W": {
        "lags": (0, 1, 2, 3, 7),
        "windows": (4, 8, 13, 26, 52),
        "season": 52,
        "year": 52,
        "max_history": 3 * 52,
        "pattern_window": 52,
        "price_window": 13,
        "calibration_days": 84,
    },
}

INTERMITTENT_METHODS = ("auto", "global", "croston", "sba", "tsb")
TARGET_TRANSFORMS = ("auto", "none", "log")
POINT_METRICS = ("mae", "mape", "mse")


@dataclass(frozen=True)
class ForecastConfig:
    """Forecaster settings; defaults work for daily and weekly retail or wholesale demand."""

    quantiles: tuple[float, ...] = (0.5, 0.9)
    include_mean: bool = False  # add a `mean` column (expected demand) to fit_predict's output
    # features (None -> frequency default, see _DEFAULTS)
    lags: tuple[int, ...] | None = None
    windows: tuple[int, ...] | None = None
    season: int | None = None  # periods in the short season: 7 days, 52 weeks
    max_history: int | None = None  # periods kept before the origin (bounds memory at M5 scale)
    # public holidays of this country (ISO code, `holidays` package) are calendar features; "CN" also
    # adds the Spring Festival, 618 and 双11
    holiday_country: str = "CN"
    # drivers against the other series of the same warehouse and period: price / the location's mean
    # price, share of the location's series on each 0/1 flag (competing prices and promotions)
    location_drivers: bool = True
    # a driver, series or period that `future` does not cover: "carry" the last observed value forward
    # (with a FutureDriverWarning when `future` was given) or "error"
    future_missing: str = "carry"
    # a missing period is a period without sales (False: unknown; None: zero, except under the log
    # target, which is chosen for demand that is almost never zero, where a gap is a gap in the record)
    missing_as_zero: bool | None = None
    # SKU code as a LightGBM categorical feature: True, False, or None = when SKUs are few (at most
    # `sku_category_max_skus`) and each has at least `sku_category_min_periods` observed periods
    sku_as_category: bool | None = None
    sku_category_max_skus: int = 1000
    sku_category_min_periods: int = 5000
    # training rows: (target period, random horizon) pairs per observed period; None: as many as fit
    # in max_train_rows, at most the horizon (1: the nearly identical copies of a target with other
    # horizons let the model overfit small panels: OJ point MAPE 35.7% with 1 against 36.2% with 3)
    horizon_samples: int | None = 1
    max_train_rows: int = 600_000
    # LightGBM (median/mean model)
    objective: str = "tweedie"  # "tweedie" | "poisson" (target_transform "none")
    # "log": the model learns log(1 + demand) with `log_objective` (a level for multiplicative noise;
    # quantiles and the mean from the holdout residuals); "none": demand itself with `objective`;
    # "auto": "log" when at most `log_max_zero_share` of the periods are zero (see docs/forecasting.md)
    target_transform: str = "auto"
    log_max_zero_share: float = 0.1  # auto: the log target when at most this share of periods is zero
    # loss of the log-target model: "l1" (its output is the median of log demand, robust to the
    # promotion spikes no driver explains) or "l2" (the mean of log demand)
    log_objective: str = "l1"
    # the `point` column: the forecast that minimises this error ("mae": the median, "mape": the median
    # weighted by 1/demand, "mse": the mean), scaled per demand pattern on the holdout; None: no column
    point_metric: str | None = None
    tweedie_variance_power: float = 1.2
    n_estimators: int = 200
    learning_rate: float = 0.08
    num_leaves: int = 63
    min_data_in_leaf: int = 100
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0
    num_threads: int = 2
    seed: int = 42
    # quantiles: a negative-binomial (integer data) or gamma distribution around the model's mean,
    # its shape fitted per demand pattern and quantile by pinball loss on a holdout backtest
    calibrate: bool = True
    calibration_estimators: int | None = None  # trees of the holdout model (None: n_estimators)
    # the holdout covers at least this many days, in origins one horizon apart; None: 28 days (one
    # origin for a daily 28-day horizon), 12 weeks for weekly data (four origins for a 3-week horizon)
    calibration_days: int | None = None
    # series with fewer observed periods than this get the mean of what they have
    min_history: int = 1
    # intermittent and lumpy series: "auto" picks per pattern on the holdout between the global
    # model and Croston / SBA / TSB (statsforecast); or force one of them
    intermittent_method: str = "auto"
    tsb_alpha_d: float = 0.1
    tsb_alpha_p: float = 0.1

    def __post_init__(self) -> None:
        if not self.quantiles or any(not 0.0 < q < 1.0 for q in self.quantiles):
            raise ValueError("quantiles must lie strictly between 0 and 1")
        if self.intermittent_method not in INTERMITTENT_METHODS:
            raise ValueError(f"intermittent_method must be one of {INTERMITTENT_METHODS}")
        if self.target_transform not in TARGET_TRANSFORMS:
            raise ValueError(f"target_transform must be one of {TARGET_TRANSFORMS}")
        if self.future_missing not in ("carry", "error"):
            raise ValueError("future_missing must be 'carry' or 'error'")
        if self.point_metric not in (None, *POINT_METRICS):
            raise ValueError(f"point_metric must be None or one of {POINT_METRICS}")
        if self.log_objective not in ("l1", "l2"):
            raise ValueError("log_objective must be 'l1' or 'l2'")
        if self.objective not in ("tweedie", "poisson"):
            raise ValueError("objective must be 'tweedie' or 'poisson'")
        if self.num_threads < 1:
            raise ValueError("num_threads must be at least 1")

    def resolved(self, freq: str) -> ResolvedConfig:
        if freq not in FREQ_STEP_DAYS:
            raise ValueError(f"freq must be one of {tuple(FREQ_STEP_DAYS)}, not {freq!r}")
        d = _DEFAULTS[freq]
        return ResolvedConfig(
            base=self,
            freq=freq,
            step_days=FREQ_STEP_DAYS[freq],
            lags=tuple(self.lags if self.lags is not None else d["lags"]),
            windows=tuple(self.windows if self.windows is not None else d["windows"]),
            season=self.season or d["season"],
            year=d["year"],
            max_history=self.max_history or d["max_history"],
            pattern_window=d["pattern_window"],
            price_window=d["price_window"],
            calibration_days=self.calibration_days or d["calibration_days"],
        )

    def with_(self, **changes: object) -> ForecastConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class ResolvedConfig:
    """A ``ForecastConfig`` with the frequency-dependent settings filled in."""

    base: ForecastConfig
    freq: str
    step_days: int
    lags: tuple[int, ...]
    windows: tuple[int, ...]
    season: int
    year: int
    max_history: int
    pattern_window: int
    price_window: int
    calibration_days: int
