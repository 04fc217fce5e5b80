"""Header mapping: a file's headers mapped to the canonical columns of a kind, enumerated values to the
allowed ones, and the kind of extract a table holds told from its file name, sheet name or headers.

The aliases are data: the header map (:mod:`pipelines.ingest.extracts.header_map`, loaded from
``header_map.yml``), re-exported here. Pure Python: no Dagster, no DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.ingest.extracts.header_map import (
    HEADER_MAP_PATH,
    HeaderMap,
    load_header_map,
    normalise_label,
    strip_unit,
)
from pipelines.ingest.extracts.schema import KINDS

__all__ = [
    "HEADER_MAP_PATH",
    "HeaderMap",
    "HeaderMapping",
    "KindDetection",
    "detect_kind",
    "header_scores",
    "load_header_map",
    "map_headers",
    "map_values",
    "normalise_label",
    "strip_unit",
]

# Bonus weight of "share of the file's headers the kind explains" in the header score.
_COVERAGE_WEIGHT = 0.1


# --------------------------------------------------------------------------------------------
# Header mapping


@dataclass(frozen=True)
class HeaderMapping:
    kind: str
    columns: dict[str, str]  # original header -> canonical
    unmapped: list[str]
    missing_required: list[str]
    conflicts: list[str]  # human-readable notes about second columns ignored


def map_headers(headers: list[str], kind: str, header_map: HeaderMap) -> HeaderMapping:
    """Map a file's headers to the canonical columns of ``kind``.

    When several headers match one canonical column, the one whose alias is listed first wins (an
    exact label before a unit-stripped one, then the leftmost header); the others stay unmapped and
    are noted in ``conflicts``.
    """
    candidates: dict[str, list[tuple[tuple[int, int, int], str]]] = {}
    for position, header in enumerate(headers):
        hit = header_map.lookup(kind, header)
        if hit is not None:
            canonical, rank, exact = hit
            candidates.setdefault(canonical, []).append(((rank, 0 if exact else 1, position), header))
    chosen: dict[str, str] = {}
    conflicts: list[str] = []
    for canonical, options in candidates.items():
        options.sort()
        winner = options[0][1]
        chosen[winner] = canonical
        for _, loser in options[1:]:
            conflicts.append(f"'{loser}' also matches {canonical}; using '{winner}' and ignoring '{loser}'")
    columns = {h: chosen[h] for h in headers if h in chosen}
    mapped = set(columns.values())
    missing = [
        c.name for c in KINDS[kind].columns if c.required and c.default is None and c.name not in mapped
    ]
    return HeaderMapping(
        kind=kind,
        columns=columns,
        unmapped=[h for h in headers if h not in chosen],
        missing_required=missing,
        conflicts=conflicts,
    )


# Labels of opening balances (期初数量, FBeginQty, "Opening Qty"): the stock at the start of the row's date,
# which is the closing stock of the day before. Matched on the normalised label.
_OPENING_PREFIXES = ("期初", "年初", "opening", "beginning", "fbegin", "finit")


def opening_balance_label(mapping: HeaderMapping) -> str | None:
    """The header a stock snapshot's quantity comes from when it is an opening balance (U8 期初结存, a
    收发存 sheet without its closing columns, Kingdee's FBeginQty, ERPNext's Opening Qty), else None.
    Such rows describe the start of their date: they load as the stock at the end of the day before."""
    if mapping.kind != "stock_snapshots":
        return None
    label = next((orig for orig, canon in mapping.columns.items() if canon == "on_hand_qty"), None)
    if label is not None and normalise_label(label).startswith(_OPENING_PREFIXES):
        return label
    return None


def date_opening_balances(frame: pd.DataFrame, mapping: HeaderMapping) -> str | None:
    """Opening balances are the stock at the start of their date: move each row to the day before (whose
    closing stock it is) and return the note for the run log; None when the file holds closing stock."""
    label = opening_balance_label(mapping)
    if label is None:
        return None
    frame["snapshot_date"] = frame["snapshot_date"] - pd.Timedelta(days=1)
    return f"'{label}' holds opening balances: loaded as the stock at the end of the day before each date"


def map_values(kind: str, column: str, values: pd.Series, header_map: HeaderMap) -> pd.Series:
    """Normalise an enumerated column: value aliases first, then allowed values in any case/spacing.

    Other values are returned unchanged (validation reports them). Works on the distinct values, so
    it is cheap on long columns.
    """
    allowed = KINDS[kind].column(column).allowed or ()
    lookup = {normalise_label(a): a for a in allowed}
    lookup.update(header_map.values.get(kind, {}).get(column, {}))
    if not lookup:
        return values
    replacements = {
        v: lookup[normalise_label(v)]
        for v in _distinct_text(values)
        if normalise_label(v) in lookup and lookup[normalise_label(v)] != v
    }
    if not replacements:
        return values
    return values.mask(values.isin(list(replacements)), values.map(replacements))


def _distinct_text(values: pd.Series) -> Iterable[str]:
    return (v for v in values.dropna().unique() if isinstance(v, str))


# --------------------------------------------------------------------------------------------
# Kind detection


@dataclass(frozen=True)
class KindDetection:
    kind: str | None
    method: str  # "file name", "sheet name", "headers" or "none"
    reason: str
    scores: dict[str, float]  # header-fit score per kind (always computed, also for name matches)


def header_scores(headers: list[str], header_map: HeaderMap) -> dict[str, tuple[float, HeaderMapping]]:
    """Score how well the headers fit each kind.

    Score = share of the kind's required columns found + 0.1 x share of the file's headers that map
    to any column of the kind (the bonus for optional columns; it separates kinds that all find their
    required columns, e.g. a PO file also "fits" sales orders but explains fewer of its headers).
    """
    named = [h for h in headers if str(h).strip()]
    result = {}
    for kind, spec in KINDS.items():
        mapping = map_headers(headers, kind, header_map)
        required = [c for c in spec.columns if c.required and c.default is None]
        found = len(required) - len(mapping.missing_required)
        score = found / len(required) if required else 1.0
        if named:
            score += _COVERAGE_WEIGHT * len(mapping.columns) / len(named)
        result[kind] = (round(score, 6), mapping)
    return result


def detect_kind(
    file_name: str, headers: list[str], header_map: HeaderMap, sheet_name: str | None = None
) -> KindDetection:
    """Decide which extract kind a table holds: by file name, then sheet name, then headers.

    Names: the longest matching keyword decides; equally long keywords of two kinds are a tie and
    fall through. Headers: among kinds whose required columns are all present, the best score
    wins; a tie leaves the kind undecided.
    """
    fits = header_scores(headers, header_map)
    scores = {kind: score for kind, (score, _) in fits.items()}
    name_ties: list[str] = []
    for method, text in (("file name", Path(file_name).stem), ("sheet name", sheet_name)):
        if not text:
            continue
        hits = header_map.matching_keywords(text)
        if len(hits) == 1:
            kind, keyword = hits[0]
            return KindDetection(
                kind, method, f"the {method} {text!r} contains {keyword!r}, a keyword of {kind}", scores
            )
        if hits and not name_ties:
            name_ties = [k for k, _ in hits]
    return _detect_by_headers(fits, scores, header_map, name_ties)


def _detect_by_headers(
    fits: dict[str, tuple[float, HeaderMapping]],
    scores: dict[str, float],
    header_map: HeaderMap,
    name_ties: list[str],
) -> KindDetection:
    note = f" (the file name matches both {_join(name_ties)} equally)" if name_ties else ""
    complete = {kind: score for kind, (score, m) in fits.items() if not m.missing_required}
    if complete:
        best = max(complete.values())
        winners = [kind for kind, score in complete.items() if abs(score - best) < 1e-9]
        if len(winners) == 1:
            kind = winners[0]
            n = len(fits[kind][1].columns)
            reason = f"the headers contain every required column of {kind} ({n} columns recognised)"
            return KindDetection(kind, "headers", reason + note, scores)
        keywords = " or ".join(
            f"{', '.join(repr(k) for k in header_map.example_keywords(kind))} ({kind})" for kind in winners
        )
        reason = f"ambiguous: headers fit both {_join(winners)}{note}; rename the file to include one of {keywords}"
        return KindDetection(None, "none", reason, scores)
    if not any(m.columns for _, m in fits.values()):
        return KindDetection(
            None, "none", f"no header matches a known column of any extract kind{note}", scores
        )
    closest = max(scores, key=lambda k: scores[k])
    missing = fits[closest][1].missing_required
    reason = (
        f"no extract kind fits the headers{note}; the closest is {closest}, which lacks "
        f"{', '.join(missing)}; rename those columns (or add their labels to a header map file), or put "
        f"{' / '.join(repr(k) for k in header_map.example_keywords(closest))} in the file name"
    )
    return KindDetection(None, "none", reason, scores)


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
