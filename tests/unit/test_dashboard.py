"""The managers' dashboard on a small DuckDB warehouse built here: numbers worked by hand, labels, no data."""

import re
from datetime import date

import duckdb
import pytest

from pipelines.reports.dashboard import (
    annualised_turnover,
    chart_ids,
    fmt_number,
    kpi_tiles,
    read_dashboard_data,
    render_dashboard,
    write_dashboard,
)

SQL = """
create schema marts; create schema forecast; create schema plans;
create table marts.fct_kpi_monthly as select * from (values
    (date '2025-05-01', 'company', '*', 31, 3000.0, 12000.0, 120.0, date '2025-05-31', 8000.0, 0.80, 0.90, 0.70, 10),
    (date '2025-06-01', 'company', '*', 30, 4000.0, 10000.0, 75.0, date '2025-06-15', 12345.6, 0.90, 0.95, 0.75, 7),
    (date '2025-06-01', 'warehouse', 'W1', 30, 1.0, 1.0, 30.0, date '2025-06-15', 1.0, 0.1, 0.1, 0.1, 99)
) t(month_start, rollup_level, warehouse_id, days_in_period, cogs_value, avg_inventory_value, dio_days,
    period_end_date, dead_stock_value, unit_fill_rate, line_fill_rate, order_otif_rate, stockout_sku_count);
create table marts.dim_skus as select * from (values
    ('S1', 'Tea cups', 'C01', 'Kitchenware', 'A', 'X', 9000.0),
    ('S2', 'Mop', 'C02', 'Cleaning', 'C', null, 10.0)
) t(sku, sku_name, category, category_name, abc_class, xyz_class, abc_cogs_value);
create table marts.fct_inventory_turnover_summary as select * from (values
    (date '2025-05-01', 'category', 'C01', '*', 31, 3100.0, 12000.0, 120.0),
    (date '2025-06-01', 'category', 'C01', '*', 30, 4000.0, 10000.0, 75.0),
    (date '2025-06-01', 'warehouse', '*', 'W1', 30, 4000.0, 10000.0, 75.0),
    (date '2025-06-01', 'company', '*', '*', 30, 4000.0, 10000.0, 75.0)
) t(month_start, rollup_level, category, warehouse_id, days_in_period, cogs_value, avg_inventory_value, dio_days);
create table marts.fct_dead_stock as select * from (values
    ('S1', 'W1', 'active', 10.0, 500.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3),
    ('S2', 'W1', 'dead', 5.0, 7654.3, 0.0, 0.0, 0.0, 0.0, 4000.0, 3654.3, 400)
) t(sku, warehouse_id, stock_status, on_hand_qty, on_hand_value, age_0_30_value, age_31_60_value,
    age_61_90_value, age_91_180_value, age_181_365_value, age_over_365_value, days_since_last_sale);
create table marts.fct_daily_stock as select date '2025-06-15' as date_day;
create table marts.fct_sku_daily_demand as
    select 'S1' as sku, 'W1' as warehouse_id, date '2025-06-01' + cast(i as integer) as date_day,
           cast(i % 3 as double) as ordered_qty
    from range(15) t(i);
create table forecast.sku_demand_forecasts as
    select 'S1' as sku, 'W1' as warehouse_id, date '2025-06-15' + cast(h as integer) as forecast_date,
           1.0 as p50, 3.0 as p90, date '2025-06-15' as origin_date
    from range(1, 8) t(h);
create table plans.replenishment_plan as select * from (values
    ('S1', 'W1', 'SUP1', 24.0, 1234567.0, 0.0, 'ORDER_BELOW_REORDER_POINT', '2025-06-16'),
    ('S2', 'W1', 'SUP2', 0.0, 0.0, 0.0, 'NO_ORDER_DEAD_STOCK', '2025-06-16'),
    ('S1', 'W1', 'SUP1', 99.0, 99.0, 0.0, 'ORDER_BELOW_REORDER_POINT', '2025-06-01')
) t(sku, warehouse_id, supplier_id, order_qty, order_value, transfer_qty, reason_code, plan_date);
create table plans.plan_exceptions as select * from (values
    ('DEAD_STOCK', 'S2', '2025-06-16')
) t(exception, sku, plan_date);
create table plans.policy_simulation as select * from (values
    ('total', 'all', 'history', 0.5, 10, 100.0, 1.0, 365.0, 'old', date '2025-01-01', 90),
    ('total', 'all', 'proposed', 0.6, 5, 90.0, 1.1, 330.0, 'old', date '2025-01-01', 90),
    ('total', 'all', 'history', 0.80, 300, 2000000.0, 5.0, 73.0, 'new', date '2025-01-02', 180),
    ('total', 'all', 'proposed', 0.95, 20, 1800000.0, 6.0, 60.8, 'new', date '2025-01-02', 180),
    ('total', 'all', 'current_rule', 0.92, 40, 2400000.0, 4.5, 81.1, 'new', date '2025-01-02', 180),
    ('total', 'all', 'proposed_at_rule_fill', 0.92, null, 1500000.0, null, null, 'new', date '2025-01-02', 180),
    ('warehouse_id', 'W1', 'history', 0.80, 300, 2000000.0, 5.0, 73.0, 'new', date '2025-01-02', 180),
    ('warehouse_id', 'W1', 'proposed', 0.95, 20, 1800000.0, 6.0, 60.8, 'new', date '2025-01-02', 180)
) t(level, "group", scenario, fill_rate, stockout_days, avg_inventory_value, turnover, dio_days, run_id,
    window_start, window_days);
"""


@pytest.fixture
def small_warehouse(tmp_path):
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute(SQL)
    yield conn
    conn.close()


def test_kpi_tiles_show_the_latest_month_against_the_one_before(small_warehouse):
    data = read_dashboard_data(small_warehouse)
    tiles = {t.key: t for t in kpi_tiles(data.kpi, "en")}
    assert [t for t in tiles] == ["dio", "turnover", "fill_rate", "dead_value", "stockout_skus"]
    # DIO 120 -> 75 days: lower is better
    assert (tiles["dio"].value, tiles["dio"].change, tiles["dio"].tone) == (
        "75.0",
        "−45.0 vs last month",
        "good",
    )
    # turnover annualised: 4000 / 10000 x 365 / 30 = 4.867; May 3000 / 12000 x 365 / 31 = 2.944
    assert tiles["turnover"].value == "4.87" and tiles["turnover"].change == "+1.92 vs last month"
    assert tiles["turnover"].tone == "good"
    assert (tiles["fill_rate"].value, tiles["fill_rate"].change) == ("90.0%", "+10.0 pp vs last month")
    # dead stock up from 8,000 to 12,345.6: worse
    assert (tiles["dead_value"].value, tiles["dead_value"].tone) == ("12,346", "bad")
    assert tiles["dead_value"].change == "+4,346 vs last month"
    assert (tiles["stockout_skus"].value, tiles["stockout_skus"].change) == ("7", "−3 vs last month")


def test_annualised_turnover_and_number_format():
    import pandas as pd

    got = annualised_turnover(pd.Series([4000.0, 5.0]), pd.Series([10000.0, 0.0]), pd.Series([30, 30]))
    assert got.iloc[0] == pytest.approx(4000 / 10000 * 365 / 30) and pd.isna(got.iloc[1])
    assert fmt_number(1234567.891) == "1,234,568" and fmt_number(0.456, 2) == "0.46"
    assert fmt_number(float("nan")) == "–" and fmt_number(None) == "–"


def test_reads_the_latest_plan_and_simulation_only(small_warehouse):
    data = read_dashboard_data(small_warehouse)
    assert set(data.plan["plan_date"]) == {"2025-06-16"} and len(data.plan) == 2
    assert set(data.simulation["run_id"]) == {"new"}
    assert data.data_date == date(2025, 6, 15)
    assert data.dead["sku"].tolist() == ["S2"]  # active series are not dead or slow stock
    cells = {(r.abc_class, r.xyz_class): r for r in data.abc_xyz.itertuples()}
    assert cells[("A", "X")].skus == 1 and cells[("A", "X")].stock_value == 500.0
    assert data.forecasts["sku"].unique().tolist() == ["S1"] and len(data.actuals) == 15


def test_page_is_self_contained_with_every_panel_drawn(small_warehouse, tmp_path):
    result = write_dashboard(small_warehouse, tmp_path / "exports" / "dashboard" / "index.html", "en", "CNY")
    page = result.path.read_text(encoding="utf-8")
    assert result.size_bytes == result.path.stat().st_size > 3_000_000  # plotly's script is inside
    from plotly.offline import get_plotlyjs

    assert page.count(get_plotlyjs()) == 1  # plotly's own script, inlined once
    outside = page.replace(get_plotlyjs(), "")
    assert not re.search(r"<script[^>]*\bsrc=", outside) and "cdn" not in outside.lower()
    assert result.no_data == []
    assert chart_ids(page) == result.charts and len(result.charts) == 11
    assert "Data as of 2025-06-15" in page and "2025-06 (month to date)" in page
    assert "1,234,567" in page  # the plan's order value, with thousands separators
    assert "+15.0 pp" in page  # the simulation's fill rate change
    # the current rule replayed beside the plan, and the plan's stock at the rule's fill
    assert "your current rule" in page and "2,400,000" in page
    assert "At your current rule&#x27;s fill (92.0%), the proposed policy holds 38% less stock" in page
    assert "S2 Mop · W1" in page  # the dead SKU is listed by code, name and warehouse
    assert list(result.path.parent.iterdir()) == [result.path]  # no temporary file left behind


def test_labels_follow_the_language(small_warehouse):
    data = read_dashboard_data(small_warehouse)
    zh = render_dashboard(data, "zh").html
    assert "库存周转天数" in zh and "呆滞库存金额" in zh and 'lang="zh-CN"' in zh
    en = render_dashboard(data, "en").html
    assert "Days of inventory (DIO)" in en and "库存周转天数" not in en
    with pytest.raises(ValueError, match="language"):
        render_dashboard(data, "fr")


def test_empty_warehouse_renders_no_data_panels(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as conn:
        result = write_dashboard(conn, tmp_path / "index.html", "en")
    page = result.path.read_text(encoding="utf-8")
    assert result.charts == [] and result.data_date is None
    assert set(result.no_data) >= {
        "kpi",
        "turnover_by_category",
        "dead_by_age",
        "forecast",
        "plan",
        "simulation",
    }
    assert page.count('class="no-data"') == len(result.no_data)
    assert "marts.fct_kpi_monthly" in page and "Data as of –" in page


def test_empty_tables_render_no_data_too(small_warehouse, tmp_path):
    for table in ("marts.fct_dead_stock", "plans.replenishment_plan", "forecast.sku_demand_forecasts"):
        small_warehouse.execute(f"delete from {table}")
    result = write_dashboard(small_warehouse, tmp_path / "index.html", "zh")
    assert {"dead_by_age", "top_dead", "forecast", "plan"} <= set(result.no_data)
    assert "kpi" not in result.no_data and "chart-fill-trend" in result.charts
    assert re.search(r"暂无数据", result.path.read_text(encoding="utf-8"))


def test_simulation_states_an_upper_bound_when_the_rule_fill_is_below_the_plans(small_warehouse):
    small_warehouse.execute(
        "update plans.policy_simulation set scenario = 'proposed_at_rule_fill_at_most' "
        "where scenario = 'proposed_at_rule_fill'"
    )
    page = render_dashboard(read_dashboard_data(small_warehouse), "en").html
    assert "the proposed policy holds at least 38% less stock" in page
    zh = render_dashboard(read_dashboard_data(small_warehouse), "zh").html
    assert "建议策略的库存至少少 38%" in zh
