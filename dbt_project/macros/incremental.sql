{#
    Incremental builds. The daily facts (int_stock_daily_rollforward, fct_daily_stock,
    fct_sku_daily_demand), the ledger (int_stock_movements_unioned), int_sales_demand_daily,
    int_promotions_daily and the evaluated sales order lines rebuild from one date, rebuild_from, to the
    last data date and keep the rows before it. For these tables, read from staging, rebuild_from is the
    earliest of
      - the day after the last date already built (new days of extracts), and
      - every date touched by an extract row loaded since the table was last built: the rows of the new
        loads and the earlier versions of the same natural keys they supersede (a correction that moves
        a shipment from the 3rd to the 9th changes both days), across the extracts the table reads (sales
        orders, receipts, stock movements, snapshots, promotions and FX rates) and, for the daily facts,
        for an item whose master data changed (launch, discontinuation, status, cost, currency) or that a
        re-export deleted, the first day of that SKU's history.
    The evaluated order lines rebuild whole months and add the month of the earliest line that was not yet
    due at the last build (`also`): it becomes due as the data date moves on, without a new version.
    The monthly marts (fct_inventory_turnover, fct_fill_rate, fct_order_fill_rate, fct_kpi_monthly)
    rebuild whole months, from the month of the earliest day or line their incremental inputs rewrote since
    they were last built (`upstream`: rows of those inputs with a higher built_from_load_id).
    "Since the table was last built" is the highest raw _load_id its rows were built from
    (built_from_load_id). A model whose SQL or dbt vars changed needs `--full-refresh`
    (`stockflow run --full-refresh`).

    rebuild_from is worked out with one query when the model is compiled (just before it runs) and
    written into the model's SQL as a date literal: the engine then reads only the rebuilt days of the
    tables it filters (a scalar subquery in the filter made DuckDB scan all history).

    These macros read the raw sources directly (the only place outside staging that does): the staging
    views keep the current version of each row, and the versions a load superseded are what matters here.
    A key a re-export deleted has a new version, its tombstone (pipelines/warehouse/loads.py): a copy of
    its last row under the deleting load's id, so its dates count as touched like any correction's.
#}

{% macro incremental_watermark() -%}
    (select coalesce(max(built_from_load_id), 0) from {{ this }})
{%- endmacro %}

{# The highest load id of the extracts the daily facts read: stored on each rebuilt row. #}
{% macro current_load_id() -%}
    (select max(load_id) from (
        {%- for table in ['sales_orders', 'receipts', 'stock_movements', 'stock_snapshots', 'promotions',
                          'fx_rates', 'items'] %}
        select max(_load_id) as load_id from {{ source('erp', table) }}
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as loads)
{%- endmacro %}

{# Earliest date among all versions of the natural keys that a load after the watermark touched. #}
{% macro _changed_keys_min_date(table, key_columns, date_expression) -%}
    select min({{ date_expression }}) as changed_date
    from {{ source('erp', table) }} as versions
    where exists (
        select 1
        from {{ source('erp', table) }} as changed
        where changed._load_id > {{ incremental_watermark() }}
        {%- for column in key_columns %}
            and changed.{{ column }} = versions.{{ column }}
        {%- endfor %}
    )
{%- endmacro %}

{# Dates touched by the extract rows loaded after this table's watermark (see the top of this file). #}
{% macro _raw_changes(date_column, kinds) -%}
        {%- set keyed = {
            'sales_orders': (['order_id', 'line_no'], 'least(order_date, coalesce(ship_date, order_date))'),
            'receipts': (['receipt_id', 'line_no'], 'receipt_date'),
            'stock_movements': (['movement_id', 'line_no'], 'movement_date'),
            'stock_snapshots': (['snapshot_date', 'sku', 'warehouse_id'], 'snapshot_date'),
            'promotions': (['promo_id', 'sku', 'warehouse_id'], 'start_date'),
            'fx_rates': (['rate_date', 'currency'], 'rate_date'),
        } -%}
        {%- for kind in kinds if kind in keyed %}
        {%- if not loop.first %}
        union all
        {%- endif %}
        {{ _changed_keys_min_date(kind, keyed[kind][0], keyed[kind][1]) }}
        {%- endfor %}
        {%- if 'items' in kinds %}
        union all
        select min(built.{{ date_column }})
        from {{ this }} as built
        where built.sku in (
            select new_items.sku
            from {{ source('erp', 'items') }} as new_items
            left join (
                {{ latest_rows('(select * from ' ~ source('erp', 'items') ~ ' where _load_id <= '
                                ~ incremental_watermark() ~ ')', ['sku']) }}
            ) as old_items
                on new_items.sku = old_items.sku
            where new_items._load_id > {{ incremental_watermark() }}
                and (
                    old_items.sku is null
                    or new_items._deleted
                    or new_items.launch_date is distinct from old_items.launch_date
                    or new_items.discontinued_date is distinct from old_items.discontinued_date
                    or new_items.status is distinct from old_items.status
                    or new_items.unit_cost is distinct from old_items.unit_cost
                    or new_items.currency is distinct from old_items.currency
                )
        )
        {%- endif %}
{%- endmacro %}

{#
    This table's first date when the warehouse master gained or lost a warehouse since its watermark (a
    warehouse not current at the watermark loaded since, or a tombstone: a re-export deleted one), else null.
#}
{% macro all_dates_if_warehouses_changed(date_column) -%}
    select min(built.{{ date_column }})
    from {{ this }} as built
    where exists (
        select 1
        from {{ source('erp', 'warehouses') }} as new_warehouses
        where new_warehouses._load_id > {{ incremental_watermark() }}
            and (
                new_warehouses._deleted
                or new_warehouses.warehouse_id not in (
                    select warehouse_id from (
                        {{ latest_rows('(select * from ' ~ source('erp', 'warehouses') ~ ' where _load_id <= '
                                        ~ incremental_watermark() ~ ')', ['warehouse_id']) }}
                    ) as old_warehouses
                )
            )
    )
{%- endmacro %}

{#
    The first date to rebuild, as a date literal (a scalar subquery while dbt parses). Only called
    inside `if is_incremental()`.
      date_column  this table's date (date_day, month_start, ...);
      grain        'day', or 'month' to start at the first day of that date's month;
      raw_changes  the extract kinds whose new loads' dates count (tables read from staging): a list,
                   or true for all the daily facts read (sales orders, receipts, movements, snapshots,
                   promotions, FX rates, items), false for none;
      upstream     [(relation, date column), ...]: incremental inputs whose rows built after this
                   table's watermark are rebuilt dates;
      also         further `select <date>` queries whose dates must be rebuilt.
    The day after the last built date is always included (for a month_start it falls in the last built
    month, which a month grain rebuilds: its data grows every day).
#}
{% macro incremental_rebuild_from(date_column='date_day', grain='day', raw_changes=true, upstream=[], also=[]) -%}
    {%- set changes -%}
        select {{ dbt.dateadd('day', 1, 'max(' ~ date_column ~ ')') }} as changed_date from {{ this }}
        {%- if raw_changes %}
        union all
        {{ _raw_changes(date_column, raw_changes if raw_changes is iterable and raw_changes is not string
                       else ['sales_orders', 'receipts', 'stock_movements', 'stock_snapshots', 'promotions',
                             'fx_rates', 'items']) }}
        {%- endif %}
        {%- for relation, column in upstream %}
        union all
        select min({{ column }}) from {{ relation }} where built_from_load_id > {{ incremental_watermark() }}
        {%- endfor %}
        {%- for query in also %}
        union all
        {{ query }}
        {%- endfor %}
    {%- endset -%}
    {%- if grain == 'month' -%}
        {%- set first = dbt.date_trunc('month', 'min(changed_date)') -%}
    {%- else -%}
        {%- set first = 'min(changed_date)' -%}
    {%- endif -%}
    {%- set query = 'select cast(' ~ first ~ ' as date) as rebuild_from from (' ~ changes ~ ') as changes' -%}
    {%- do return(date_literal_of(query)) -%}
{%- endmacro %}

{#
    The single date a query returns, as a SQL date literal, worked out when the model is compiled
    (`cast(null as date)` when it returns null). While dbt parses, the query itself as a scalar subquery.
#}
{% macro date_literal_of(query) -%}
    {%- if not execute -%}
        {%- do return('(' ~ query ~ ')') -%}
    {%- endif -%}
    {%- set value = run_query(query).columns[0].values()[0] -%}
    {%- if value is none -%}
        {%- do return('cast(null as date)') -%}
    {%- endif -%}
    {%- do return("cast('" ~ (value | string)[:10] ~ "' as date)") -%}
{%- endmacro %}

{#
    Data tests on an incremental table check the rows its last build wrote (the highest
    built_from_load_id), not five years of history again: the rows kept were tested when they were
    built, and a rebuilt day or month cannot collide with a kept one (the rebuild replaces whole days or
    months). After a full refresh every row carries the highest id, so everything is tested. The id is
    looked up when the test runs and written in as a literal, so the engine skips the kept rows' blocks.
    Overrides dbt's macro of the same name (which applies a test's `where` config); other tables, and
    tables without built_from_load_id, are untouched.
#}
{% macro incrementally_tested_tables() -%}
    {%- do return([
        'int_stock_daily_rollforward', 'fct_daily_stock', 'fct_sku_daily_demand',
        'int_stock_movements_unioned', 'int_sales_order_lines_evaluated', 'int_sales_demand_daily',
        'int_promotions_daily',
        'fct_inventory_turnover', 'fct_fill_rate', 'fct_order_fill_rate', 'fct_kpi_monthly',
    ]) -%}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set filtered = adapter.dispatch('get_where_subquery', 'dbt')(relation) -%}
    {%- if execute and config.get('where') is none and relation.identifier is defined
            and relation.identifier in incrementally_tested_tables() -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'built_from_load_id' in columns -%}
            {%- set last = run_query('select max(built_from_load_id) from ' ~ relation).columns[0].values()[0] -%}
            {%- if last is not none -%}
                {%- do return('(select * from ' ~ relation ~ ' where built_from_load_id = '
                              ~ (last | int) ~ ') dbt_subquery') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- do return(filtered) -%}
{%- endmacro %}

{#
    Incremental strategy 'rebuild_from' (`incremental_strategy='rebuild_from'`, `unique_key` = the
    table's date column): deletes every row from rebuild_from on, then inserts the rebuilt rows.
    delete+insert only deletes the dates present in the new rows, so a sparse table (the ledger, order
    lines, orders by month) would keep a day or month that a correction emptied. The model writes its
    rebuild_from into its SQL with incremental_rebuild_marker(); the strategy reads it back from there,
    so the boundary is the one the model's rows were selected with.
#}
{% macro incremental_rebuild_marker(rebuild_from) -%}
-- stockflow rebuild_from: {{ rebuild_from }}
{%- endmacro %}

{% macro get_incremental_rebuild_from_sql(arg_dict) -%}
    {%- set marker = '-- stockflow rebuild_from: ' -%}
    {%- set code = model.compiled_code or '' -%}
    {%- if marker not in code -%}
        {%- do exceptions.raise_compiler_error(
            "incremental_strategy 'rebuild_from' needs {{ incremental_rebuild_marker(rebuild_from) }} in "
            ~ model.name) -%}
    {%- endif -%}
    {%- set boundary = code.split(marker)[1].split('\n')[0] | trim -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }} where {{ arg_dict['unique_key'] }} >= {{ boundary }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
