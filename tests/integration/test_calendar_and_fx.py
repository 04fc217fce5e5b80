"""Calendar and FX rates on a hand-made extract set, checked against values worked out by hand."""

from datetime import date


def test_calendar_spans_the_data_and_fx_carries_forward(build_warehouse):
    con = build_warehouse(
        {
            "warehouses.csv": (["warehouse_id", "warehouse_name"], [["W1", "Main"]]),
            "items.csv": (["sku", "sku_name"], [["A", "Cup"]]),
            "fx_rates.csv": (
                ["rate_date", "currency", "rate"],
                [["2025-01-03", "USD", 7.0], ["2025-01-06", "USD", 7.2]],
            ),
            "receipts.csv": (
                [
                    "receipt_id",
                    "receipt_date",
                    "sku",
                    "warehouse_id",
                    "received_qty",
                    "unit_cost",
                    "currency",
                ],
                [["R1", "2025-01-02", "A", "W1", 10, 1.0, "USD"]],
            ),
            "sales_orders.csv": (
                ["order_id", "order_date", "sku", "warehouse_id", "ordered_qty", "shipped_qty", "ship_date"],
                [["S1", "2025-01-05", "A", "W1", 2, 2, "2025-01-07"]],
            ),
        }
    )
    days = con.execute("select min(date_day), max(date_day), count(*) from marts.dim_dates").fetchall()
    assert days == [(date(2025, 1, 2), date(2025, 1, 7), 6)]  # first receipt to last shipment
    usd = dict(
        con.execute(
            "select rate_date, rate from intermediate.int_fx_rates_daily where currency = 'USD'"
        ).fetchall()
    )
    # 01-02 precedes the first rate (backfilled with it); weekend 01-04/05 carry Friday's rate forward
    assert usd == {
        date(2025, 1, 2): 7.0,
        date(2025, 1, 3): 7.0,
        date(2025, 1, 4): 7.0,
        date(2025, 1, 5): 7.0,
        date(2025, 1, 6): 7.2,
        date(2025, 1, 7): 7.2,
    }
    cny = con.execute(
        "select count(*), min(rate), max(rate) from intermediate.int_fx_rates_daily where currency = 'CNY'"
    ).fetchall()
    assert cny == [(6, 1.0, 1.0)]
