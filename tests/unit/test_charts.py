"""Charts embed a real PNG in markdown."""

import base64
import re

import numpy as np
import pandas as pd

from pipelines.reports.charts import forecast_vs_actual, simulation_vs_history


def _png(markdown: str) -> bytes:
    match = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert match, markdown[:80]
    data = base64.b64decode(match.group(1))
    assert data.startswith(b"\x89PNG")
    return data


def test_forecast_vs_actual_png():
    dates = pd.date_range("2025-06-01", periods=14)
    rows = []
    for method in ("model", "seasonal_naive"):
        for sku in ("A", "B"):
            rows.append(
                pd.DataFrame(
                    {
                        "method": method,
                        "sku": sku,
                        "warehouse_id": "W1",
                        "date": dates,
                        "y": np.arange(14.0),
                        "p50": np.arange(14.0) + 1,
                        "p90": np.arange(14.0) + 3,
                    }
                )
            )
    assert len(_png(forecast_vs_actual(pd.concat(rows), top_n=2))) > 5_000


def test_simulation_png():
    dates = pd.date_range("2025-01-01", periods=10)
    proposed = pd.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W1",
            "date": dates,
            "unit_cost": 2.0,
            "inventory_value": 20.0,
            "demand_qty": 3.0,
            "shipped_qty": 3.0,
        }
    )
    history = pd.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W1",
            "date": dates,
            "on_hand_qty": 12.0,
            "demand_qty": 3.0,
            "shipped_qty": 2.0,
        }
    )
    assert len(_png(simulation_vs_history(proposed, history))) > 5_000
