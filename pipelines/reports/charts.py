"""Small charts for Dagster asset metadata: PNGs embedded in markdown (the UI renders data URIs).

matplotlib with the Agg backend (no display); each function takes plain frames and returns markdown.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def _markdown_png(fig, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f"![{alt}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"


def forecast_vs_actual(forecasts: pd.DataFrame, top_n: int = 6) -> str:
    """Backtest forecasts (model p50 and p90, seasonal naive) against actuals for the top series by volume.

    `forecasts`: the backtest's long frame with method, sku, warehouse_id, date, p50, p90, y.
    """
    model = forecasts[forecasts["method"] == "model"]
    top = model.groupby(["sku", "warehouse_id"])["y"].sum().nlargest(top_n).index
    cols = 3
    rows = max(1, -(-len(top) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.6 * rows), squeeze=False, sharex=False)
    for ax, (sku, wh) in zip(axes.flat, top, strict=False):
        series = forecasts[(forecasts["sku"] == sku) & (forecasts["warehouse_id"] == wh)]
        m = series[series["method"] == "model"].sort_values("date")
        ax.plot(m["date"], m["y"], color="black", lw=1, label="actual")
        ax.plot(m["date"], m["p50"], color="tab:blue", lw=1.2, label="model p50")
        ax.fill_between(m["date"], 0, m["p90"], color="tab:blue", alpha=0.15, label="model p90")
        naive = series[series["method"] == "seasonal_naive"].sort_values("date")
        if len(naive):
            ax.plot(naive["date"], naive["p50"], color="tab:orange", lw=0.8, ls="--", label="seasonal naive")
        ax.set_title(f"{sku} @ {wh}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(top) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Backtest: forecast vs actual, top series by volume", fontsize=10)
    return _markdown_png(fig, "forecast vs actual")


def simulation_vs_history(proposed: pd.DataFrame, history: pd.DataFrame) -> str:
    """Daily stock value and cumulative fill rate over the replay window: recorded history vs the policy."""
    cost = proposed.groupby(["sku", "warehouse_id"])["unit_cost"].first()
    hist = history.merge(cost.rename("unit_cost").reset_index(), on=["sku", "warehouse_id"], how="inner")
    hist["inventory_value"] = hist["on_hand_qty"].clip(lower=0) * hist["unit_cost"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.2))
    for frame, label, colour in (
        (hist, "recorded history", "tab:gray"),
        (proposed, "proposed policy", "tab:green"),
    ):
        daily = frame.groupby("date")[["inventory_value", "demand_qty", "shipped_qty"]].sum().sort_index()
        left.plot(daily.index, daily["inventory_value"], color=colour, label=label)
        right.plot(
            daily.index,
            daily["shipped_qty"].cumsum() / daily["demand_qty"].cumsum(),
            color=colour,
            label=label,
        )
    left.set_title("Stock value at cost", fontsize=10)
    right.set_title("Cumulative unit fill rate", fontsize=10)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=8)
    return _markdown_png(fig, "policy simulation")
