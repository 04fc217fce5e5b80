{#
    The additive parts of supplier performance over a set of purchase order lines
    (int_purchase_order_lines_evaluated), shared by fct_supplier_performance and
    fct_supplier_sku_performance. Ratios are computed from these parts in the models.
#}
{% macro sales_supplier_aggregates() -%}
        count(*) as po_lines,
        sum(case when is_due then 1 else 0 end) as po_lines_due,
        sum(case when is_delivered then 1 else 0 end) as po_lines_delivered,
        sum(case when is_on_time then 1 else 0 end) as po_lines_on_time,
        sum(case when is_due and is_received_in_full then 1 else 0 end) as po_lines_received_in_full,
        sum(case when is_due then ordered_qty else 0 end) as units_ordered,
        sum(case when is_due then received_qty else 0 end) as units_received,
        count(lead_time_days) as lead_time_lines,
        sum(lead_time_days) as lead_time_days_sum,
        sum(lead_time_days * lead_time_days) as lead_time_days_sum_squares,
        avg(cast(lead_time_days as {{ type_double() }})) as lead_time_days_mean,
        stddev_samp(cast(lead_time_days as {{ type_double() }})) as lead_time_days_std,
        min(lead_time_days) as lead_time_days_min,
        max(lead_time_days) as lead_time_days_max,
        avg(cast(delivery_delay_days as {{ type_double() }})) as delivery_delay_days_mean,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
{%- endmacro %}
