{#
    Stock status rules shared by fct_dead_stock and fct_kpi_monthly, so the two cannot drift:
    new  = first purchase receipt within var new_stock_days;
    dead = on hand, no sale (shipment) for var dead_stock_no_sale_days, and not new.
#}
{% macro is_new_stock(days_since_first_receipt) -%}
    coalesce({{ days_since_first_receipt }} < {{ var('new_stock_days') }}, false)
{%- endmacro %}

{% macro is_dead_stock(on_hand_qty, days_without_sale, days_since_first_receipt) -%}
    ({{ on_hand_qty }} > 0
    and {{ days_without_sale }} >= {{ var('dead_stock_no_sale_days') }}
    and not {{ is_new_stock(days_since_first_receipt) }})
{%- endmacro %}
