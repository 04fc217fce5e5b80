"""The policy simulation demo's inputs, rebuilt from the demo company's English extracts with pandas only
(no warehouse file): demand and what the ledger shows (on hand rebuilt from a snapshot plus the flows),
the opening stock, the pipeline, lead times, ABC x XYZ classes and the planning parameters. What each
is, is told in ``benchmarks/policy_simulation_demo.py``'s docstring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["sku", "warehouse_id"]


def _read(folder: Path, kind: str) -> pd.DataFrame:
    (path,) = sorted(folder.glob(f"{kind}_*"))
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"sku": "string", "warehouse_id": "string", "supplier_id": "string"})
    return pd.read_excel(path, engine="openpyxl", dtype={"sku": "string", "supplier_id": "string"})


def read_extracts(folder: Path) -> dict[str, pd.DataFrame]:
    """The extracts the inputs are built from, their dates parsed."""
    so = _read(folder, "sales_orders")
    items = _read(folder, "items")
    suppliers = _read(folder, "suppliers")
    po = _read(folder, "purchase_orders")
    rc = _read(folder, "receipts")
    snaps = _read(folder, "stock_snapshots")
    mv = _read(folder, "stock_movements")
    for df, cols in (
        (so, ["order_date", "ship_date"]),
        (po, ["order_date", "expected_date"]),
        (rc, ["receipt_date"]),
        (snaps, ["snapshot_date"]),
        (mv, ["movement_date"]),
    ):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    return {"so": so, "items": items, "suppliers": suppliers, "po": po, "rc": rc, "snaps": snaps, "mv": mv}


def daily_demand(live: pd.DataFrame) -> pd.DataFrame:
    """Ordered and shipped quantity per SKU x warehouse x order date, and whether a line shipped short."""
    demand = (
        live.groupby([*KEYS, "order_date"], as_index=False)
        .agg(qty=("ordered_qty", "sum"), shipped=("shipped_qty", "sum"))
        .rename(columns={"order_date": "date"})
    )
    short = live.assign(short=live["shipped_qty"] < live["ordered_qty"])
    short = short.groupby([*KEYS, "order_date"], as_index=False)["short"].any()
    return demand.merge(short.rename(columns={"order_date": "date"}), on=[*KEYS, "date"], how="left")


def rebuild_on_hand(
    ex: dict[str, pd.DataFrame], live: pd.DataFrame, demand: pd.DataFrame, start, end
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """End-of-day on hand, rebuilt from the last snapshot before the window plus the flows: (grid of
    series x days, the series, the base snapshot, the share of month-end snapshots matched within 3)."""
    snaps, rc, mv = ex["snaps"], ex["rc"], ex["mv"]
    base_date = snaps.loc[snaps["snapshot_date"] < start, "snapshot_date"].max()
    base = snaps[snaps["snapshot_date"] == base_date]
    flows = pd.concat(
        [
            rc[["sku", "warehouse_id", "receipt_date", "received_qty"]].set_axis(
                [*KEYS, "date", "qty"], axis=1
            ),
            mv[["sku", "warehouse_id", "movement_date", "qty"]].set_axis([*KEYS, "date", "qty"], axis=1),
            live.dropna(subset=["ship_date"])[["sku", "warehouse_id", "ship_date", "shipped_qty"]]
            .set_axis([*KEYS, "date", "qty"], axis=1)
            .assign(qty=lambda d: -d["qty"]),
        ]
    )
    flows = flows[(flows["date"] > base_date) & (flows["date"] <= end)]
    keys = pd.concat([demand[KEYS], base[KEYS], flows[KEYS]]).drop_duplicates().sort_values(KEYS)
    all_days = pd.date_range(base_date + pd.Timedelta(days=1), end)
    grid = keys.merge(pd.DataFrame({"date": all_days}), how="cross")
    daily_flow = flows.groupby([*KEYS, "date"], as_index=False)["qty"].sum()
    grid = grid.merge(daily_flow, on=[*KEYS, "date"], how="left").fillna({"qty": 0.0})
    grid = grid.merge(
        base[[*KEYS, "on_hand_qty"]].rename(columns={"on_hand_qty": "base"}), on=KEYS, how="left"
    )
    grid["on_hand_qty"] = grid["base"].fillna(0.0) + grid.groupby(KEYS)["qty"].cumsum()
    check = snaps[snaps["snapshot_date"] >= start].merge(
        grid[[*KEYS, "date", "on_hand_qty"]].rename(
            columns={"date": "snapshot_date", "on_hand_qty": "rebuilt"}
        ),
        on=[*KEYS, "snapshot_date"],
    )
    rebuild_match = float((check["rebuilt"] - check["on_hand_qty"]).abs().le(3).mean())
    return grid, keys, base, rebuild_match


def opening_stock(grid, keys, base, items, start) -> pd.DataFrame:
    """On hand the evening before the window, valued at the snapshot's unit cost (else the item master's)."""
    opening = grid[grid["date"] == start - pd.Timedelta(days=1)][[*KEYS, "on_hand_qty"]]
    stock = (
        opening.merge(keys, on=KEYS, how="right")
        .merge(base[[*KEYS, "unit_cost"]], on=KEYS, how="left")
        .merge(items[["sku", "unit_cost"]].rename(columns={"unit_cost": "item_cost"}), on="sku", how="left")
    )
    stock["unit_cost"] = stock["unit_cost"].fillna(stock["item_cost"])
    stock["on_hand_qty"] = stock["on_hand_qty"].fillna(0.0).clip(lower=0)
    return stock[[*KEYS, "on_hand_qty", "unit_cost"]]


def ledger_history(grid, demand, start) -> pd.DataFrame:
    """What the ledger shows in the window: demand, shipped, stockout days and end-of-day on hand."""
    history = grid[grid["date"] >= start][[*KEYS, "date", "on_hand_qty"]].merge(
        demand[demand["date"] >= start], on=[*KEYS, "date"], how="left"
    )
    history = history.rename(columns={"qty": "demand_qty", "shipped": "shipped_qty"})
    history["is_stockout_day"] = history["short"].astype("boolean").fillna(False).astype(bool)
    return history.fillna({"demand_qty": 0.0, "shipped_qty": 0.0})


def lead_times(po, rc, start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lead times, order date -> first receipt per PO line: mean and std per supplier of the lines ordered
    before the window, and the samples of the 365 days up to the end for the replay's arrivals."""
    first_rc = rc.groupby(["po_id", "po_line_no"], as_index=False)["receipt_date"].min()
    lines = po.merge(first_rc, left_on=["po_id", "line_no"], right_on=["po_id", "po_line_no"], how="left")
    lines["lead_time_days"] = (lines["receipt_date"] - lines["order_date"]).dt.days
    received = lines.dropna(subset=["lead_time_days"])
    measured = (
        received[received["order_date"] < start]
        .groupby("supplier_id")["lead_time_days"]
        .agg(lead_time_mean_days="mean", lead_time_std_days="std")
        .reset_index()
    )
    samples = received[received["order_date"] > end - pd.Timedelta(days=365)][
        ["supplier_id", "lead_time_days"]
    ]
    return measured, samples


def pipeline_at_start(po, rc, start, end) -> pd.DataFrame:
    """Lines ordered before the window, arriving on their actual receipt dates (open rests the day after
    the end)."""
    before = po[(po["order_date"] < start) & (po["line_status"] != "cancelled")]
    got = rc.merge(
        before[["po_id", "line_no"]], left_on=["po_id", "po_line_no"], right_on=["po_id", "line_no"]
    )
    pipe = got[got["receipt_date"] >= start][[*KEYS, "received_qty", "receipt_date"]].set_axis(
        [*KEYS, "qty", "expected_date"], axis=1
    )
    got_all = got.groupby(["po_id", "po_line_no"])["received_qty"].sum()
    still = before[before["line_status"] == "open"].set_index(["po_id", "line_no"])
    rest = still["ordered_qty"] - got_all.reindex(still.index).fillna(0)
    late = still.assign(qty=rest.to_numpy(), expected_date=end + pd.Timedelta(days=1))[
        [*KEYS, "qty", "expected_date"]
    ]
    return pd.concat([pipe, late[late["qty"] > 0]], ignore_index=True)


def classes(live, stock, keys, start, pre_year) -> tuple[pd.Series, pd.Series, pd.Series]:
    """ABC by consumption value and XYZ by weekly CV over the year before the window, and each series'
    last shipment before it."""
    pre = live[(live["order_date"] >= pre_year) & (live["order_date"] < start)]
    val = pre.merge(stock[[*KEYS, "unit_cost"]], on=KEYS, how="left")
    val = (val["shipped_qty"] * val["unit_cost"]).groupby([val["sku"], val["warehouse_id"]]).sum()
    val = val.reindex(pd.MultiIndex.from_frame(keys)).fillna(0.0).sort_values(ascending=False)
    share = val.cumsum() / max(val.sum(), 1e-9)
    abc = pd.Series(np.select([share <= 0.8, share <= 0.95], ["A", "B"], "C"), index=val.index)
    abc[val <= 0] = "C"
    weekly = (
        pre.assign(week=pre["order_date"].dt.to_period("W")).groupby([*KEYS, "week"])["ordered_qty"].sum()
    )
    weekly = weekly.unstack("week", fill_value=0).reindex(pd.MultiIndex.from_frame(keys), fill_value=0)
    mu, sd = weekly.mean(axis=1), weekly.std(axis=1)
    cv = (sd / mu.where(mu > 0)).fillna(np.inf)
    xyz = pd.Series(np.select([cv < 0.5, cv < 1.0], ["X", "Y"], "Z"), index=weekly.index)
    last_ship = live[live["ship_date"] < start].groupby(KEYS)["ship_date"].max()
    last_ship = last_ship.reindex(pd.MultiIndex.from_frame(keys))
    return abc, xyz, last_ship


def planning_params(ex, keys, measured, abc, xyz, last_ship, stock, start) -> pd.DataFrame:
    """Item master and supplier terms per series, measured lead times, classes, status and dead stock
    (on hand, nothing shipped in the 180 days before the window, launched before them)."""
    items, suppliers = ex["items"], ex["suppliers"]
    sup = suppliers[["supplier_id", "order_days", "lead_time_days"]].rename(
        columns={"order_days": "order_weekdays", "lead_time_days": "supplier_lead_time_days"}
    )
    item_cols = ["sku", "supplier_id", "moq", "pack_size", "max_order_qty", "lead_time_days", "launch_date"]
    it = items[[*item_cols, "discontinued_date"]].copy()
    it["discontinued_date"] = pd.to_datetime(it["discontinued_date"])
    it["launch_date"] = pd.to_datetime(it["launch_date"])
    params = keys.merge(it, on="sku", how="left").merge(sup, on="supplier_id", how="left")
    params = params.merge(measured, on="supplier_id", how="left")
    idx = pd.MultiIndex.from_frame(params[KEYS])
    params["abc_class"] = abc.reindex(idx).to_numpy()
    params["xyz_class"] = xyz.reindex(idx).to_numpy()
    params["status"] = np.where(params["discontinued_date"] <= start, "discontinued", "active")
    on_hand0 = stock.set_index(KEYS)["on_hand_qty"].reindex(idx).fillna(0).to_numpy()
    quiet = (
        last_ship.reindex(idx).isna() | (last_ship.reindex(idx) < start - pd.Timedelta(days=180))
    ).to_numpy()
    old = (params["launch_date"] < start - pd.Timedelta(days=180)).to_numpy()
    params["is_dead_stock"] = (on_hand0 > 0) & quiet & old
    return params


def build_inputs(folder: Path, window_days: int) -> dict[str, object]:
    """Everything the replay of the last ``window_days`` days needs, and what it is compared with."""
    ex = read_extracts(folder)
    so = ex["so"]
    end = so["order_date"].max().normalize()
    start = end - pd.Timedelta(days=window_days - 1)
    pre_year = start - pd.Timedelta(days=365)

    live = so[so["line_status"] != "cancelled"]
    demand = daily_demand(live)
    grid, keys, base, rebuild_match = rebuild_on_hand(ex, live, demand, start, end)
    stock = opening_stock(grid, keys, base, ex["items"], start)
    history = ledger_history(grid, demand, start)
    measured, samples = lead_times(ex["po"], ex["rc"], start, end)
    open_pos = pipeline_at_start(ex["po"], ex["rc"], start, end)
    abc, xyz, last_ship = classes(live, stock, keys, start, pre_year)
    params = planning_params(ex, keys, measured, abc, xyz, last_ship, stock, start)
    dem = demand[["sku", "warehouse_id", "date", "qty"]]
    return {
        "demand": dem,
        "params": params,
        "stock": stock,
        "open_pos": open_pos,
        "samples": samples,
        "history": history,
        "start": start,
        "end": end,
        "rebuild_match": rebuild_match,
    }
