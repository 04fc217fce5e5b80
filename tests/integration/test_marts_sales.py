"""Sales and purchasing marts on a hand-made extract set, against figures worked out here from the rules.

Five complete weeks (Mon 2025-01-06 .. Sun 2025-02-09, the data date), SKUs A, B, C in warehouses W1, W2.
Order lines cover: full, split and late, short-closed (A@W1 runs out on 01-21 until a late receipt on
01-28), ordered on 31 January and shipped in February, overdue open, open not yet due, cancelled,
unknown shipped quantity, a USD price, no requested date. Purchase order lines cover: late, split,
short-closed, open and overdue, open not yet due, cancelled, no expected date.
Unit costs are constant per SKU (A 5, B 2, C 1), so COGS = units shipped x cost.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest

D = date.fromisoformat
DATA_DATE = D("2025-02-09")
SALES_DUE_DAYS = 3  # var sales_default_due_days
LOOKBACK_DAYS = 56  # var lost_sales_lookback_days
USD_RATE = 7.0
COST = {"A": 5.0, "B": 2.0, "C": 1.0}
SUPPLIER_QUOTED_DAYS = {"S1": 5, "S2": 10}

# fmt: off
# order_id, line_no, order_date, sku, warehouse, ordered, shipped, ship_date, requested, customer, price, currency, status
SALES = [
    ["S1", "1", "2025-01-07", "A", "W1", 5, 5, "2025-01-08", "2025-01-08", "C1", 10, "CNY", "closed"],
    ["S1", "2", "2025-01-07", "B", "W1", 4, 4, "2025-01-10", "2025-01-08", "C1", 20, "CNY", "closed"],  # split, late
    ["S2", "1", "2025-01-14", "A", "W1", 6, 6, "2025-01-14", "2025-01-15", "C1", 10, "CNY", "closed"],
    ["S3", "1", "2025-01-21", "A", "W1", 12, 9, "2025-01-21", "2025-01-22", "C2", 10, "CNY", "closed"],  # short
    ["S3", "2", "2025-01-21", "C", "W1", 2, 2, "2025-01-21", None, "C2", 3, "USD", "closed"],  # due 01-24
    ["S4", "1", "2025-01-31", "A", "W1", 4, 4, "2025-02-01", "2025-02-01", "C1", 10, "CNY", "closed"],
    ["S4", "2", "2025-01-31", "B", "W1", 3, 3, "2025-02-03", "2025-02-01", "C1", 20, "CNY", "closed"],  # late
    ["S5", "1", "2025-02-03", "A", "W1", 5, 0, None, "2025-02-05", "C3", 10, "CNY", "open"],  # overdue
    ["S5", "2", "2025-02-03", "B", "W2", 2, 0, None, "2025-02-12", "C3", 20, "CNY", "open"],  # not yet due
    ["S6", "1", "2025-02-04", "A", "W1", 3, 0, None, "2025-02-05", "C3", 10, "CNY", "cancelled"],
    ["S6", "2", "2025-02-04", "C", "W2", 5, 5, "2025-02-05", "2025-02-06", "C3", 3, "CNY", "closed"],
    ["S6", "3", "2025-02-04", "B", "W1", 1, None, None, "2025-02-05", "C3", 20, "CNY", "closed"],  # unknown
    ["S7", "1", "2025-02-09", "A", "W2", 2, 2, "2025-02-09", "2025-02-09", "C2", 10, "CNY", "closed"],
]
# po_id, line_no, order_date, supplier, sku, warehouse, ordered, expected, status
POS = [
    ["P1", "1", "2025-01-14", "S1", "A", "W1", 30, "2025-01-24", "closed"],  # late
    ["P1", "2", "2025-01-14", "S1", "B", "W1", 20, "2025-01-24", "closed"],  # split, on time
    ["P2", "1", "2025-01-08", "S2", "C", "W1", 10, "2025-01-15", "closed"],  # short-closed
    ["P2", "2", "2025-01-20", "S2", "C", "W2", 10, "2025-02-03", "open"],  # partial, overdue
    ["P3", "1", "2025-02-05", "S2", "A", "W2", 10, "2025-02-15", "open"],  # not yet due
    ["P3", "2", "2025-02-05", "S1", "B", "W2", 10, "2025-02-12", "cancelled"],
    ["P4", "1", "2025-01-10", "S1", "C", "W2", 6, None, "closed"],  # due = order + quoted 5 days
]
# receipt_id, line_no, receipt_date, sku, warehouse, qty, po_id, po_line_no
RECEIPTS = [
    ["R1", "1", "2025-01-28", "A", "W1", 30, "P1", "1"],
    ["R2", "1", "2025-01-20", "B", "W1", 12, "P1", "2"],
    ["R3", "1", "2025-01-23", "B", "W1", 8, "P1", "2"],
    ["R4", "1", "2025-01-15", "C", "W1", 8, "P2", "1"],
    ["R5", "1", "2025-02-01", "C", "W2", 4, "P2", "2"],
    ["R6", "1", "2025-01-16", "C", "W2", 6, "P4", "1"],
]
OPENING = {("A", "W1"): 20, ("A", "W2"): 100, ("B", "W1"): 100, ("B", "W2"): 100, ("C", "W1"): 100, ("C", "W2"): 100}
FIRST_DAY = D("2025-01-06")
# fmt: on


def extracts() -> dict:
    po_supplier = {(p[0], p[1]): p[3] for p in POS}
    return {
        "warehouses.csv": (["warehouse_id", "warehouse_name"], [["W1", "Main"], ["W2", "South"]]),
        "suppliers.csv": (
            ["supplier_id", "supplier_name", "lead_time_days"],
            [[s, f"Supplier {s}", days] for s, days in SUPPLIER_QUOTED_DAYS.items()],
        ),
        "items.csv": (
            ["sku", "sku_name", "unit_cost", "supplier_id", "lead_time_days", "status"],
            [
                ["A", "Cup", 5, "S1", 7, "active"],
                ["B", "Bowl", 2, "S1", 7, "active"],
                ["C", "Mug", 1, "S2", 9, "active"],
            ],
        ),
        "fx_rates.csv": (["rate_date", "currency", "rate"], [["2025-01-06", "USD", USD_RATE]]),
        "stock_snapshots.csv": (
            ["snapshot_date", "sku", "warehouse_id", "on_hand_qty", "unit_cost"],
            [[FIRST_DAY.isoformat(), s, w, q, COST[s]] for (s, w), q in OPENING.items()],
        ),
        "sales_orders.csv": (
            [
                "order_id",
                "line_no",
                "order_date",
                "sku",
                "warehouse_id",
                "ordered_qty",
                "shipped_qty",
                "ship_date",
                "requested_date",
                "customer_id",
                "unit_price",
                "currency",
                "line_status",
            ],
            SALES,
        ),
        "purchase_orders.csv": (
            [
                "po_id",
                "line_no",
                "order_date",
                "supplier_id",
                "sku",
                "warehouse_id",
                "ordered_qty",
                "expected_date",
                "unit_cost",
                "line_status",
            ],
            [[*p[:8], COST[p[4]], p[8]] for p in POS],
        ),
        "receipts.csv": (
            [
                "receipt_id",
                "line_no",
                "receipt_date",
                "sku",
                "warehouse_id",
                "received_qty",
                "po_id",
                "po_line_no",
                "supplier_id",
                "unit_cost",
            ],
            [[*r, po_supplier[(r[6], r[7])], COST[r[3]]] for r in RECEIPTS],
        ),
    }


# ---------------------------------------------------------------------------------------------
# The rules, worked out line by line in Python.


def month_of(day: date) -> date:
    return day.replace(day=1)


def sales_lines() -> list[dict]:
    out = []
    for oid, _line_no, od, sku, wh, ordered, shipped, sd, req, cust, price, cur, status in SALES:
        od, sd = D(od), (D(sd) if sd else None)
        due = D(req) if req else od + timedelta(days=SALES_DUE_DAYS)
        if status == "cancelled" or ordered <= 0 or shipped is None:
            counted = False
        elif status == "open" and shipped < ordered and due > DATA_DATE:
            counted = False  # not yet due
        else:
            counted = True
        complete = counted and shipped >= ordered
        on_time = counted and sd is not None and sd <= due
        rate = USD_RATE if cur == "USD" else 1.0
        out.append(
            dict(
                order_id=oid,
                sku=sku,
                wh=wh,
                order_date=od,
                month=month_of(od),
                customer=cust,
                status=status,
                ordered=ordered,
                counted=counted,
                complete=complete,
                otif=complete and on_time,
                filled=min(shipped, ordered) if counted else 0,
                value_ordered=ordered * price * rate,
                value_shipped=(min(shipped, ordered) if counted else 0) * price * rate,
                is_demand=status != "cancelled" and ordered > 0,
            )
        )
    return out


def daily_on_hand(sku: str, wh: str) -> dict[date, float]:
    """End-of-day stock: the opening snapshot, then receipts in and shipments (on their ship date) out."""
    moves: dict[date, float] = {}
    for r in RECEIPTS:
        if (r[3], r[4]) == (sku, wh):
            moves[D(r[2])] = moves.get(D(r[2]), 0) + r[5]
    for s in SALES:
        if (s[3], s[4]) == (sku, wh) and s[6]:
            moves[D(s[7])] = moves.get(D(s[7]), 0) - s[6]
    on_hand, day, out = float(OPENING[(sku, wh)]), FIRST_DAY, {}
    while day <= DATA_DATE:
        if day > FIRST_DAY:  # the snapshot is the closing balance of the first day
            on_hand += moves.get(day, 0)
        out[day] = on_hand
        day += timedelta(days=1)
    return out


def stock_months(sku: str, wh: str, lines: list[dict]) -> dict[date, tuple[int, float]]:
    """(stockout days, estimated lost units) per month: each stockout day at the in-stock demand rate of the
    previous LOOKBACK_DAYS days (units ordered on in-stock days / in-stock days)."""
    on_hand = daily_on_hand(sku, wh)
    demand: dict[date, float] = {}
    for ln in lines:
        if (ln["sku"], ln["wh"]) == (sku, wh) and ln["is_demand"]:
            demand[ln["order_date"]] = demand.get(ln["order_date"], 0) + ln["ordered"]
    out: dict[date, tuple[int, float]] = {}
    for day, qty in on_hand.items():
        days, lost = out.get(month_of(day), (0, 0.0))
        if qty <= 0:
            prior = [p for p in on_hand if day - timedelta(days=LOOKBACK_DAYS) <= p < day and on_hand[p] > 0]
            rate = sum(demand.get(p, 0) for p in prior) / len(prior) if prior else 0.0
            days, lost = days + 1, lost + rate
        out[month_of(day)] = (days, lost)
    return out


# ---------------------------------------------------------------------------------------------


@pytest.fixture
def con(build_warehouse):
    return build_warehouse(extracts())


def rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_sales_and_purchasing_marts_match_the_rules(con):
    lines = sales_lines()
    check_fill_rate(con, lines)
    check_order_fill_rate(con, lines)
    check_supplier_performance(con)
    check_dim_skus(con, lines)


def check_fill_rate(con, lines: list[dict]) -> None:
    mart = {
        (r["sku"], r["warehouse_id"], r["month_start"]): r
        for r in rows(con, "select * from marts.fct_fill_rate")
    }
    keys = {(ln["sku"], ln["wh"], ln["month"]) for ln in lines} | {
        (s, w, m) for (s, w) in OPENING for m in (D("2025-01-01"), D("2025-02-01"))
    }
    assert set(mart) == keys
    for key in keys:
        group = [ln for ln in lines if (ln["sku"], ln["wh"], ln["month"]) == key]
        counted = [ln for ln in group if ln["counted"]]
        row = mart[key]
        assert row["order_lines"] == len(counted), key
        assert row["lines_shipped_complete"] == sum(ln["complete"] for ln in counted), key
        assert row["lines_on_time_in_full"] == sum(ln["otif"] for ln in counted), key
        assert row["units_ordered"] == sum(ln["ordered"] for ln in counted), key
        assert row["units_shipped"] == sum(ln["filled"] for ln in counted), key
        assert row["lines_cancelled"] == sum(ln["status"] == "cancelled" for ln in group), key
        if counted:
            assert row["line_fill_rate"] == pytest.approx(row["lines_shipped_complete"] / len(counted))
            assert row["unit_fill_rate"] == pytest.approx(
                sum(ln["filled"] for ln in counted) / sum(ln["ordered"] for ln in counted)
            )
            assert row["value_fill_rate"] == pytest.approx(
                sum(ln["value_shipped"] for ln in counted) / sum(ln["value_ordered"] for ln in counted)
            )
        else:
            assert row["line_fill_rate"] is None and row["unit_fill_rate"] is None
        stockout_days, lost = stock_months(key[0], key[1], lines).get(key[2], (0, 0.0))
        assert row["stockout_days"] == stockout_days, key
        assert row["estimated_lost_units"] == pytest.approx(lost), key

    # spelled out for the series that runs out: A@W1 in January
    jan = mart[("A", "W1", D("2025-01-01"))]
    assert (
        jan["order_lines"],
        jan["lines_shipped_complete"],
        jan["units_ordered"],
        jan["units_shipped"],
    ) == (4, 3, 27, 24)
    # out of stock 01-21..01-27 (7 days); in stock 01-06..01-20 (15 days) with 5 + 6 units ordered
    assert jan["stockout_days"] == 7
    assert jan["estimated_lost_units"] == pytest.approx(7 * 11 / 15)
    feb = mart[("A", "W1", D("2025-02-01"))]  # the overdue open line counts, the cancelled one does not
    assert (feb["order_lines"], feb["lines_shipped_complete"], feb["lines_cancelled"]) == (1, 0, 1)
    usd = mart[("C", "W1", D("2025-01-01"))]
    assert usd["value_ordered"] == pytest.approx(2 * 3 * USD_RATE)
    b_w2 = mart[("B", "W2", D("2025-02-01"))]
    assert (b_w2["order_lines"], b_w2["lines_not_yet_due"]) == (0, 1)
    b_w1 = mart[("B", "W1", D("2025-02-01"))]
    assert (b_w1["order_lines"], b_w1["lines_shipped_qty_unknown"]) == (0, 1)


def check_order_fill_rate(con, lines: list[dict]) -> None:
    orders: dict[tuple, list[dict]] = {}
    for ln in lines:
        if ln["counted"]:
            orders.setdefault((ln["order_id"], ln["wh"]), []).append(ln)
    expected: dict[tuple, list[int]] = {}
    for (_, wh), order in orders.items():
        key = (min(ln["month"] for ln in order), wh, order[0]["customer"])
        agg = expected.setdefault(key, [0, 0, 0])
        agg[0] += 1
        agg[1] += all(ln["complete"] for ln in order)
        agg[2] += all(ln["otif"] for ln in order)
    mart = {
        (r["month_start"], r["warehouse_id"], r["customer_id"]): r
        for r in rows(con, "select * from marts.fct_order_fill_rate")
    }
    assert set(mart) == set(expected)
    for key, (n, complete, otif) in expected.items():
        row = mart[key]
        assert (row["orders"], row["orders_shipped_complete"], row["orders_on_time_in_full"]) == (
            n,
            complete,
            otif,
        )
        assert row["order_fill_rate"] == pytest.approx(complete / n)
        assert row["otif_rate"] == pytest.approx(otif / n)
    # January, W1, C1: S1 (complete, one line late), S2 (perfect), S4 (complete, one line late)
    assert mart[(D("2025-01-01"), "W1", "C1")]["orders_on_time_in_full"] == 1
    # S5 in W2 has only a not-yet-due line, S6 in W1 only cancelled / unknown lines: W1 keeps S5, W2 keeps S6
    assert mart[(D("2025-02-01"), "W1", "C3")]["orders"] == 1
    assert mart[(D("2025-02-01"), "W2", "C3")]["orders"] == 1


def check_supplier_performance(con) -> None:
    received: dict[tuple, list[tuple[date, float]]] = {}
    for r in RECEIPTS:
        received.setdefault((r[6], r[7]), []).append((D(r[2]), r[5]))
    per_line = []
    for po, ln, od, sup, sku, _wh, ordered, exp, status in POS:
        if status == "cancelled":
            continue
        od = D(od)
        due = D(exp) if exp else od + timedelta(days=SUPPLIER_QUOTED_DAYS[sup])
        got = received.get((po, ln), [])
        qty = sum(q for _, q in got)
        delivered = bool(got) and (qty >= ordered or status == "closed")
        last = max((d for d, _ in got), default=None)
        per_line.append(
            dict(
                sup=sup,
                sku=sku,
                ordered=ordered,
                received=qty,
                delivered=delivered,
                due=delivered or due < DATA_DATE,
                on_time=delivered and last <= due,
                lead=(last - od).days if delivered else None,
            )
        )
    mart = {r["supplier_id"]: r for r in rows(con, "select * from marts.fct_supplier_performance")}
    assert set(mart) == {"S1", "S2"}
    for sup, row in mart.items():
        mine = [p for p in per_line if p["sup"] == sup]
        due = [p for p in mine if p["due"]]
        leads = [p["lead"] for p in mine if p["lead"] is not None]
        assert row["po_lines"] == len(mine)
        assert row["po_lines_due"] == len(due)
        assert row["po_lines_on_time"] == sum(p["on_time"] for p in mine)
        assert row["on_time_rate"] == pytest.approx(sum(p["on_time"] for p in mine) / len(due))
        assert row["units_ordered"] == sum(p["ordered"] for p in due)
        assert row["units_received"] == sum(p["received"] for p in due)
        assert row["lead_time_lines"] == len(leads)
        assert row["lead_time_days_mean"] == pytest.approx(statistics.mean(leads))
        if len(leads) > 1:
            assert row["lead_time_days_std"] == pytest.approx(statistics.stdev(leads))
        else:
            assert row["lead_time_days_std"] is None
    # S1: P1/1 14 days (late), P1/2 split, last part on day 9 (on time), P4/1 6 days (no expected date:
    # due after the quoted 5 days, so late); P3/2 cancelled
    s1 = mart["S1"]
    assert (s1["po_lines"], s1["po_lines_on_time"], s1["lead_time_days_mean"]) == (
        3,
        1,
        pytest.approx(29 / 3),
    )
    assert s1["lead_time_days_std"] == pytest.approx(
        math.sqrt(((14 - 29 / 3) ** 2 + (9 - 29 / 3) ** 2 + (6 - 29 / 3) ** 2) / 2)
    )
    # S2: P2/1 short-closed on time (7 days), P2/2 partly received and overdue (late), P3/1 not due yet
    s2 = mart["S2"]
    assert (s2["po_lines"], s2["po_lines_due"], s2["po_lines_on_time"], s2["lead_time_days_mean"]) == (
        3,
        2,
        1,
        7,
    )
    assert (s2["units_ordered"], s2["units_received"]) == (20, 12)

    sku_mart = {
        (r["supplier_id"], r["sku"]): r for r in rows(con, "select * from marts.fct_supplier_sku_performance")
    }
    assert set(sku_mart) == {(p["sup"], p["sku"]) for p in per_line}
    assert sku_mart[("S1", "B")]["lead_time_days_mean"] == 9
    assert sku_mart[("S1", "B")]["quoted_lead_time_days"] == 7  # the item master's, B's main supplier is S1
    # C's main supplier is S2: the supplier's own quote
    assert sku_mart[("S1", "C")]["quoted_lead_time_days"] == 5


def check_dim_skus(con, lines: list[dict]) -> None:
    dim = {r["sku"]: r for r in rows(con, "select * from marts.dim_skus")}
    assert set(dim) == {"A", "B", "C"}

    # ABC: COGS = units shipped x constant cost; a SKU is A while the SKUs before it hold < 80 %, B < 95 %
    shipped = {s: 0.0 for s in COST}
    for s in SALES:
        shipped[s[3]] += s[6] or 0
    cogs = {s: shipped[s] * COST[s] for s in COST}
    assert cogs == {"A": 130.0, "B": 14.0, "C": 7.0}
    total, before = sum(cogs.values()), 0.0
    for sku in sorted(cogs, key=lambda s: (-cogs[s], s)):
        expected_class = "A" if before / total < 0.8 else "B" if before / total < 0.95 else "C"
        before += cogs[sku]
        assert dim[sku]["abc_cogs_value"] == pytest.approx(cogs[sku])
        assert dim[sku]["abc_cumulative_share"] == pytest.approx(before / total)
        assert dim[sku]["abc_class"] == expected_class, sku
    assert [dim[s]["abc_class"] for s in "ABC"] == ["A", "B", "C"]  # 0 / 86 % / 95.4 % precede them

    # weekly demand (ordered, not cancelled), all warehouses, from each SKU's first week with demand
    weeks = [FIRST_DAY + timedelta(weeks=k) for k in range(5)]
    for sku in "ABC":
        by_week = {w: 0.0 for w in weeks}
        for ln in lines:
            if ln["sku"] == sku and ln["is_demand"]:
                by_week[ln["order_date"] - timedelta(days=ln["order_date"].weekday())] += ln["ordered"]
        first = min(w for w, q in by_week.items() if q > 0)
        series = [q for w, q in by_week.items() if w >= first]
        nonzero = [q for q in series if q > 0]
        cv = statistics.pstdev(series) / statistics.mean(series)
        adi = len(series) / len(nonzero)
        cv2 = (statistics.pstdev(nonzero) / statistics.mean(nonzero)) ** 2
        row = dim[sku]
        assert (row["weeks_observed"], row["weeks_with_demand"]) == (len(series), len(nonzero)), sku
        assert row["demand_cv"] == pytest.approx(cv), sku
        assert row["xyz_class"] == ("X" if cv < 0.5 else "Y" if cv < 1.0 else "Z"), sku
        assert row["adi"] == pytest.approx(adi), sku
        assert row["demand_size_cv2"] == pytest.approx(cv2), sku
        pattern = {(True, True): "smooth", (True, False): "erratic", (False, True): "intermittent"}.get(
            (adi < 1.32, cv2 < 0.49), "lumpy"
        )
        assert row["demand_pattern"] == pattern, sku
    # A ordered every week: [5, 6, 12, 4, 7]; B [4, 0, 0, 3, 3]; C from week 3: [2, 0, 5]
    assert [(dim[s]["xyz_class"], dim[s]["demand_pattern"]) for s in "ABC"] == [
        ("X", "smooth"),
        ("Y", "intermittent"),
        ("Y", "intermittent"),
    ]
