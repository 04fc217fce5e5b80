"""Which forecasts the plan gets, from the backtest's WAPE per method."""

from pipelines.forecast.forecasting import choose_method


def test_model_kept_when_it_beats_seasonal_naive():
    assert choose_method({"model": 0.7, "seasonal_naive": 1.0, "ma": 0.6})[0] == "model"


def test_best_baseline_when_the_model_loses():
    method, why = choose_method(
        {"model": 1.1, "seasonal_naive": 1.0, "ma": 0.8, "tsb": 0.9, "croston": float("nan")}
    )
    assert method == "ma" and "fall back" in why and "0.800" in why


def test_no_backtest_keeps_the_model():
    assert choose_method({}) == ("model", "no backtest for this run: using the model")


def test_demand_history_reads_codes_and_carries_prices_forward(tmp_path):
    """The history comes out of DuckDB as categoricals, ordered by sku, warehouse and date, prices
    carried forward within the series and a leading gap filled with the SKU's median price."""
    import duckdb
    import numpy as np
    import pandas as pd

    from pipelines.forecast.forecasting import demand_history

    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create schema marts; create schema staging")
    conn.execute(
        """create table marts.fct_sku_daily_demand (sku varchar, warehouse_id varchar, date_day date,
        ordered_qty double, avg_unit_price double, is_on_promotion boolean, max_discount_pct double,
        is_active boolean)"""
    )
    rows = [  # inserted out of order on purpose
        ("B", "W2", "2025-01-03", 1.0, None, False, None, True),
        ("A", "W1", "2025-01-02", 0.0, None, True, 10.0, True),
        ("B", "W2", "2025-01-02", 2.0, 7.0, False, None, True),
        ("A", "W1", "2025-01-01", 3.0, 5.0, False, None, True),
        ("A", "W2", "2025-01-01", 0.0, None, False, None, True),
        ("A", "W2", "2025-01-03", 1.0, 9.0, False, None, True),
        ("A", "W1", "2025-01-03", 2.0, 6.0, False, None, True),
        ("C", "W1", "2025-01-03", 5.0, 1.0, False, None, False),  # inactive: not read
        ("A", "W1", "2024-12-01", 4.0, 2.0, False, None, True),  # before the window
    ]
    conn.executemany("insert into marts.fct_sku_daily_demand values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute(
        """create table marts.dim_skus as select * from (values ('A', 'toys', 'A', 'X'), ('B', null, 'B', 'Y'))
        t(sku, category, abc_class, xyz_class)"""
    )
    conn.execute(
        """create table staging.stg_erp__promotions (promo_id varchar, sku varchar, warehouse_id varchar,
        applies_to_all_warehouses boolean, start_date date, end_date date, discount_pct double)"""
    )
    demand = demand_history(conn, 2, 3)
    conn.close()
    h = demand.history
    assert [str(d) for d in h.dtypes[["sku", "warehouse_id", "category"]]] == ["category"] * 3
    got = h.assign(**{c: h[c].astype(str) for c in ("sku", "warehouse_id", "category")})
    assert got[["sku", "warehouse_id"]].apply(tuple, axis=1).tolist() == [
        ("A", "W1"), ("A", "W1"), ("A", "W1"), ("A", "W2"), ("A", "W2"), ("B", "W2"), ("B", "W2")
    ]  # fmt: skip
    assert got["date"].dt.day.tolist() == [1, 2, 3, 1, 3, 2, 3]
    assert got["qty"].tolist() == [3.0, 0.0, 2.0, 0.0, 1.0, 2.0, 1.0]
    # A/W2's first day has no price yet: the median of SKU A's carried-forward prices (5, 5, 6, _, 9)
    np.testing.assert_allclose(got["price"], [5.0, 5.0, 6.0, 5.5, 9.0, 7.0, 7.0])
    assert got["is_on_promotion"].tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert got["discount_pct"].tolist() == [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert got["category"].tolist() == ["toys"] * 5 + ["uncategorised"] * 2
    assert h["date"].dtype == "datetime64[us]" and demand.origin == pd.Timestamp("2025-01-03")
