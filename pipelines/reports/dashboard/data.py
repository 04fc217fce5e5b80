"""What the dashboard shows, read from the warehouse: one query function per panel group.

`read_dashboard_data` reads the marts, the latest forecasts, plan and policy simulation from an open
warehouse connection into a `DashboardData`; a table that does not exist yet reads as an empty frame.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import duckdb
import pandas as pd

from pipelines.warehouse import connection as warehouse

TOP_SERIES = 4  # forecast vs actual panels
ACTUAL_DAYS = 56  # history shown before the forecast


@dataclass(frozen=True)
class DashboardData:
    kpi: pd.DataFrame  # fct_kpi_monthly, company rows by month
    turnover: pd.DataFrame  # fct_inventory_turnover_summary, category and warehouse rows, with category_label
    dead: pd.DataFrame  # fct_dead_stock, dead and slow series with stock, with sku_name
    abc_xyz: pd.DataFrame  # abc_class, xyz_class, skus, cogs_value, stock_value
    actuals: pd.DataFrame  # sku, warehouse_id, date, qty for the top series
    forecasts: pd.DataFrame  # sku, warehouse_id, date, p50, p90 at the latest origin, top series
    past_forecasts: pd.DataFrame  # sku, warehouse_id, date, p50 of earlier origins (fct_forecast_accuracy)
    plan: pd.DataFrame  # the latest plan's lines
    exceptions: pd.DataFrame  # the latest plan's exceptions
    simulation: pd.DataFrame  # the latest policy simulation
    data_date: date | None

    def empty_panels(self) -> list[str]:
        return [f.name for f in fields(self) if f.name != "data_date" and getattr(self, f.name).empty]


def _read(conn: duckdb.DuckDBPyConnection, tables: list[str], sql: str, params: list | None = None):
    if not all(warehouse.table_exists(conn, t) for t in tables):
        return pd.DataFrame()
    return conn.execute(sql, params or []).df()


def read_kpi(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The company's monthly KPIs (tiles and the fill rate trend)."""
    return _read(
        conn,
        ["marts.fct_kpi_monthly"],
        "select * from marts.fct_kpi_monthly where rollup_level = 'company' order by month_start",
    )


def read_turnover(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Turnover and DIO by month for each category (by name) and each warehouse."""
    return _read(
        conn,
        ["marts.fct_inventory_turnover_summary", "marts.dim_skus"],
        """
        with names as (
            select category, max(coalesce(category_name, category)) as category_name
            from marts.dim_skus group by 1
        )
        select t.month_start, t.rollup_level, t.warehouse_id, t.days_in_period, t.cogs_value,
               t.avg_inventory_value, t.dio_days,
               case when t.rollup_level = 'category' then coalesce(n.category_name, t.category)
                    else t.warehouse_id end as label
        from marts.fct_inventory_turnover_summary t
        left join names n on n.category = t.category
        where t.rollup_level in ('category', 'warehouse')
        order by t.month_start, label
        """,
    )


def read_dead(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Dead and slow series that still hold stock, with the SKU's name."""
    return _read(
        conn,
        ["marts.fct_dead_stock", "marts.dim_skus"],
        """
        select d.*, s.sku_name from marts.fct_dead_stock d left join marts.dim_skus s on s.sku = d.sku
        where d.stock_status in ('dead', 'slow') and d.on_hand_qty > 0
        """,
    )


def read_abc_xyz(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """SKUs, COGS and stock value in each ABC x XYZ cell."""
    return _read(
        conn,
        ["marts.dim_skus", "marts.fct_dead_stock"],
        """
        with stock as (
            select sku, sum(greatest(on_hand_value, 0)) as stock_value from marts.fct_dead_stock group by 1
        )
        select s.abc_class, s.xyz_class, count(*) as skus, sum(coalesce(s.abc_cogs_value, 0)) as cogs_value,
               sum(coalesce(stock.stock_value, 0)) as stock_value
        from marts.dim_skus s left join stock on stock.sku = s.sku
        where s.abc_class is not null
        group by 1, 2
        """,
    )


def _read_top_forecasts(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest origin's forecasts of the series with the most recent demand."""
    return _read(
        conn,
        ["forecast.sku_demand_forecasts", "marts.fct_sku_daily_demand"],
        f"""
        with origin as (select max(origin_date) as origin_date from forecast.sku_demand_forecasts),
        top as (
            select d.sku, d.warehouse_id, sum(d.ordered_qty) as qty
            from marts.fct_sku_daily_demand d
            where d.date_day > (select origin_date from origin) - interval {ACTUAL_DAYS} day
              and exists (select 1 from forecast.sku_demand_forecasts f
                          where f.sku = d.sku and f.warehouse_id = d.warehouse_id
                            and f.origin_date = (select origin_date from origin))
            group by 1, 2 order by qty desc, d.sku, d.warehouse_id limit {TOP_SERIES}
        )
        select f.sku, f.warehouse_id, f.forecast_date as date, f.p50, f.p90, top.qty as rank_qty
        from forecast.sku_demand_forecasts f
        join top on top.sku = f.sku and top.warehouse_id = f.warehouse_id
        where f.origin_date = (select origin_date from origin)
        order by rank_qty desc, f.sku, f.warehouse_id, date
        """,
    )


def _read_series_history(conn: duckdb.DuckDBPyConnection, forecasts: pd.DataFrame):
    """Actual demand and earlier forecasts' p50 of the forecast series: (actuals, past forecasts)."""
    series = forecasts[["sku", "warehouse_id"]].drop_duplicates()
    conn.register("_dashboard_series", series)
    try:
        actuals = conn.execute(
            f"""
            select d.sku, d.warehouse_id, d.date_day as date, d.ordered_qty as qty
            from marts.fct_sku_daily_demand d join _dashboard_series s using (sku, warehouse_id)
            where d.date_day > (select max(date_day) from marts.fct_sku_daily_demand)
                               - interval {ACTUAL_DAYS} day
            order by 1, 2, 3
            """
        ).df()
        past = _read(
            conn,
            ["marts.fct_forecast_accuracy"],
            """
            select a.sku, a.warehouse_id, a.forecast_date as date, a.p50
            from marts.fct_forecast_accuracy a join _dashboard_series s using (sku, warehouse_id)
            qualify a.origin_date = max(a.origin_date) over (partition by a.sku, a.warehouse_id, a.forecast_date)
            order by 1, 2, 3
            """,
        )
    finally:
        conn.unregister("_dashboard_series")
    return actuals, past


def read_forecasts(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The forecast panel's frames: (forecasts, actuals, past forecasts); all empty without forecasts."""
    forecasts = _read_top_forecasts(conn)
    actuals = past = pd.DataFrame()
    if not forecasts.empty:
        actuals, past = _read_series_history(conn, forecasts)
    return forecasts, actuals, past


def read_plan(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest replenishment plan's lines and its exceptions."""
    plan = _read(
        conn,
        ["plans.replenishment_plan"],
        "select * from plans.replenishment_plan "
        "where plan_date = (select max(plan_date) from plans.replenishment_plan)",
    )
    exceptions = _read(
        conn,
        ["plans.plan_exceptions"],
        "select * from plans.plan_exceptions where plan_date = (select max(plan_date) from plans.plan_exceptions)",
    )
    return plan, exceptions


def read_simulation(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The policy simulation's rows of the run written last."""
    return _read(
        conn,
        ["plans.policy_simulation"],
        # appended per run: the run written last holds the highest row ids
        "select * from plans.policy_simulation where run_id = "
        "(select run_id from plans.policy_simulation order by rowid desc limit 1)",
    )


def read_data_date(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The last day of stock in the warehouse, or None before the first run."""
    data_date = None
    if warehouse.table_exists(conn, "marts.fct_daily_stock"):
        data_date = conn.execute("select max(date_day) from marts.fct_daily_stock").fetchall()[0][0]
    return data_date


def read_dashboard_data(conn: duckdb.DuckDBPyConnection) -> DashboardData:
    """Everything the dashboard shows, from the warehouse (tables that do not exist yet read as empty)."""
    kpi = read_kpi(conn)
    turnover = read_turnover(conn)
    dead = read_dead(conn)
    abc_xyz = read_abc_xyz(conn)
    forecasts, actuals, past = read_forecasts(conn)
    plan, exceptions = read_plan(conn)
    simulation = read_simulation(conn)
    data_date = read_data_date(conn)
    return DashboardData(
        kpi, turnover, dead, abc_xyz, actuals, forecasts, past, plan, exceptions, simulation, data_date
    )
