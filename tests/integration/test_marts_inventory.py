"""Inventory marts on a hand-made extract set, checked against figures worked out from first principles.

Five SKUs, two warehouses, 2024-12-01 .. 2025-02-07 (one old receipt, then a few busy weeks around the
January/February boundary). The expected numbers come from `_ledger`, a plain day-by-day loop over the
same events (perpetual moving-average cost, snapshot wins), plus a few figures written out by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

USD = 7.0  # CNY per USD over the whole fixture
AS_OF = date(2025, 2, 7)
START = date(2024, 12, 1)
D = date.fromisoformat

ITEMS = {  # sku -> (category, item master unit_cost, currency)
    "A": ("CUPS", 5.0, "CNY"),
    "B": ("PLATES", 2.0, "USD"),
    "C": ("CUPS", 3.0, "CNY"),
    "D": ("PLATES", 1.0, "CNY"),
    "E": ("CUPS", 4.0, "CNY"),
}
# receipt_id, date, sku, warehouse, qty, unit_cost, currency
RECEIPTS = [
    ("R0", "2024-12-01", "D", "W2", 40, 1.0, "CNY"),
    ("R1", "2025-01-20", "D", "W2", 10, 1.5, "CNY"),
    ("R2", "2025-01-26", "B", "W1", 20, 2.0, "USD"),
    ("R3", "2025-01-27", "A", "W1", 10, 8.0, "CNY"),
    ("R4", "2025-02-04", "A", "W1", 5, 1.5, "USD"),
    ("R5", "2025-02-05", "C", "W1", 4, 3.0, "CNY"),
]
# order_id, order_date, sku, warehouse, ordered, shipped (None = unknown), ship_date, price, status
ORDERS = [
    ("S1", "2025-01-25", "A", "W1", 4, 4, "2025-01-25", 12.0, "closed"),
    ("S2", "2025-01-28", "A", "W1", 10, 6, "2025-01-29", 11.0, "closed"),  # partial, short-closed
    ("S3", "2025-02-05", "A", "W1", 3, 3, "2025-02-06", 12.0, "closed"),
    ("S4", "2025-02-01", "B", "W1", 5, 0, None, 9.0, "cancelled"),
    ("S5", "2025-02-02", "D", "W2", 1, 1, "2025-02-02", 3.0, "closed"),
    ("S6", "2025-02-07", "A", "W1", 2, None, None, 12.0, "open"),  # shipped qty unknown
    ("S7", "2025-02-06", "E", "W1", 2, 0, None, 6.0, "open"),  # demand without any stock
]
# movement_id, date, sku, warehouse, type, signed qty, counterpart
MOVEMENTS = [
    ("M1", "2025-02-03", "A", "W1", "customer_return", 1, None),
    ("M2", "2025-02-06", "A", "W1", "transfer_out", -2, "W2"),
    ("M3", "2025-02-06", "A", "W2", "transfer_in", 2, "W1"),
]
# date, sku, warehouse, on_hand, unit_cost (CNY)
SNAPSHOTS = [
    ("2025-01-24", "A", "W1", 10, 5.0),  # opening balance of A at W1
    ("2025-01-31", "A", "W1", 9, 7.0),  # the ledger says 10: the snapshot wins, difference -1
    ("2025-01-31", "D", "W2", 50, 1.1),  # agrees with the ledger
]
PROMOTIONS = [
    ("P1", "A", "*", "2025-02-01", "2025-02-03", 20),
    ("P2", "D", "W2", "2025-02-02", "2025-02-02", 10),
]
VARS = "{dead_stock_no_sale_days: 10, slow_stock_window_days: 7, new_stock_days: 7}"


def _extracts() -> dict:
    return {
        "warehouses.csv": (["warehouse_id", "warehouse_name"], [["W1", "North"], ["W2", "South"]]),
        "items.csv": (
            ["sku", "sku_name", "category", "unit_cost", "currency"],
            [[sku, f"item {sku}", cat, cost, cur] for sku, (cat, cost, cur) in ITEMS.items()],
        ),
        "fx_rates.csv": (["rate_date", "currency", "rate"], [["2024-12-01", "USD", USD]]),
        "receipts.csv": (
            ["receipt_id", "receipt_date", "sku", "warehouse_id", "received_qty", "unit_cost", "currency"],
            [list(r) for r in RECEIPTS],
        ),
        "sales_orders.csv": (
            [
                "order_id",
                "order_date",
                "sku",
                "warehouse_id",
                "ordered_qty",
                "shipped_qty",
                "ship_date",
                "unit_price",
                "line_status",
            ],
            [list(o) for o in ORDERS],
        ),
        "stock_movements.csv": (
            [
                "movement_id",
                "movement_date",
                "sku",
                "warehouse_id",
                "movement_type",
                "qty",
                "counterpart_warehouse_id",
            ],
            [list(m) for m in MOVEMENTS],
        ),
        "stock_snapshots.csv": (
            ["snapshot_date", "sku", "warehouse_id", "on_hand_qty", "unit_cost", "currency"],
            [[*s, "CNY"] for s in SNAPSHOTS],
        ),
        "promotions.csv": (
            ["promo_id", "sku", "warehouse_id", "start_date", "end_date", "discount_pct"],
            [list(p) for p in PROMOTIONS],
        ),
    }


def _ledger() -> dict:
    """Day-by-day loop: closing = opening + in - out, the snapshot wins, perpetual moving-average cost."""
    fx = {"CNY": 1.0, "USD": USD}
    moves: dict = {}  # (sku, wh) -> day -> list of (class, qty, cost)
    for _, day, sku, wh, qty, cost, cur in RECEIPTS:
        moves.setdefault((sku, wh), {}).setdefault(D(day), []).append(("receipt", qty, cost * fx[cur]))
    for _, od, sku, wh, _, shipped, sd, _, _ in ORDERS:
        if shipped:
            moves.setdefault((sku, wh), {}).setdefault(D(sd or od), []).append(("shipment", -shipped, None))
    for _, day, sku, wh, kind, qty, _ in MOVEMENTS:
        moves.setdefault((sku, wh), {}).setdefault(D(day), []).append((kind, qty, None))
    snaps = {(s, w, D(d)): (q, c) for d, s, w, q, c in SNAPSHOTS}
    first: dict = {}
    for key, days in moves.items():
        first[key] = min(days)
    for s, w, d in snaps:
        first[(s, w)] = min(first.get((s, w), d), d)
    for _, od, sku, wh, *_, status in ORDERS:
        if status != "cancelled":
            first[(sku, wh)] = min(first.get((sku, wh), D(od)), D(od))

    out = {}
    for key, start in first.items():
        qty, cost, day, rows = 0.0, None, start, {}
        while day <= AS_OF:
            lines = moves.get(key, {}).get(day, [])
            net = sum(q for _, q, _ in lines)
            opening = qty if day > start else (snaps[(*key, day)][0] - net if (*key, day) in snaps else 0.0)
            rq = sum(q for k, q, _ in lines if k == "receipt")
            rv = sum(q * c for k, q, c in lines if k == "receipt")
            if (*key, day) in snaps:
                closing, cost = snaps[(*key, day)]
            else:
                closing = opening + net
                if rq:
                    cost = (
                        rv / rq if (cost is None or opening <= 0) else (opening * cost + rv) / (opening + rq)
                    )
            unit_cost = cost if cost is not None else ITEMS[key[0]][1] * fx[ITEMS[key[0]][2]]
            shipped = -sum(q for k, q, _ in lines if k == "shipment")
            returned = sum(q for k, q, _ in lines if k == "customer_return")
            rows[day] = {
                "opening": opening,
                "closing": closing,
                "diff": closing - (opening + net),
                "cost": unit_cost,
                "fallback": cost is None,
                "value": closing * unit_cost,
                "shipped": shipped,
                "returned": returned,
                "cogs": (shipped - returned) * unit_cost,
            }
            qty, day = closing, day + timedelta(days=1)
        out[key] = rows
    return out


@pytest.fixture(scope="module")
def expected() -> dict:
    return _ledger()


@pytest.fixture
def con(build_warehouse):
    return build_warehouse(_extracts(), dbt_args=("build", "--vars", VARS))


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_inventory_marts(con, expected):
    # Everything in one dbt build (slow to set up); each helper below checks one mart.
    _check_daily_stock(con, expected)
    _check_reconciliation(con)
    _check_demand(con)
    _check_turnover(con, expected)
    _check_dead_stock(con)


def _check_daily_stock(con, expected):
    rows = _rows(con, "select * from marts.fct_daily_stock order by sku, warehouse_id, date_day")
    got = {(r["sku"], r["warehouse_id"], r["date_day"]): r for r in rows}
    want = {(*key, day): v for key, days in expected.items() for day, v in days.items()}
    assert set(got) == set(want)  # the dense grid: every series from its first record to the data date
    for key, v in want.items():
        r = got[key]
        assert r["opening_qty"] == pytest.approx(v["opening"]), key
        assert r["on_hand_qty"] == pytest.approx(v["closing"]), key
        assert r["snapshot_adjustment_qty"] == pytest.approx(v["diff"]), key
        assert r["unit_cost"] == pytest.approx(v["cost"], rel=1e-6), key
        assert r["is_fallback_cost"] == v["fallback"], key
        assert r["on_hand_value"] == pytest.approx(v["value"], rel=1e-6), key
        assert r["cogs_value"] == pytest.approx(v["cogs"], rel=1e-6, abs=1e-9), key
        assert r["is_stockout"] == (v["closing"] <= 0), key  # every SKU here is listed all along

    # by hand: A at W1 opens with 10 @ 5, sells 4, receives 10 @ 8 -> (6 x 5 + 80) / 16 = 6.875
    a = {k[2]: r for k, r in got.items() if k[:2] == ("A", "W1")}
    assert a[D("2025-01-27")]["unit_cost"] == pytest.approx(6.875)
    assert a[D("2025-01-29")]["on_hand_qty"] == 10  # partial shipment: 6 of 10 ordered
    assert (a[D("2025-01-31")]["rollforward_qty"], a[D("2025-01-31")]["on_hand_qty"]) == (10, 9)
    # after the count: 9 @ 7, +1 return, then 5 @ 1.5 USD = 10.5 CNY -> (10 x 7 + 52.5) / 15
    assert a[D("2025-02-04")]["unit_cost"] == pytest.approx(122.5 / 15)
    assert a[D("2025-02-06")]["transfer_out_qty"] == 2 and a[D("2025-02-07")]["on_hand_qty"] == 10
    # A at W2 only has a transfer in: valued at the item master's cost, flagged
    aw2 = got[("A", "W2", AS_OF)]
    assert (aw2["on_hand_qty"], aw2["unit_cost"], aw2["is_fallback_cost"]) == (2, 5.0, True)
    # E has demand but no stock: a stockout from its first order
    assert [got[("E", "W1", d)]["is_stockout"] for d in (D("2025-02-06"), AS_OF)] == [True, True]


def _check_reconciliation(con):
    rows = _rows(con, "select * from marts.fct_stock_reconciliation")
    assert len(rows) == 1
    (r,) = rows
    assert (r["sku"], r["warehouse_id"], r["snapshot_date"]) == ("A", "W1", D("2025-01-31"))
    assert (r["previous_snapshot_date"], r["rollforward_qty"], r["snapshot_qty"]) == (D("2025-01-24"), 10, 9)
    assert (r["difference_qty"], r["difference_value"]) == (-1, pytest.approx(-7.0))


def _check_demand(con):
    rows = _rows(con, "select * from marts.fct_sku_daily_demand")
    got = {(r["sku"], r["warehouse_id"], r["date_day"]): r for r in rows}
    stock_keys = {
        k[:3] for k in con.execute("select sku, warehouse_id, date_day from marts.fct_daily_stock").fetchall()
    }
    assert set(got) == stock_keys  # same grid as fct_daily_stock
    demand: dict = {}
    for _, od, sku, wh, ordered, _, _, _, status in ORDERS:
        if status != "cancelled":
            demand[(sku, wh, D(od))] = demand.get((sku, wh, D(od)), 0) + ordered
    for key, r in got.items():
        assert r["ordered_qty"] == demand.get(key, 0), key
    assert sum(r["ordered_qty"] for r in rows) == 4 + 10 + 3 + 1 + 2 + 2  # S4 is cancelled
    assert got[("A", "W1", D("2025-01-28"))]["avg_unit_price"] == pytest.approx(11.0)
    assert got[("A", "W1", D("2025-01-29"))]["shipped_qty"] == 6
    assert got[("A", "W1", AS_OF)]["shipped_qty"] == 0  # unknown shipped qty ships nothing
    promo = {k for k, r in got.items() if r["is_on_promotion"]}
    assert promo == {("A", "W1", D(f"2025-02-0{d}")) for d in (1, 2, 3)} | {("D", "W2", D("2025-02-02"))}
    assert got[("D", "W2", D("2025-02-02"))]["max_discount_pct"] == 10
    assert got[("E", "W1", AS_OF)]["is_stockout"] is True


def _check_turnover(con, expected):
    rows = _rows(con, "select * from marts.fct_inventory_turnover")
    got = {(r["sku"], r["warehouse_id"], r["month_start"]): r for r in rows}
    days_in_month = {D("2024-12-01"): 31, D("2025-01-01"): 31, D("2025-02-01"): 7}  # data ends 02-07
    want: dict = {}
    for key, days in expected.items():
        for day, v in days.items():
            m = want.setdefault(
                (*key, day.replace(day=1)), {"cogs": 0.0, "vd": 0.0, "qd": 0.0, "shipped": 0.0}
            )
            m["cogs"] += v["cogs"]
            m["vd"] += v["value"]
            m["qd"] += v["closing"]
            m["shipped"] += v["shipped"]
    assert set(got) == set(want)
    for key, m in want.items():
        r, n = got[key], days_in_month[key[2]]
        assert r["days_in_period"] == n
        assert r["cogs_value"] == pytest.approx(m["cogs"], rel=1e-9, abs=1e-9)
        assert r["units_shipped"] == m["shipped"]
        assert r["avg_inventory_value"] == pytest.approx(m["vd"] / n)
        assert r["avg_on_hand_qty"] == pytest.approx(m["qd"] / n)
        assert r["turnover_ratio"] == (pytest.approx(m["cogs"] / (m["vd"] / n)) if m["vd"] > 0 else None)
        assert r["dio_days"] == (pytest.approx(m["vd"] / n / m["cogs"] * n) if m["cogs"] > 0 else None)

    # by hand, A at W1 in January: COGS 4 x 5 + 6 x 6.875 = 61.25; daily values 24-31 Jan
    jan = got[("A", "W1", D("2025-01-01"))]
    assert jan["cogs_value"] == pytest.approx(61.25)
    assert jan["inventory_value_days"] == pytest.approx(50 + 30 + 30 + 110 + 110 + 68.75 + 68.75 + 63)
    assert jan["dio_days"] == pytest.approx(530.5 / 61.25)
    # February nets the customer return: 3 x 122.5/15 - 1 x 7
    assert got[("A", "W1", D("2025-02-01"))]["cogs_value"] == pytest.approx(24.5 - 7.0)

    summary = _rows(con, "select * from marts.fct_inventory_turnover_summary")
    by = {(r["rollup_level"], r["category"], r["warehouse_id"], r["month_start"]): r for r in summary}
    for (level, cat, wh, month), r in by.items():
        members = [
            m
            for (sku, w, mo), m in want.items()
            if mo == month
            and (level != "category" or ITEMS[sku][0] == cat)
            and (level != "warehouse" or w == wh)
        ]
        cogs, vd, n = sum(m["cogs"] for m in members), sum(m["vd"] for m in members), days_in_month[month]
        assert r["cogs_value"] == pytest.approx(cogs, rel=1e-9, abs=1e-9)
        assert r["avg_inventory_value"] == pytest.approx(vd / n)
        assert r["dio_days"] == (pytest.approx(vd / cogs) if cogs > 0 else None)  # ratio of the sums
    company_jan = by[("company", "*", "*", D("2025-01-01"))]
    # A/W1 530.5; D/W2 19 days x 40 + 12 days x 50 @ 1.1; B/W1 6 days x 20 @ 14
    assert company_jan["inventory_value_days"] == pytest.approx(530.5 + 760 + 660 + 1680)


def _check_dead_stock(con):
    rows = {(r["sku"], r["warehouse_id"]): r for r in _rows(con, "select * from marts.fct_dead_stock")}
    status = {k: r["stock_status"] for k, r in rows.items()}
    # vars: dead = 10 days without a sale, slow window 7 days at 25% of stock, new = first receipt < 7 days
    assert status == {
        ("A", "W1"): "active",  # sold 02-06; 5 ordered in the window >= 25% of 10
        ("A", "W2"): "slow",  # 2 on hand, nothing ordered in the window
        ("B", "W1"): "dead",  # 20 on hand since 01-26, never sold (12 days)
        ("C", "W1"): "new",  # first receipt 02-05
        ("D", "W2"): "slow",  # sold 1 on 02-02: not dead, but 1 < 25% of 49
        ("E", "W1"): "active",  # no stock
    }
    a = rows[("A", "W1")]
    assert (a["last_sale_date"], a["days_since_last_sale"], a["last_movement_date"]) == (
        D("2025-02-06"),
        1,
        D("2025-02-06"),
    )
    # FIFO at 02-07, A at W1 holds 10: R4 5 @ 10.5 (02-04), the return 1 @ 7 (02-03), 4 of R3 @ 8 (01-27)
    assert a["age_0_30_qty"] == 10 and a["fifo_value"] == pytest.approx(52.5 + 7 + 32)
    assert a["avg_age_days"] == pytest.approx((5 * 3 + 1 * 4 + 4 * 11) / 10)
    # D at W2 holds 49: 10 from 01-20 (18 days) and 39 of the 40 from 2024-12-01 (68 days: 61-90)
    d = rows[("D", "W2")]
    assert (d["age_0_30_qty"], d["age_0_30_value"], d["age_61_90_qty"], d["age_61_90_value"]) == (
        10,
        15,
        39,
        39,
    )
    assert d["age_31_60_qty"] == 0 and d["on_hand_qty"] == 49
    b = rows[("B", "W1")]
    assert (b["on_hand_value"], b["last_sale_date"], b["days_without_sale"]) == (pytest.approx(280), None, 12)
