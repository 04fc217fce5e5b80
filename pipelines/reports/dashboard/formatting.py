"""Numbers as the dashboard shows them: thousands separators, percentages, '–' for a missing value.

Also the one derived figure several panels share: turnover annualised from COGS and average inventory.
"""

from __future__ import annotations

import math

import pandas as pd


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def fmt_number(value, decimals: int = 0) -> str:
    """Thousands separators; '–' for a missing value."""
    return "–" if missing(value) else f"{float(value):,.{decimals}f}"


def fmt_percent(value, decimals: int = 1) -> str:
    return "–" if missing(value) else f"{float(value) * 100:.{decimals}f}%"


def annualised_turnover(cogs_value, avg_inventory_value, days):
    """COGS over average inventory, scaled to a year (365 / DIO); NaN without inventory or days."""
    ok = (avg_inventory_value > 0) & (days > 0)
    return (cogs_value / avg_inventory_value.where(ok)) * 365 / days.where(ok)
