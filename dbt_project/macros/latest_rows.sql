{#
    The current version of each row of a raw table: ERPs re-export overlapping periods and
    corrections, and the ingest appends every file, so the row from the latest load (and, within a
    file, the last row) wins for each natural key. A key whose latest version is a tombstone
    (_deleted: a re-export of the same file no longer holds it, pipelines/warehouse/loads.py) is
    dropped. Plain window SQL, portable across adapters.
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
where _version_rank = 1 and not _deleted
{%- endmacro %}

{#
    For a table of current rows kept incrementally (stg_erp__sales_order_lines): a post-hook that deletes
    the stored rows a later tombstone in `raw_relation` deletes. An incremental build's delete+insert only
    touches the keys its new rows hold, and latest_rows leaves a deleted key out of them. A key loaded
    again after its tombstone has a stored row newer than the tombstone and stays.
#}
{% macro delete_tombstoned_rows(raw_relation, key_columns) -%}
delete from {{ this }} as kept
where exists (
    select 1
    from {{ raw_relation }} as tombstones
    where tombstones._deleted
        and tombstones._load_id > kept._load_id
        {%- for column in key_columns %}
        and tombstones.{{ column }} = kept.{{ column }}
        {%- endfor %}
)
{%- endmacro %}
