"""Replenishment policy engine: forecast quantiles + stock + supply parameters -> explained order lines.

Pure pandas/numpy/scipy (no Dagster, no DuckDB, no environment variables). Every computation is
vectorised over SKU x warehouse rows; there is no per-row Python loop. See docs/replenishment.md.

Inputs (DataFrames; key columns ``sku``, ``warehouse_id`` are compared as strings)
--------------------------------------------------------------------------------
forecast
    ``sku, warehouse_id, date, p50, p90`` (+ optional ``mean`` and other quantile columns ``pNN``,
    + optional ``sigma`` = daily forecast-error std-dev). One row per series and day, as returned by
    ``models_ml.forecast.fit_predict``. Rows dated before ``as_of`` are ignored. The point forecast is
    ``mean`` when present (medians of intermittent demand are often 0), else ``p50``.
stock
    ``sku, warehouse_id, on_hand_qty`` (+ optional ``unit_cost``). Missing series: on hand 0.
params
    ``sku`` (+ optional ``warehouse_id``: rows with a null/missing warehouse apply to every warehouse of
    the SKU, a row with a warehouse wins), ``supplier_id, lead_time_mean_days, lead_time_std_days,
    lead_time_days, supplier_lead_time_days, moq, pack_size, max_order_qty, review_period_days,
    order_weekdays, abc_class, xyz_class, service_level, status, is_dead_stock, unit_cost``. Every
    column is optional; the fallbacks are listed below.
open_pos
    ``sku, warehouse_id, qty`` (+ optional ``expected_date``). Summed into ``on_order_qty``.
backorders
    ``sku, warehouse_id, qty``. Open customer backorders, summed into ``backorder_qty``.

Fallbacks (missing column or null value)
----------------------------------------
- lead time: ``lead_time_mean_days`` (measured, e.g. fct_supplier_performance) -> ``lead_time_days``
  (item master) -> ``supplier_lead_time_days`` (supplier master) -> ``config.default_lead_time_days``
  (flag ``MISSING_LEAD_TIME_FALLBACK``). Lead-time std: ``lead_time_std_days`` ->
  ``config.default_lead_time_cv`` x lead time (0 by default).
- review period: ``review_period_days`` -> 7 / number of ``order_weekdays`` ("Mon,Wed,Fri") ->
  ``config.default_review_period_days`` (7).
- pack size 1, MOQ 0, no maximum order quantity, status ``active``, not dead stock, unit cost NaN
  (order value NaN).
- ABC / XYZ class: computed from the plan's forecasts (``classes_from_forecast``, flag
  ``CLASS_FROM_FORECAST``); with ``config.missing_class="default"`` the class ``config.default_class``
  ("CZ", flag ``DEFAULT_CLASS``).
- no forecast rows: demand 0 (flag ``NO_FORECAST``); forecast shorter than lead time + review: the
  series' average forecast day fills the missing days (flag ``HORIZON_EXTENDED``).

Output of ``plan_replenishment``: one row per SKU x warehouse, columns in ``PLAN_COLUMNS``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import norm

KEYS = ["sku", "warehouse_id"]

# Decision codes (one per line, column ``reason_code``)
ORDER_BELOW_REORDER_POINT = "ORDER_BELOW_REORDER_POINT"
NO_ORDER_POSITION_SUFFICIENT = "NO_ORDER_POSITION_SUFFICIENT"
NO_ORDER_NO_DEMAND = "NO_ORDER_NO_DEMAND"
NO_ORDER_DEAD_STOCK = "NO_ORDER_DEAD_STOCK"
NO_ORDER_DISCONTINUED = "NO_ORDER_DISCONTINUED"
TRANSFER_INSTEAD = "TRANSFER_INSTEAD"
REASON_CODES = (
    ORDER_BELOW_REORDER_POINT,
    NO_ORDER_POSITION_SUFFICIENT,
    NO_ORDER_NO_DEMAND,
    NO_ORDER_DEAD_STOCK,
    NO_ORDER_DISCONTINUED,
    TRANSFER_INSTEAD,
)
# Modifiers (zero or more per line, ``;``-joined in column ``flags``)
ROUNDED_TO_MOQ = "ROUNDED_TO_MOQ"
ROUNDED_TO_PACK = "ROUNDED_TO_PACK"
CAPPED_AT_MAX = "CAPPED_AT_MAX"
MISSING_LEAD_TIME_FALLBACK = "MISSING_LEAD_TIME_FALLBACK"
LEAD_TIME_FROM_MASTER = "LEAD_TIME_FROM_MASTER"
DEFAULT_CLASS = "DEFAULT_CLASS"
NO_FORECAST = "NO_FORECAST"
HORIZON_EXTENDED = "HORIZON_EXTENDED"
SAFETY_STOCK_AT_MIN = "SAFETY_STOCK_AT_MIN"
SAFETY_STOCK_AT_MAX = "SAFETY_STOCK_AT_MAX"
BACKORDERS_OPEN = "BACKORDERS_OPEN"
DONOR_FOR_TRANSFER = "DONOR_FOR_TRANSFER"
FORECAST_SPLIT_TO_DAYS = "FORECAST_SPLIT_TO_DAYS"
CLASS_FROM_FORECAST = "CLASS_FROM_FORECAST"
FLAGS = (
    ROUNDED_TO_MOQ,
    ROUNDED_TO_PACK,
    CAPPED_AT_MAX,
    MISSING_LEAD_TIME_FALLBACK,
    LEAD_TIME_FROM_MASTER,
    DEFAULT_CLASS,
    NO_FORECAST,
    HORIZON_EXTENDED,
    SAFETY_STOCK_AT_MIN,
    SAFETY_STOCK_AT_MAX,
    BACKORDERS_OPEN,
    DONOR_FOR_TRANSFER,
    FORECAST_SPLIT_TO_DAYS,
    CLASS_FROM_FORECAST,
)

POLICIES = ("RS", "sQ", "minmax")
FREQ_DAYS = {"D": 1, "W": 7}
DISCONTINUED_STATUSES = ("discontinued", "inactive", "obsolete", "blocked")
Z90 = float(norm.ppf(0.9))

DEFAULT_SERVICE_MATRIX: Mapping[str, float] = {
    "AX": 0.98, "AY": 0.97, "AZ": 0.95,
    "BX": 0.96, "BY": 0.95, "BZ": 0.92,
    "CX": 0.93, "CY": 0.90, "CZ": 0.87,
}  # fmt: skip


@dataclass(frozen=True)
class ReplenishmentConfig:
    """Policy settings; every field has a default (zero configuration for a first run).

    policy: "RS" periodic review order-up-to (default), "sQ" reorder point + fixed lot, "minmax".
    service_matrix: cycle service level (alpha, P(no stockout per cycle)) per ABC x XYZ cell.
    safety_stock_method: "normal" (z * sqrt(sum sigma_d^2 + d^2 sigma_L^2)) or "quantile" (sum over
    the protection window of the forecast quantile at the service level minus the point forecast).
    min/max_safety_stock_days clamp safety stock to [min, max] days of mean forecast demand.
    order_cover_days: lot size of (s, Q) and max - min of min/max, in days of demand (at least MOQ).
    """

    policy: str = "RS"
    service_matrix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SERVICE_MATRIX))
    default_class: str = "CZ"
    # a row without ABC/XYZ: "forecast" computes them from the plan's forecasts (ABC by forecast value
    # over all SKUs, XYZ by the forecast's weekly CV; flag CLASS_FROM_FORECAST), "default" takes
    # default_class (flag DEFAULT_CLASS)
    missing_class: str = "forecast"
    abc_shares: tuple[float, float] = (0.8, 0.95)  # cumulative value share closing A and B (as dim_skus)
    xyz_max_cv: tuple[float, float] = (0.5, 1.0)  # weekly CV below which X, then Y (as dim_skus)
    safety_stock_method: str = "normal"
    min_safety_stock_days: float = 0.0
    max_safety_stock_days: float = 30.0
    order_cover_days: float = 14.0
    default_lead_time_days: float = 14.0
    default_lead_time_cv: float = 0.0
    default_review_period_days: float = 7.0
    default_pack_size: float = 1.0
    default_moq: float = 0.0
    allow_transfers: bool = True
    transfer_keep_days: float = 0.0  # donors keep their order-up-to level plus this many days of demand
    service_allocation: str = "matrix"  # or "optimised": see optimised_service_z
    fill_measure: str = "value"  # optimised: fill rate in "value" (units x unit cost) or in "units"
    target_fill_rate: float | None = None  # optimised: aggregate fill; None = what the matrix promises
    optimised_service_bounds: tuple[float, float] = (0.5, 0.995)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, not {self.policy!r}")
        if self.safety_stock_method not in ("normal", "quantile"):
            raise ValueError("safety_stock_method must be 'normal' or 'quantile'")
        if self.min_safety_stock_days > self.max_safety_stock_days:
            raise ValueError("min_safety_stock_days must not exceed max_safety_stock_days")
        if self.missing_class not in ("forecast", "default"):
            raise ValueError("missing_class must be 'forecast' or 'default'")
        if self.default_class not in self.service_matrix:
            raise ValueError(f"default_class {self.default_class!r} is not in the service matrix")
        bad = {k: v for k, v in self.service_matrix.items() if not 0.5 <= v < 1.0}
        if bad:
            raise ValueError(f"service levels must be in [0.5, 1): {bad}")
        if self.service_allocation not in ("matrix", "optimised"):
            raise ValueError("service_allocation must be 'matrix' or 'optimised'")
        if self.fill_measure not in ("value", "units"):
            raise ValueError("fill_measure must be 'value' or 'units'")
        if self.target_fill_rate is not None and not 0.0 < self.target_fill_rate < 1.0:
            raise ValueError("target_fill_rate must be in (0, 1)")
        lo, hi = self.optimised_service_bounds
        if not 0.5 <= lo <= hi < 1.0:
            raise ValueError("optimised_service_bounds must satisfy 0.5 <= low <= high < 1")


PLAN_COLUMNS = [
    "sku", "warehouse_id", "as_of_date", "policy", "supplier_id", "abc_class", "xyz_class",
    "service_level", "z", "lead_time_days", "lead_time_std_days", "review_period_days",
    "protection_days", "daily_demand", "sigma_daily", "demand_lead_time_qty",
    "demand_protection_qty", "safety_stock_qty", "safety_stock_days", "reorder_point_qty",
    "order_up_to_qty", "on_hand_qty", "on_order_qty", "overdue_on_order_qty", "backorder_qty",
    "inventory_position_qty", "net_requirement_qty", "moq", "pack_size", "max_order_qty",
    "order_qty_unrounded", "order_qty", "rounding", "transfer_qty", "transfer_from_warehouse_id",
    "unit_cost", "order_value", "expected_arrival_date", "projected_on_hand_at_arrival_qty",
    "days_of_cover_after_arrival", "stockout_risk", "reason_code", "flags",
]  # fmt: skip

_WEEKDAYS = {d: i for i, d in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])}
_QUANTILE_COL = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


# --------------------------------------------------------------------------- vectorised core


def service_levels(
    abc: pd.Series, xyz: pd.Series, config: ReplenishmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Service level per row from the ABC x XYZ matrix; unknown/missing cells -> default class."""
    cell = abc.astype("string").str.upper().str.strip() + xyz.astype("string").str.upper().str.strip()
    level = cell.map(dict(config.service_matrix)).astype("float64")
    missing = level.isna().to_numpy()
    return level.fillna(config.service_matrix[config.default_class]).to_numpy(), missing


def classes_from_forecast(
    sku: np.ndarray,
    daily_demand: np.ndarray,
    sigma_daily: np.ndarray,
    unit_cost: np.ndarray,
    abc_shares: tuple[float, float] = (0.8, 0.95),
    xyz_max_cv: tuple[float, float] = (0.5, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """ABC and XYZ class per row, computed per SKU (all its warehouses) from the forecast, as the
    ``dim_skus`` mart computes them from history: ABC by the cumulative share of forecast value (units x
    unit cost; units alone when any SKU lacks a cost) held by the SKUs ranked before it, XYZ by the weekly coefficient of
    variation sqrt(7 sum sigma_daily^2) / (7 sum daily demand). A SKU without forecast demand is CZ."""
    frame = pd.DataFrame({"sku": sku, "d": daily_demand, "v": sigma_daily**2, "c": unit_cost})
    frame["value"] = frame["d"] * frame["c"]
    per = frame.groupby("sku", sort=False).agg(d=("d", "sum"), v=("v", "sum"), value=("value", "sum"))
    weight = per["value"] if frame["c"].notna().all() else per["d"]
    order = weight.sort_values(ascending=False, kind="stable")
    total = float(order.sum())
    # the share held by the SKUs before each one: the SKU that crosses a cut-off is in the class (as
    # dim_skus), so the top SKU is always A
    preceding = (order.cumsum() - order) / total if total > 0 else order * 0.0 + 1.0
    abc = pd.Series(
        np.select([preceding < abc_shares[0], preceding < abc_shares[1]], ["A", "B"], "C"), index=order.index
    )
    abc[order <= 0] = "C"
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(7.0 * per["v"]) / (7.0 * per["d"])
    xyz = pd.Series(np.select([cv < xyz_max_cv[0], cv < xyz_max_cv[1]], ["X", "Y"], "Z"), index=per.index)
    xyz[per["d"] <= 0] = "Z"
    return abc.reindex(sku).to_numpy(dtype=object), xyz.reindex(sku).to_numpy(dtype=object)


def safety_stock(
    var_demand_window: np.ndarray,
    daily_demand: np.ndarray,
    lead_time_std: np.ndarray,
    z: np.ndarray,
    min_days: float,
    max_days: float,
    demand_quantile_excess: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Safety stock (units) and whether it hit the lower / upper days-of-cover clamp.

    normal:   SS = z * sqrt(sum_window sigma_d,t^2 + d^2 * sigma_L^2)  (= z*sqrt(P*sigma_d^2 + d^2*sigma_L^2))
    quantile: SS = sqrt(excess^2 + (z * d * sigma_L)^2), excess = sum_window (q_alpha,t - point_t)
    then clamped to [min_days * d, max_days * d].
    """
    lt_term = (daily_demand * lead_time_std) ** 2
    if demand_quantile_excess is None:
        raw = z * np.sqrt(np.maximum(var_demand_window, 0.0) + lt_term)
    else:
        raw = np.sqrt(np.maximum(demand_quantile_excess, 0.0) ** 2 + z**2 * lt_term)
    lo, hi = min_days * daily_demand, max_days * daily_demand
    ss = np.clip(raw, lo, hi)
    return ss, (raw < lo) & (lo > 0), raw > hi


def normal_loss(k: np.ndarray) -> np.ndarray:
    """Standard normal loss G(k) = E[(X - k)+] = phi(k) - k (1 - Phi(k))."""
    return norm.pdf(k) - k * norm.sf(k)


def cycle_quantity(
    policy: str, daily_demand: np.ndarray, review: np.ndarray, moq: np.ndarray, order_cover_days: float
) -> np.ndarray:
    """Expected demand between two replenishments: d x R for (R, S); the lot for (s, Q) and min/max."""
    if policy == "RS":
        return daily_demand * review
    return np.maximum(daily_demand * order_cover_days, moq)


def optimised_service_z(
    daily_demand: np.ndarray,
    sigma_protection: np.ndarray,
    cycle_qty: np.ndarray,
    unit_cost: np.ndarray,
    matrix_z: np.ndarray,
    target_fill: float | None = None,
    bounds: tuple[float, float] = (0.5, 0.995),
    measure: str = "value",
) -> np.ndarray:
    """Safety factors that reach an aggregate fill rate with the least safety-stock value.

    Per row, expected units short per cycle = sigma_P G(k) (normal loss), cycles per day = d / q, so
    the expected fill is 1 - sigma_P G(k) / q. One more unit of safety stock costs its unit cost v
    and saves (d / q) P(stockout per cycle) units short a day, worth v each when fill is measured in
    value. At the optimum the marginal fill per unit of stock value is equal across rows:
    P(stockout per cycle) = 1 - Phi(k) = lambda x q / d (value) or lambda x v x q / d (units; cheap
    items then get more service), clipped to the service bounds. lambda is found by bisection so that
    the aggregate expected fill (weights d x v, or d) equals ``target_fill``; None means the expected
    fill of ``matrix_z`` (the aggregate service the matrix promises, at less stock). Rows without
    demand, spread, cycle or cost keep their ``matrix_z``.
    """
    d, sig, q = (np.asarray(x, dtype=float) for x in (daily_demand, sigma_protection, cycle_qty))
    v = np.asarray(unit_cost, dtype=float)
    z0 = np.asarray(matrix_z, dtype=float)
    if measure not in ("value", "units"):
        raise ValueError("measure must be 'value' or 'units'")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = q / d * (v if measure == "units" else 1.0)
        w = d * v if measure == "value" else d
    ok = (d > 0) & (sig > 0) & (q > 0) & (v > 0) & np.isfinite(scale) & (scale > 0) & np.isfinite(w) & (w > 0)
    if not ok.any():
        return z0.copy()
    with np.errstate(over="ignore"):
        spread = sig[ok] / q[ok]  # sigma_P per unit of cycle demand
    log_scale, w = np.log(scale[ok]), w[ok] / w[ok].sum()
    p_lo, p_hi = 1.0 - bounds[1], 1.0 - bounds[0]  # stockout probability per cycle

    def fill(k: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float((w * np.clip(1.0 - spread * normal_loss(k), 0.0, 1.0)).sum())

    target = fill(z0[ok]) if target_fill is None else float(target_fill)

    def k_of(log_lam: float) -> np.ndarray:
        return norm.isf(np.exp(np.clip(log_lam + log_scale, np.log(p_lo), np.log(p_hi))))

    lo = np.log(p_lo) - log_scale.max() - 1.0  # every row at the upper bound: best fill reachable
    hi = np.log(p_hi) - log_scale.min() + 1.0  # every row at the lower bound
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fill(k_of(mid)) >= target:
            lo = mid
        else:
            hi = mid
    out = z0.copy()
    out[ok] = k_of(lo)
    return out


def round_order_qty(
    net: np.ndarray, moq: np.ndarray, pack: np.ndarray, max_qty: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Round a net requirement up to the MOQ and the pack multiple, capped at the maximum.

    qty = ceil(max(net, MOQ) / pack) * pack if net > 0 else 0. The cap (max_qty > 0; NaN or <= 0 means
    none) is first rounded down to a pack multiple (at least one pack: the pack wins over a cap below
    it), so the result is always a non-negative multiple of the pack. A cap below the MOQ wins over
    the MOQ. Returns qty and the masks moq_applied, pack_applied, capped.
    """
    net = np.asarray(net, dtype=float)
    pack = np.where(np.asarray(pack, dtype=float) > 0, pack, 1.0)
    moq = np.where(np.asarray(moq, dtype=float) > 0, moq, 0.0)
    need = net > 1e-9
    base = np.where(need, np.maximum(net, moq), 0.0)
    qty = np.ceil(base / pack - 1e-9) * pack
    cap = np.asarray(max_qty, dtype=float)
    has_cap = np.isfinite(cap) & (cap > 0)
    cap_eff = np.where(has_cap, np.maximum(np.floor(cap / pack + 1e-9), 1.0) * pack, np.inf)
    capped = qty > cap_eff
    qty = np.where(need, np.minimum(qty, cap_eff), 0.0)
    moq_applied = need & (moq > net) & ~capped
    pack_applied = need & ~capped & (qty > base + 1e-9) & (pack > 1)  # pack 1: a whole unit, not a pack
    return qty, moq_applied, pack_applied, capped


def policy_order(
    policy: str,
    position: np.ndarray,
    demand_lead: np.ndarray,
    demand_protection: np.ndarray,
    ss: np.ndarray,
    daily_demand: np.ndarray,
    moq: np.ndarray,
    pack: np.ndarray,
    order_cover_days: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reorder point, order-up-to level and unrounded net requirement for the chosen policy.

    All three policies protect lead time + review period (P = L + R; a continuous review is R = 0).
    RS:     S = D(P) + SS; order S - position whenever position < S.
    sQ:     s = D(P) + SS, Q = max(d * cover, MOQ, pack); when position <= s order n*Q, the smallest
            multiple bringing the position above s.
    minmax: min = D(P) + SS, max = min + max(d * cover, MOQ); when position <= min order max - position.
    demand_lead is accepted for symmetry with callers that report it; the trigger uses D(P).
    """
    del demand_lead
    rop = demand_protection + ss
    if policy == "RS":
        up_to = rop
        net = np.where(position < rop - 1e-9, rop - position, 0.0)
    elif policy == "sQ":
        lot = np.maximum.reduce([daily_demand * order_cover_days, moq, pack, np.ones_like(rop)])
        trigger = (position <= rop) & (rop > 0)
        n_lots = np.floor((rop - position) / lot) + 1.0
        net = np.where(trigger, n_lots * lot, 0.0)
        up_to = rop + lot
    elif policy == "minmax":
        up_to = rop + np.maximum(daily_demand * order_cover_days, moq)
        trigger = (position <= rop) & (rop > 0)
        net = np.where(trigger, up_to - position, 0.0)
    else:
        raise ValueError(f"unknown policy {policy!r}")
    return rop, up_to, net


def window_sums(cum: np.ndarray, start: np.ndarray | int, length: np.ndarray) -> np.ndarray:
    """Sum of a daily matrix over [start, start + length) per column, length fractional.

    ``cum`` is the cumulative sum along axis 0 with a leading zero row: cum[k] = sum of days < k.
    Beyond the last day the series continues at its last available daily rate (callers extend the
    matrix first when they want a different tail).
    """
    n_days = cum.shape[0] - 1
    cols = np.arange(cum.shape[1])
    start = np.broadcast_to(np.asarray(start, dtype=float), length.shape)

    def at(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0.0, None)
        k = np.minimum(np.floor(x).astype(np.int64), n_days - 1)
        frac = x - k
        lo = cum[k, cols]
        return lo + frac * (cum[k + 1, cols] - lo)

    return at(start + length) - at(start)


# --------------------------------------------------------------------------- input shaping


def _str_keys(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for k in KEYS:
        if k in out.columns:
            out[k] = out[k].astype("string")
    return out


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[col], errors="coerce").astype("float64")


def _sum_by_key(df: pd.DataFrame | None, col: str, name: str) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame(
            {"sku": pd.Series(dtype="string"), "warehouse_id": pd.Series(dtype="string"), name: []}
        )
    d = _str_keys(df)
    d[name] = _num(d, col).fillna(0.0)
    return d.groupby(KEYS, as_index=False)[name].sum()


def _merge_params(keys: pd.DataFrame, params: pd.DataFrame | None) -> pd.DataFrame:
    """Per-warehouse parameter rows win over per-SKU rows (null or missing warehouse_id)."""
    if params is None or params.empty:
        return keys.copy()
    p = _str_keys(params)
    if "warehouse_id" in p.columns:
        has_wh = p["warehouse_id"].notna()
        per_wh = p[has_wh].drop_duplicates(KEYS, keep="last")
        per_sku = p[~has_wh].drop(columns="warehouse_id").drop_duplicates("sku", keep="last")
    else:
        per_wh = p.iloc[0:0].assign(warehouse_id=pd.Series(dtype="string"))
        per_sku = p.drop_duplicates("sku", keep="last")
    a = keys.merge(per_wh, on=KEYS, how="left")
    b = keys.merge(per_sku, on="sku", how="left")
    for col in b.columns:
        if col in KEYS:
            continue
        a[col] = a[col].combine_first(b[col]) if col in a.columns else b[col]
    return a


def _review_period(p: pd.DataFrame, default: float) -> np.ndarray:
    review = _num(p, "review_period_days")
    if "order_weekdays" in p.columns:
        wd = p["order_weekdays"].astype("string").str.lower()
        count = sum(wd.str.contains(day, regex=False).fillna(False).astype(int) for day in _WEEKDAYS)
        from_days = (7.0 / count.where(count > 0)).astype("float64")
        review = review.combine_first(from_days)
    return review.fillna(default).to_numpy()


def _quantile_columns(df: pd.DataFrame) -> dict[str, float]:
    out = {}
    for c in df.columns:
        m = _QUANTILE_COL.match(str(c))
        if m and 0 < float(m.group(1)) < 100:
            out[c] = float(m.group(1)) / 100.0
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


@dataclass(frozen=True)
class SupplyParams:
    """Per-row supply parameters after the documented fallbacks (arrays aligned with the key rows)."""

    lead_time: np.ndarray
    lead_time_std: np.ndarray
    lead_time_fallback: np.ndarray
    lead_time_from_master: np.ndarray
    review_period: np.ndarray
    order_weekdays: np.ndarray  # [n, 7] bool, all False when unknown
    abc_class: np.ndarray
    xyz_class: np.ndarray
    default_class: np.ndarray
    service_level: np.ndarray
    z: np.ndarray
    moq: np.ndarray
    pack: np.ndarray
    max_order_qty: np.ndarray
    discontinued: np.ndarray
    dead: np.ndarray
    service_override: np.ndarray  # the row's own service_level replaced the matrix cell


def resolve_supply(df: pd.DataFrame, cfg: ReplenishmentConfig) -> SupplyParams:
    """Apply the fallbacks of the module docstring to merged parameter rows."""
    n = len(df)
    measured = _num(df, "lead_time_mean_days")
    master = _num(df, "lead_time_days").combine_first(_num(df, "supplier_lead_time_days"))
    lead = measured.combine_first(master).fillna(cfg.default_lead_time_days).clip(lower=0).to_numpy()
    lead_std = _num(df, "lead_time_std_days").fillna(
        pd.Series(lead * cfg.default_lead_time_cv, index=df.index)
    )
    if "order_weekdays" in df.columns:
        wd = df["order_weekdays"].astype("string").str.lower()
        weekdays = np.column_stack(
            [wd.str.contains(day, regex=False).fillna(False).to_numpy(dtype=bool) for day in _WEEKDAYS]
        )
    else:
        weekdays = np.zeros((n, 7), dtype=bool)
    abc = _text(df, "abc_class").str.upper().str.strip()
    xyz = _text(df, "xyz_class").str.upper().str.strip()
    level, default_class = service_levels(abc, xyz, cfg)
    override = _num(df, "service_level").to_numpy()
    overridden = np.isfinite(override) & (override > 0) & (override < 1)
    level = np.where(overridden, override, level)
    pack = _num(df, "pack_size").fillna(cfg.default_pack_size).to_numpy()
    status = _text(df, "status").str.lower().str.strip().fillna("active")
    dead = (
        df["is_dead_stock"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "is_dead_stock" in df.columns
        else np.zeros(n, dtype=bool)
    )
    return SupplyParams(
        lead_time=lead,
        lead_time_std=lead_std.clip(lower=0).to_numpy(),
        lead_time_fallback=(measured.isna() & master.isna()).to_numpy(),
        lead_time_from_master=(measured.isna() & master.notna()).to_numpy(),
        review_period=np.clip(_review_period(df, cfg.default_review_period_days), 0.0, None),
        order_weekdays=weekdays,
        abc_class=np.where(default_class, cfg.default_class[0], abc.fillna("").to_numpy(dtype=object)),
        xyz_class=np.where(default_class, cfg.default_class[1:], xyz.fillna("").to_numpy(dtype=object)),
        default_class=default_class,
        service_level=level,
        z=norm.ppf(level),
        moq=_num(df, "moq").fillna(cfg.default_moq).clip(lower=0).to_numpy(),
        pack=np.where(pack > 0, pack, 1.0),
        max_order_qty=_num(df, "max_order_qty").to_numpy(),
        discontinued=status.isin(list(DISCONTINUED_STATUSES)).to_numpy(dtype=bool),
        dead=dead,
        service_override=overridden,
    )


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    return df[col].astype("string")


@dataclass(frozen=True)
class ForecastWindows:
    """Per-row forecast aggregates over the lead time and the protection window."""

    demand_lead: np.ndarray
    demand_protection: np.ndarray
    var_protection: np.ndarray
    quantile_excess: np.ndarray | None
    has_forecast: np.ndarray
    extended: np.ndarray


def forecast_windows(
    forecast: pd.DataFrame,
    keys: pd.DataFrame,
    as_of: pd.Timestamp,
    lead: np.ndarray,
    protection: np.ndarray,
    z: np.ndarray,
    method: str = "normal",
) -> ForecastWindows:
    """Aggregate the long daily forecast over [as_of, as_of + L) and [as_of, as_of + P) per key row."""
    n = len(keys)
    f = _str_keys(forecast)
    f = f[pd.to_datetime(f["date"]) >= as_of]
    row = pd.MultiIndex.from_frame(keys[KEYS]).get_indexer(pd.MultiIndex.from_frame(f[KEYS]))
    f = f[row >= 0]
    row = row[row >= 0]
    day = (pd.to_datetime(f["date"]) - as_of).dt.days.to_numpy()
    width = int(day.max()) + 1 if len(day) else 1
    qcols = _quantile_columns(f)
    point_col = "mean" if "mean" in f.columns and f["mean"].notna().any() else "p50"
    point = _num(f, point_col).fillna(_num(f, "p50")).fillna(0.0).clip(lower=0).to_numpy()
    if "sigma" in f.columns and f["sigma"].notna().any():
        sigma = _num(f, "sigma").to_numpy()
    else:
        sigma = np.full(len(f), np.nan)
    upper = [c for c, q in qcols.items() if q > 0.5]
    if upper and np.isnan(sigma).any():
        top = upper[-1]
        from_q = (_num(f, top) - _num(f, "p50").fillna(_num(f, point_col))).clip(lower=0) / norm.ppf(
            qcols[top]
        )
        sigma = np.where(np.isnan(sigma), from_q.to_numpy(), sigma)
    sigma = np.nan_to_num(sigma, nan=0.0)

    def matrix(values: np.ndarray) -> np.ndarray:
        m = np.full((width, n), np.nan)
        m[day, row] = values
        count = np.isfinite(m).sum(axis=0)
        avg = np.where(count > 0, np.nansum(m, axis=0) / np.maximum(count, 1), 0.0)
        # missing days inside and beyond the horizon take the series' average forecast day
        m = np.where(np.isfinite(m), m, avg)
        return m, count

    pm, count = matrix(point)
    horizon = np.zeros(n)
    np.maximum.at(horizon, row, day + 1)
    var_m, _ = matrix(sigma**2)
    p_long = np.maximum(protection, lead)
    pad = int(np.ceil(max(p_long.max(initial=0.0) - width, 0.0))) + 1

    def cum(m: np.ndarray) -> np.ndarray:
        m = np.vstack([m, np.repeat(m.mean(axis=0, keepdims=True) if len(m) else 0.0, pad, axis=0)])
        return np.vstack([np.zeros((1, n)), np.cumsum(m, axis=0)])

    cp, cv = cum(pm), cum(var_m)
    d_lead = window_sums(cp, 0, lead)
    d_prot = window_sums(cp, 0, protection)
    var_prot = window_sums(cv, 0, protection)
    excess = None
    if method == "quantile":
        excess = _quantile_excess(f, qcols, point, row, day, width, n, protection, z, matrix, cum)
        excess = np.where(np.isnan(excess), z * np.sqrt(var_prot), excess)
    return ForecastWindows(d_lead, d_prot, var_prot, excess, count > 0, (count > 0) & (protection > horizon))


def _quantile_excess(f, qcols, point, row, day, width, n, protection, z, matrix, cum) -> np.ndarray:
    """sum over the window of (quantile at the row's service level - point), interpolated in z."""
    cols = [c for c, q in qcols.items() if q > 0.5]
    if not cols:
        return np.full(n, np.nan)
    zs = np.array([0.0] + [norm.ppf(qcols[c]) for c in cols])
    sums = [np.zeros(n)]
    for c in cols:
        m, _ = matrix(np.maximum(_num(f, c).fillna(0.0).to_numpy() - point, 0.0))
        sums.append(window_sums(cum(m), 0, protection))
    s = np.column_stack(sums)  # [n, K]; sums are linear in the per-day values, so interpolate the sums
    j = np.clip(np.searchsorted(zs, z), 1, len(zs) - 1)
    r = np.arange(n)
    z0, z1 = zs[j - 1], zs[j]
    return s[r, j - 1] + (z - z0) / (z1 - z0) * (s[r, j] - s[r, j - 1])


def _joined(masks: list[tuple[np.ndarray, str]], n: int, sep: str) -> np.ndarray:
    """Names whose mask is true, joined by ``sep`` (vectorised: one pass per name, not per row)."""
    out = np.full(n, "", dtype=object)
    for mask, name in masks:
        out = np.where(mask, np.where(out == "", name, out + sep + name), out)
    return out


def forecast_step_days(forecast: pd.DataFrame, freq: str | None = None) -> int:
    """Days per forecast row: 1 (daily) or 7 (weekly) from ``freq``, the frame's ``attrs["freq"]`` or the
    spacing of each series' dates (the smallest gap between consecutive dates of a series)."""
    freq = freq or forecast.attrs.get("freq")
    if freq is not None:
        if freq not in FREQ_DAYS:
            raise ValueError(f"freq must be one of {tuple(FREQ_DAYS)}, not {freq!r}")
        return FREQ_DAYS[freq]
    if len(forecast) == 0:
        return 1
    f = forecast[[*KEYS, "date"]].drop_duplicates().sort_values([*KEYS, "date"])
    gaps = pd.to_datetime(f["date"]).diff().dt.days
    same = (f["sku"] == f["sku"].shift()) & (f["warehouse_id"] == f["warehouse_id"].shift())
    gaps = gaps[same]
    if gaps.empty:  # one date per series: nothing to infer from
        return 1
    step = int(gaps.min())
    if step not in FREQ_DAYS.values():
        raise ValueError(
            f"forecast dates are {step} days apart: plan_replenishment plans from daily or weekly (W) "
            "forecasts; pass freq='D' or 'W' or aggregate the forecast"
        )
    return step


def daily_forecast(forecast: pd.DataFrame, freq: str | None = None) -> tuple[pd.DataFrame, int]:
    """The forecast as one row per day, and the days per row it came with.

    A weekly row (dated on the last of its 7 days, pandas' ``W``) becomes 7 days of mean / 7 and p50 / 7;
    each other quantile keeps its weekly distance from the point forecast divided by sqrt(7), and a
    ``sigma`` column is divided by sqrt(7), so that the 7 days add up to the week's mean and variance
    (days of one week treated as independent draws of the week's error)."""
    step = forecast_step_days(forecast, freq)
    if step == 1:
        return forecast, 1
    f = forecast.reset_index(drop=True)
    point_col = "mean" if "mean" in f.columns and f["mean"].notna().any() else "p50"
    point_w = _num(f, point_col).fillna(0.0)
    out = f.loc[f.index.repeat(step)].reset_index(drop=True)
    offset = np.tile(np.arange(step - 1, -1, -1), len(f))
    out["date"] = pd.to_datetime(out["date"]) - pd.to_timedelta(offset, unit="D")
    root = np.sqrt(step)
    point_d = np.repeat(point_w.to_numpy() / step, step)
    for col in [c for c in _quantile_columns(f)] + (["mean"] if "mean" in f.columns else []):
        if col == point_col:
            out[col] = point_d
        else:
            excess = np.repeat((_num(f, col) - point_w).to_numpy(), step) / root
            out[col] = np.clip(point_d + excess, 0.0, None)
    if "sigma" in f.columns:
        out["sigma"] = _num(out, "sigma") / root
    return out, step


# --------------------------------------------------------------------------- public API


def plan_replenishment(
    forecast: pd.DataFrame,
    stock: pd.DataFrame,
    params: pd.DataFrame | None = None,
    open_pos: pd.DataFrame | None = None,
    backorders: pd.DataFrame | None = None,
    as_of: date | pd.Timestamp | str | None = None,
    config: ReplenishmentConfig | None = None,
    freq: str | None = None,
) -> pd.DataFrame:
    """One explained replenishment line per SKU x warehouse (columns ``PLAN_COLUMNS``).

    ``freq``: "D" or "W" (``fit_predict``'s frequencies); None: ``forecast.attrs["freq"]`` (set by
    ``fit_predict``) or the spacing of the forecast's dates. A weekly forecast (a date labels the 7 days
    ending on it) is split into days before planning (``daily_forecast``; flag ``FORECAST_SPLIT_TO_DAYS``);
    any other spacing is refused with a ValueError.

    Rows: the union of the SKU x warehouse keys of forecast, stock, open POs, backorders and
    per-warehouse params. ``as_of`` defaults to the first forecast date.
    """
    cfg = config or ReplenishmentConfig()
    forecast, step = daily_forecast(_str_keys(forecast), freq)
    if as_of is None:
        as_of = pd.to_datetime(forecast["date"]).min() if len(forecast) else pd.Timestamp.today().normalize()
    as_of = pd.Timestamp(as_of).normalize()

    frames = [forecast, stock, open_pos, backorders]
    if params is not None and "warehouse_id" in params.columns:
        frames.append(params[params["warehouse_id"].notna()])
    keys = pd.concat(
        [_str_keys(d)[KEYS] for d in frames if d is not None and len(d) and "warehouse_id" in d.columns],
        ignore_index=True,
    )
    keys = keys.dropna().drop_duplicates().sort_values(KEYS, ignore_index=True)
    n = len(keys)
    split_rows = np.full(n, step > 1)
    df = _merge_params(keys, params)
    df = df.merge(_sum_by_key(stock, "on_hand_qty", "on_hand_qty"), on=KEYS, how="left")
    df = df.merge(_sum_by_key(open_pos, "qty", "on_order_qty"), on=KEYS, how="left")
    df = df.merge(_sum_by_key(backorders, "qty", "backorder_qty"), on=KEYS, how="left")
    if open_pos is not None and len(open_pos) and "expected_date" in open_pos.columns:
        late = open_pos[pd.to_datetime(open_pos["expected_date"]) < as_of]
        df = df.merge(_sum_by_key(late, "qty", "overdue_on_order_qty"), on=KEYS, how="left")
    else:
        df["overdue_on_order_qty"] = 0.0
    if stock is not None and "unit_cost" in stock.columns:
        cost = (
            _str_keys(stock)
            .groupby(KEYS, as_index=False)["unit_cost"]
            .mean()
            .rename(columns={"unit_cost": "_stock_cost"})
        )
        df = df.merge(cost, on=KEYS, how="left")
        unit_cost = _num(df, "_stock_cost").combine_first(_num(df, "unit_cost"))
    else:
        unit_cost = _num(df, "unit_cost")

    on_hand = _num(df, "on_hand_qty").fillna(0.0).to_numpy()
    on_order = _num(df, "on_order_qty").fillna(0.0).to_numpy()
    backorder = _num(df, "backorder_qty").fillna(0.0).to_numpy()
    overdue = _num(df, "overdue_on_order_qty").fillna(0.0).to_numpy()

    sp = resolve_supply(df, cfg)
    lead, lead_std, review, level, z = (
        sp.lead_time,
        sp.lead_time_std,
        sp.review_period,
        sp.service_level,
        sp.z,
    )
    moq, pack, max_qty, discontinued, dead = sp.moq, sp.pack, sp.max_order_qty, sp.discontinued, sp.dead
    protection = lead + review
    fw = forecast_windows(forecast, keys, as_of, lead, protection, z, cfg.safety_stock_method)
    daily = np.where(protection > 0, fw.demand_protection / np.where(protection > 0, protection, 1), 0.0)
    sigma_daily = np.sqrt(fw.var_protection / np.where(protection > 0, protection, 1))
    abc_class, xyz_class = sp.abc_class, sp.xyz_class
    from_forecast = np.zeros(n, dtype=bool)
    if cfg.missing_class == "forecast" and (sp.default_class & ~sp.service_override).any():
        from_forecast = sp.default_class & ~sp.service_override
        abc_f, xyz_f = classes_from_forecast(
            keys["sku"].to_numpy(), daily, sigma_daily, unit_cost.to_numpy(), cfg.abc_shares, cfg.xyz_max_cv
        )
        abc_class = np.where(from_forecast, abc_f, abc_class)
        xyz_class = np.where(from_forecast, xyz_f, xyz_class)
        cell_level = pd.Series(abc_f + xyz_f).map(dict(cfg.service_matrix)).to_numpy(dtype=float)
        cell_level = np.where(np.isnan(cell_level), cfg.service_matrix[cfg.default_class], cell_level)
        level = np.where(from_forecast, cell_level, level)
        z = norm.ppf(level)
        if cfg.safety_stock_method == "quantile":  # the quantile excess is read at the new levels
            fw = forecast_windows(forecast, keys, as_of, lead, protection, z, "quantile")
    if cfg.service_allocation == "optimised":
        plannable = ~(discontinued | dead | sp.service_override)  # a row's own service level stays
        z = np.where(
            plannable,
            optimised_service_z(
                np.where(plannable, daily, 0.0),
                np.sqrt(np.maximum(fw.var_protection, 0.0) + (daily * lead_std) ** 2),
                cycle_quantity(cfg.policy, daily, review, moq, cfg.order_cover_days),
                unit_cost.to_numpy(),
                z,
                cfg.target_fill_rate,
                cfg.optimised_service_bounds,
                cfg.fill_measure,
            ),
            z,
        )
        level = norm.cdf(z)
        if cfg.safety_stock_method == "quantile":  # the quantile excess is read at the new levels
            fw = forecast_windows(forecast, keys, as_of, lead, protection, z, "quantile")
    ss, ss_min, ss_max = safety_stock(
        fw.var_protection, daily, lead_std, z, cfg.min_safety_stock_days, cfg.max_safety_stock_days,
        fw.quantile_excess,
    )  # fmt: skip

    position = on_hand + on_order - backorder
    rop, up_to, net = policy_order(
        cfg.policy, position, fw.demand_lead, fw.demand_protection, ss, daily, moq, pack, cfg.order_cover_days
    )
    blocked = discontinued | dead
    net = np.where(blocked, 0.0, net)
    qty, moq_applied, pack_applied, capped = round_order_qty(net, moq, pack, max_qty)

    plan = pd.DataFrame(
        {
            "sku": keys["sku"],
            "warehouse_id": keys["warehouse_id"],
            "as_of_date": as_of,
            "policy": cfg.policy,
            "supplier_id": df["supplier_id"].astype("string") if "supplier_id" in df.columns else pd.NA,
            "abc_class": abc_class,
            "xyz_class": xyz_class,
            "service_level": level,
            "z": z,
            "lead_time_days": lead,
            "lead_time_std_days": lead_std,
            "review_period_days": review,
            "protection_days": protection,
            "daily_demand": daily,
            "sigma_daily": sigma_daily,
            "demand_lead_time_qty": fw.demand_lead,
            "demand_protection_qty": fw.demand_protection,
            "safety_stock_qty": ss,
            "safety_stock_days": np.where(daily > 0, ss / np.where(daily > 0, daily, 1), 0.0),
            "reorder_point_qty": rop,
            "order_up_to_qty": up_to,
            "on_hand_qty": on_hand,
            "on_order_qty": on_order,
            "overdue_on_order_qty": overdue,
            "backorder_qty": backorder,
            "inventory_position_qty": position,
            "net_requirement_qty": net,
            "moq": moq,
            "pack_size": pack,
            "max_order_qty": max_qty,
            "order_qty_unrounded": net,
            "order_qty": qty,
            "unit_cost": unit_cost.to_numpy(),
        }
    )
    reason = np.select(
        [discontinued, dead, qty > 0, (fw.demand_protection <= 0) & (position >= 0)],
        [NO_ORDER_DISCONTINUED, NO_ORDER_DEAD_STOCK, ORDER_BELOW_REORDER_POINT, NO_ORDER_NO_DEMAND],
        NO_ORDER_POSITION_SUFFICIENT,
    )
    plan["reason_code"] = reason
    plan["transfer_qty"] = 0.0
    plan["transfer_from_warehouse_id"] = pd.Series(pd.NA, index=plan.index, dtype="string")
    donor = np.zeros(n, dtype=bool)
    if cfg.allow_transfers and n:
        transfers = suggest_transfers(plan, cfg)
        if len(transfers):
            to_idx = pd.MultiIndex.from_frame(plan[KEYS]).get_indexer(
                pd.MultiIndex.from_arrays([transfers["sku"], transfers["to_warehouse_id"]])
            )
            from_idx = pd.MultiIndex.from_frame(plan[KEYS]).get_indexer(
                pd.MultiIndex.from_arrays([transfers["sku"], transfers["from_warehouse_id"]])
            )
            plan.loc[to_idx, "transfer_qty"] = transfers["qty"].to_numpy()
            plan.loc[to_idx, "transfer_from_warehouse_id"] = transfers["from_warehouse_id"].to_numpy()
            plan.loc[to_idx, "order_qty"] = 0.0
            plan.loc[to_idx, "reason_code"] = TRANSFER_INSTEAD
            donor[from_idx] = True
            moq_applied[to_idx] = pack_applied[to_idx] = capped[to_idx] = False
    qty = plan["order_qty"].to_numpy()
    transfer = plan["transfer_qty"].to_numpy()
    plan["rounding"] = _rounding_text(moq_applied, pack_applied, capped)
    plan["order_value"] = qty * plan["unit_cost"].to_numpy()
    plan["expected_arrival_date"] = as_of + pd.to_timedelta(np.ceil(lead), unit="D")

    # after the order (or transfer) arrives: expected stock and risk over the next protection window
    after = position + qty + transfer
    projected = after - fw.demand_lead
    sigma_p = np.sqrt(np.maximum(fw.var_protection, 0.0) + (daily * lead_std) ** 2)
    gap = after - fw.demand_protection
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        risk = np.where(sigma_p > 0, norm.sf(gap / np.where(sigma_p > 0, sigma_p, 1)), (gap < 0) * 1.0)
        cover = np.where(daily > 0, np.maximum(projected, 0.0) / daily, np.nan)
    plan["projected_on_hand_at_arrival_qty"] = projected
    plan["days_of_cover_after_arrival"] = cover
    plan["stockout_risk"] = risk
    plan["flags"] = _joined(
        [
            (mask, name)
            for name, mask in {
                ROUNDED_TO_MOQ: moq_applied & (qty > 0),
                ROUNDED_TO_PACK: pack_applied & (qty > 0),
                CAPPED_AT_MAX: capped & (qty > 0),
                MISSING_LEAD_TIME_FALLBACK: sp.lead_time_fallback,
                LEAD_TIME_FROM_MASTER: sp.lead_time_from_master,
                DEFAULT_CLASS: sp.default_class & ~sp.service_override & ~from_forecast,
                CLASS_FROM_FORECAST: from_forecast,
                FORECAST_SPLIT_TO_DAYS: split_rows,
                NO_FORECAST: ~fw.has_forecast,
                HORIZON_EXTENDED: fw.extended,
                SAFETY_STOCK_AT_MIN: ss_min,
                SAFETY_STOCK_AT_MAX: ss_max,
                BACKORDERS_OPEN: backorder > 0,
                DONOR_FOR_TRANSFER: donor,
            }.items()
        ],
        n,
        ";",
    )
    return plan[PLAN_COLUMNS]


def _rounding_text(moq_applied: np.ndarray, pack_applied: np.ndarray, capped: np.ndarray) -> np.ndarray:
    out = _joined([(moq_applied, "moq"), (pack_applied, "pack"), (capped, "cap")], len(capped), "+")
    return np.where(out == "", "none", out)


def suggest_transfers(plan: pd.DataFrame, config: ReplenishmentConfig | None = None) -> pd.DataFrame:
    """Transfers from a warehouse holding excess of a SKU to warehouses that would otherwise buy it.

    ``plan`` needs ``sku, warehouse_id, on_hand_qty, backorder_qty, inventory_position_qty,
    order_up_to_qty, daily_demand, net_requirement_qty, reason_code``. A donor's excess is its physical
    stock above what it needs itself: min(on hand - backorders, position - order-up-to level - keep
    days x daily demand), all of it for dead or discontinued rows. Per SKU the warehouse with the largest
    excess gives; receivers (rows that would order) are served largest shortfall first as long as the
    donor's excess covers their whole shortfall (no partial transfers: those still buy).

    Returns ``sku, from_warehouse_id, to_warehouse_id, qty, reason_code`` (TRANSFER_INSTEAD).
    """
    cfg = config or ReplenishmentConfig()
    p = plan.reset_index(drop=True)
    blocked = p["reason_code"].isin([NO_ORDER_DEAD_STOCK, NO_ORDER_DISCONTINUED]).to_numpy()
    excess = transfer_excess(
        p["on_hand_qty"].to_numpy(dtype=float),
        p["backorder_qty"].to_numpy(dtype=float),
        p["inventory_position_qty"].to_numpy(dtype=float),
        p["order_up_to_qty"].to_numpy(dtype=float),
        p["daily_demand"].to_numpy(dtype=float),
        blocked,
        cfg.transfer_keep_days,
    )
    need = np.where(
        p["reason_code"].to_numpy() == ORDER_BELOW_REORDER_POINT, np.ceil(p["net_requirement_qty"]), 0.0
    )
    empty = pd.DataFrame(
        {
            "sku": pd.Series(dtype="string"),
            "from_warehouse_id": pd.Series(dtype="string"),
            "to_warehouse_id": pd.Series(dtype="string"),
            "qty": pd.Series(dtype="float64"),
            "reason_code": pd.Series(dtype="string"),
        }
    )
    # rows in (sku, warehouse) order, so ties go to the first warehouse as before
    order = np.lexsort((p["warehouse_id"].astype("string").to_numpy(), p["sku"].astype("string").to_numpy()))
    group = pd.factorize(p["sku"].astype("string").to_numpy()[order])[0]
    to_pos, from_pos = allocate_transfers(group, excess[order], need[order])
    if not len(to_pos):
        return empty
    to_idx, from_idx = order[to_pos], order[from_pos]
    return pd.DataFrame(
        {
            "sku": p["sku"].astype("string").to_numpy()[to_idx],
            "from_warehouse_id": p["warehouse_id"].astype("string").to_numpy()[from_idx],
            "to_warehouse_id": p["warehouse_id"].astype("string").to_numpy()[to_idx],
            "qty": need[to_idx],
            "reason_code": TRANSFER_INSTEAD,
        }
    ).astype(
        {"sku": "string", "from_warehouse_id": "string", "to_warehouse_id": "string", "reason_code": "string"}
    )


def transfer_excess(
    on_hand: np.ndarray,
    backorders: np.ndarray,
    position: np.ndarray,
    order_up_to: np.ndarray,
    daily_demand: np.ndarray,
    blocked: np.ndarray,
    keep_days: float,
) -> np.ndarray:
    """Whole units a row can give away: its free stock above what it needs itself.

    min(on hand - backorders, position - order-up-to - keep_days x daily demand), floored at 0; all free
    stock for blocked (dead or discontinued) rows.
    """
    free = on_hand - backorders
    above = position - order_up_to - keep_days * daily_demand
    return np.floor(np.maximum(np.where(blocked, free, np.minimum(free, above)), 0.0))


def allocate_transfers(
    group: np.ndarray, excess: np.ndarray, need: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-shortfall transfers within groups (SKUs): the rule shared by the plan and the replay.

    ``group`` holds integer codes with rows ordered so that ties resolve to the earlier row. Per group the
    row with the largest excess gives; rows with need > 0 are served largest need first (ties: earlier
    row) while the cumulative need fits in the donor's excess; a row is served fully or not at all.
    Returns (receiver rows, donor rows), aligned; each receiver gets its ``need``.
    """
    n = len(group)
    rows = np.arange(n)
    empty = np.zeros(0, dtype=np.int64)
    has_excess = excess > 0
    if not has_excess.any() or not (need > 0).any():
        return empty, empty
    cand = rows[has_excess]
    cand = cand[np.lexsort((cand, -excess[cand], group[cand]))]
    first = np.ones(len(cand), dtype=bool)
    first[1:] = group[cand][1:] != group[cand][:-1]
    n_groups = int(group.max()) + 1
    donor = np.full(n_groups, -1, dtype=np.int64)
    donor[group[cand[first]]] = cand[first]
    r = rows[(need > 0) & (donor[group] >= 0)]
    r = r[r != donor[group[r]]]
    if not len(r):
        return empty, empty
    r = r[np.lexsort((r, -need[r], group[r]))]
    g = group[r]
    cum = np.cumsum(need[r])
    start = np.ones(len(r), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    before = np.maximum.accumulate(np.where(start, cum - need[r], 0.0))
    cum_in_group = cum - before
    ok = cum_in_group <= excess[donor[g]]
    return r[ok], donor[g[ok]]
