"""The sign rule of signed quantities, shared by the pandas path and the fast path.

A stock movement's ``qty`` is signed by its effect on stock (+ into the warehouse, - out of it), whatever
its type. Most types move stock one way only (schema.MOVEMENT_DIRECTIONS: a transfer out, a scrap, ...);
``adjustment`` moves it either way, but some exported labels of it still name the way (盘盈 a count gain,
盘亏 a loss: the header map's ``directions``). A quantity whose sign goes against that direction is an
error of its row: an ERP that exports its 盘亏 or 其他出库 lines with positive quantities (the document's
own convention) would otherwise load every write-down as a gain, twice the loss away from the truth. A
zero quantity, or a type without a direction, always passes.

Pure pandas, no Dagster, no DuckDB: the fast path asks :func:`expected_signs` for the distinct values it
found and runs the same comparison in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from pipelines.ingest.extracts.header_map import HeaderMap, normalise_label
from pipelines.ingest.extracts.mapping import map_values
from pipelines.ingest.extracts.schema import MOVEMENT_DIRECTIONS, ExtractKind

# kind -> (the signed number column, the enumerated column whose value fixes its sign, canonical directions)
SIGNED: dict[str, tuple[str, str, dict[str, int]]] = {
    "stock_movements": ("qty", "movement_type", MOVEMENT_DIRECTIONS),
}
RAW_PREFIX = "_raw_"  # the pandas path keeps the exported text of the sign-fixing column as _raw_<column>


def expected_signs(kind: ExtractKind, values: Iterable[str], header_map: HeaderMap) -> dict[str, int]:
    """For each exported value of the kind's sign-fixing column (as read, before value aliases), the sign
    its rows' quantity must have, +1 or -1; values that allow either sign are left out. The direction a
    value names itself (header map ``directions``) wins over its canonical type's."""
    if kind.name not in SIGNED:
        return {}
    _, column, canonical_directions = SIGNED[kind.name]
    named = header_map.directions.get(kind.name, {}).get(column, {})
    raw = pd.Series(sorted({v for v in values if isinstance(v, str)}), dtype="string")
    mapped = map_values(kind.name, column, raw, header_map)
    signs = {}
    for value, canonical in zip(raw, mapped, strict=True):
        sign = named.get(normalise_label(value), canonical_directions.get(str(canonical), 0))
        if sign:
            signs[str(value)] = sign
    return signs


def sign_reason(kind: ExtractKind, value: str, sign: int, header_map: HeaderMap) -> str:
    """Why a quantity of ``sign``'s opposite is an error on a row of type ``value`` (as exported)."""
    _, column, _ = SIGNED[kind.name]
    way, must, example = (
        ("into", "0 or more", "a gain of 3 is 3")
        if sign > 0
        else ("out of", "0 or less", "a loss of 5 is -5")
    )
    signed = f"quantities are signed, + into the warehouse, - out of it: {example}"
    if normalise_label(value) in header_map.directions.get(kind.name, {}).get(column, {}):
        return (
            f"{column} {value!r} says stock went {way} the warehouse: its quantity must be {must} ({signed})"
        )
    canonical = str(map_values(kind.name, column, pd.Series([value], dtype="string"), header_map).iloc[0])
    named = "" if canonical == value else f" ({canonical})"
    return (
        f"{column} {value!r}{named} only moves stock {way} the warehouse: its quantity must be {must} "
        f"({signed}; book a reversal of such a line as an adjustment)"
    )


def sign_errors(
    frame: pd.DataFrame,
    kind: ExtractKind,
    file: str,
    labels: dict[str, str | None],
    header_map: HeaderMap,
    limit: int,
) -> pd.DataFrame:
    """The pandas path's rows whose quantity goes against the direction of their type, as error rows
    (file, sheet, row, column, file_column, value, reason); empty for kinds without a signed column."""
    if kind.name not in SIGNED or RAW_PREFIX + SIGNED[kind.name][1] not in frame.columns:
        return pd.DataFrame()
    qty_column, column, _ = SIGNED[kind.name]
    raw = frame[RAW_PREFIX + column]
    signs = expected_signs(kind, raw.dropna().unique(), header_map)
    sign = raw.map(signs).astype("float64").fillna(0).to_numpy()
    bad = np.flatnonzero((sign * frame[qty_column].fillna(0).to_numpy()) < 0)[:limit]
    if not len(bad):
        return pd.DataFrame()
    sub = frame.iloc[bad]
    return pd.DataFrame(
        {
            "file": file,
            "sheet": sub["_source_sheet"].to_numpy(),
            "row": sub["_source_row"].to_numpy(),
            "column": qty_column,
            "file_column": labels.get(qty_column),
            "value": sub[qty_column].astype("string").to_numpy(),
            "reason": [
                sign_reason(kind, str(v), int(s), header_map)
                for v, s in zip(raw.iloc[bad], sign[bad], strict=True)
            ],
        }
    )
