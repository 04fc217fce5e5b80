"""UCI "Sales Transactions Dataset Weekly" (Tan & San Lau; UCI Machine Learning Repository id 396; CC BY 4.0):
weekly purchased units of 811 products over 52 weeks (``W0`` .. ``W51``, no calendar dates), read from
``../shared/data/real/uci_sales_transactions_weekly.csv`` beside the checkout (``STOCKFLOW_REAL_DATA``
points elsewhere). 28% of product-weeks are zero; there are no drivers.

Protocol (ours; the set has no published forecasting protocol): three rolling origins one horizon apart,
each trained on every week up to it and forecasting the next 4 weeks: weeks 40-43, 44-47 and 48-51 are
scored (12 of 52 weeks, every product). Metrics: WAPE of the point forecast (the median, ``p50``), which is
the usual figure of a replenishment planner, and MASE and RMSSE of the mean (scaled by each product's
in-sample one-week naive error, as in the M4/M5 competitions). Weeks get dates (week ``k`` ends
``2024-01-07 + 7k``) only because ``fit_predict`` takes dates; no calendar feature can be learned from
one year.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

HORIZON = 4
ORIGIN_WEEKS = (39, 43, 47)  # last training week of each round
FIRST_WEEK_END = pd.Timestamp("2024-01-07")


def data_path() -> Path:
    root = os.environ.get("STOCKFLOW_REAL_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
    return base / "uci_sales_transactions_weekly.csv"


def load() -> pd.DataFrame:
    """Long frame sku, warehouse_id, date, qty, week."""
    path = data_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (set STOCKFLOW_REAL_DATA to the folder holding it)")
    wide = pd.read_csv(path)
    weeks = [f"W{k}" for k in range(52)]
    long = wide.melt(id_vars="Product_Code", value_vars=weeks, var_name="w", value_name="qty")
    long["week"] = long["w"].str[1:].astype(int)
    return pd.DataFrame(
        {
            "sku": long["Product_Code"].astype(str),
            "warehouse_id": "all",
            "date": FIRST_WEEK_END + pd.to_timedelta(long["week"] * 7, unit="D"),
            "qty": long["qty"].astype(np.float64),
            "week": long["week"],
        }
    ).sort_values(["sku", "week"], ignore_index=True)
