{#
    The current version of each row of a raw table: ERPs re-export overlapping periods and
    corrections, and the ingest appends every file, so the row from the latest load (and, within a
    file, the last row) wins for each natural key. Plain window SQL, portable across adapters.
#}
{% macro latest_rows(relation, key_columns) -%}
select *
from (
    select
        src.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by _load_id desc, _source_row desc
        ) as _version_rank
    from {{ relation }} as src
) as versions
where _version_rank = 1
{%- endmacro %}
