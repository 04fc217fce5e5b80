"""Input shaping: key columns as strings, quantities summed per SKU x warehouse, parameter rows merged,
and the supply parameters (lead time, review period, MOQ, pack, class, status) after their fallbacks.

The fallbacks are those listed in the package docstring (``models_ml/replenishment/__init__.py``).
Pure numpy/pandas/scipy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.service import service_levels

KEYS = ["sku", "warehouse_id"]
DISCONTINUED_STATUSES = ("discontinued", "inactive", "obsolete", "blocked")
_WEEKDAYS = {d: i for i, d in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])}


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
    """Apply the fallbacks of the package docstring to merged parameter rows."""
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
