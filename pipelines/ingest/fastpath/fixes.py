"""Cells SQL does not handle itself (padded text, "1,200", "2025年1月4日", Odoo "[CODE] Name", ...): their
distinct values are found column by column, parsed by the pandas path's own parsers and registered
as ``_sf_fix<i>`` tables that the plan joins back by value."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.ingest.extracts.parsing import parse_dates, parse_numbers
from pipelines.ingest.extracts.schema import DATE, NUMBER
from pipelines.ingest.extracts.validate import _ODOO_DISPLAY_NAME
from pipelines.ingest.fastpath.plan import _Plan
from pipelines.ingest.fastpath.sql import _run, _temp_table


def _fix_table(plan: _Plan, i: int, raw: list[str]) -> pd.DataFrame:
    """The pandas path's result for each distinct value SQL does not handle itself."""
    values = pd.Series(raw, dtype=object)
    stripped = values.astype("str").str.strip()
    txt = stripped.mask(stripped == "")
    frame = pd.DataFrame({"raw": values, "txt": txt.astype(object).where(txt.notna(), None)})
    role = plan.roles.get(i, "text")
    if role == NUMBER:
        parsed, _ = parse_numbers(txt)
        frame["num"] = parsed.to_numpy()
    elif role == DATE:
        parsed, _ = parse_dates(txt)
        days = pd.to_datetime(parsed).astype("datetime64[us]").dt.normalize()
        frame["dt"] = [None if pd.isna(d) else d.date() for d in days]
    else:
        val = txt.astype("string")
        if role == "sku":
            val = val.str.replace(_ODOO_DISPLAY_NAME, r"\1", regex=True)
        frame["val"] = val.astype(object).where(val.notna(), None)
    for name, dtype in (("num", "float64"), ("dt", "object"), ("val", "object")):
        if name not in frame:
            frame[name] = pd.Series([None] * len(frame), dtype=dtype)
    return frame


def _fix_hard_cells(conn: duckdb.DuckDBPyConnection, plan: _Plan, stats: dict) -> bool:
    """Register a fix table for every column with a suspect cell (as the first scan's stats tell); True
    when there was any (then the stats must be counted again)."""
    source = plan.source
    suspects = {k.split(":")[1]: v for k, v in stats.items() if k.startswith("suspect:") and v}
    if not suspects:
        return False
    # some cells need Python: find their distinct values, column by column
    if "_hws" in suspects:
        text_cols = [i for i in range(source.width) if plan.roles.get(i, "text") not in (NUMBER, DATE)]
        counts = _run(
            conn,
            f"with src as ({source.relation}) select "
            + ", ".join(f"count_if(s.c{i} is not null and not {plan.fast(i)})" for i in text_cols)
            + " from src s",
        )[0]
        hard_cols = {i for i, count in zip(text_cols, counts, strict=True) if count}
    else:
        hard_cols = set()
    hard_cols |= {int(name[2:]) for name in suspects if name != "_hws"}
    for i in sorted(hard_cols):
        distinct = _run(
            conn,
            f"with src as ({source.relation}) select distinct s.c{i} from src s "
            f"where s.c{i} is not null and not {plan.fast(i)}",
        )
        _temp_table(conn, f"_sf_fix{i}", _fix_table(plan, i, [v for (v,) in distinct]))
        plan.fixes.add(i)
    return True
