"""Feature building for the global demand model: a dense panel, origin features, target features.

Everything is vectorised over all series (numpy arrays plus cumulative sums), with no per-series
Python loop, so that M5-sized panels (30k series) stay feasible.

The model is *direct and horizon-aware*: a training row is a pair (origin o, horizon h) of one series.
Its features are

- origin features, computed from the series **up to and including o** only (lags, rolling means,
  standard deviation, share of non-zero periods, periods since the last sale, demand pattern,
  usual price): ``origin_features``;
- target features of the period o + h: horizon, calendar and Chinese holidays of the target date,
  the "same weekday" and "same week last year" values that lie at or before o, drivers (price,
  price relative to the usual price at o, promotion flags) of the target period: ``target_features``.

So nothing after the origin can reach a feature, for any horizon; the same code builds the training
rows (o = t - h for observed periods t) and the forecast rows (o = the forecast origin).

Censored periods (``is_stockout``) are not demand observations: the target is missing there, and for
the features the period's value is imputed by the in-stock mean of the periods before it.

The modules, from the bottom up (each imports only those above it in this list, at run time):

- ``window_sums``: what the rolling features sum and the sum over a window (cumulative sums);
- ``panel``: the ``Panel``, the history's column names, period numbers, batches of whole series;
- ``calendar``: calendar and holiday features of dates and periods;
- ``drivers``: driver and static columns, carrying drivers forward, location drivers, ``future_drivers``;
- ``prices``: promoted periods, base level, usual price, the series' own price response;
- ``build``: ``build_panel`` (history frame -> ``Panel``) and the imputation of censored periods;
- ``patterns``: SBC demand patterns (ADI, CV²) per row and per series;
- ``origin``: lags and rolling-window features at the origin;
- ``target``: features of the target period;
- ``design``: static codes and the design matrix, batch by batch.

This package is the public surface: import from ``models_ml.features``. It never imports
``models_ml.forecast`` (the model builds on the features, not the reverse), nor dagster, duckdb, dbt,
pipelines or benchmarks.
"""

from __future__ import annotations

from models_ml.features.build import (
    UNRECORDED,
    build_panel,
    impute_censored,
    validate_history,
)
from models_ml.features.calendar import (
    SPRING_FESTIVAL,
    YEARLY_CALENDAR,
    YEARLY_CALENDAR_MIN_YEARS,
    calendar_table,
    daily_calendar,
    public_holidays,
    spring_festivals,
)
from models_ml.features.design import design_batches, design_matrix, static_features
from models_ml.features.drivers import (
    FutureDriverWarning,
    driver_columns,
    fill_within_series,
    future_drivers,
    location_drivers,
)
from models_ml.features.origin import origin_features
from models_ml.features.panel import (
    BATCH_ROWS,
    DATE_COL,
    ID_COLS,
    STOCKOUT_COL,
    TARGET_COL,
    Panel,
    batched_rows,
    by_batch,
    period_index,
    series_batch_bounds,
)
from models_ml.features.patterns import (
    ADI_CUT,
    CV2_CUT,
    PATTERNS,
    classify,
    demand_patterns,
    pattern_stats,
    series_patterns,
)
from models_ml.features.prices import (
    PRICE_RESPONSE_MIN_ROWS,
    PRICE_RESPONSE_RIDGE,
    PROMO_PRICE_CUT,
    base_levels,
    price_levels,
    price_response,
    promoted_periods,
)
from models_ml.features.target import target_features
from models_ml.features.window_sums import cumulative_inputs

__all__ = [
    "ADI_CUT",
    "BATCH_ROWS",
    "CV2_CUT",
    "DATE_COL",
    "ID_COLS",
    "PATTERNS",
    "PRICE_RESPONSE_MIN_ROWS",
    "PRICE_RESPONSE_RIDGE",
    "PROMO_PRICE_CUT",
    "SPRING_FESTIVAL",
    "STOCKOUT_COL",
    "TARGET_COL",
    "UNRECORDED",
    "YEARLY_CALENDAR",
    "YEARLY_CALENDAR_MIN_YEARS",
    "FutureDriverWarning",
    "Panel",
    "base_levels",
    "batched_rows",
    "build_panel",
    "by_batch",
    "calendar_table",
    "classify",
    "cumulative_inputs",
    "daily_calendar",
    "demand_patterns",
    "design_batches",
    "design_matrix",
    "driver_columns",
    "fill_within_series",
    "future_drivers",
    "impute_censored",
    "location_drivers",
    "origin_features",
    "pattern_stats",
    "period_index",
    "price_levels",
    "price_response",
    "promoted_periods",
    "public_holidays",
    "series_batch_bounds",
    "series_patterns",
    "spring_festivals",
    "static_features",
    "target_features",
    "validate_history",
]
