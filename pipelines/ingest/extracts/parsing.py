"""Vectorised value parsing for ERP extracts: numbers, dates and total-row labels.

Every parser takes a Series of strings (None/NaN or blank = missing) and returns the parsed Series
plus a boolean "bad" mask: True where a non-blank value could not be parsed. Work is done with
pandas string methods (Arrow-backed in pandas 3) and ``pd.to_numeric``/``pd.to_datetime``;
dates are parsed once per distinct value. No per-row Python loops on the common path.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd

# --- totals -------------------------------------------------------------------------------

_TOTAL_WORDS = (
    "合计", "总计", "小计", "累计", "总合计", "本页合计", "本页小计", "本月合计", "本期合计", "本日合计",
    "本年合计", "本月累计", "本期累计", "本年累计", "grandtotal", "subtotal", "total", "sum",
)  # fmt: skip
# Whole cell, any spacing inside ("合 计", "Grand Total"), optional trailing colon. Patterns here avoid
# \s, \d and $ so that pandas runs them in Arrow (RE2) instead of falling back to Python's re.
_SPACE = "[ \t]*"
TOTAL_LABEL_PATTERN = (
    _SPACE
    + "(?:"
    + "|".join(_SPACE.join(map(re.escape, word)) for word in _TOTAL_WORDS)
    + ")"
    + _SPACE
    + "[:：]?"
    + _SPACE
)
_TOTAL_RE = re.compile(TOTAL_LABEL_PATTERN, re.IGNORECASE)


def is_total_label(value: str) -> bool:
    """True for a whole-cell total label: 合计, 小计, 总计, 本页合计, 累计, Total, Grand Total, Sum..."""
    if not isinstance(value, str):
        return False
    return _TOTAL_RE.fullmatch(unicodedata.normalize("NFKC", value)) is not None


def total_label_mask(s: pd.Series) -> pd.Series:
    """Vectorised :func:`is_total_label` (missing values are False)."""
    text = _as_text(s)
    return text.str.fullmatch(TOTAL_LABEL_PATTERN, case=False).fillna(False).astype(bool)


# --- shared ---------------------------------------------------------------------------------


def _as_text(s: pd.Series) -> pd.Series:
    """Strings (pandas ``str`` dtype), stripped, NFKC-normalised where not ASCII, blanks as NaN."""
    text = s.astype("str").str.strip()
    non_ascii = ~text.str.isascii().fillna(True).astype(bool)
    if non_ascii.any():
        text = text.copy()
        text[non_ascii] = text[non_ascii].str.normalize("NFKC").str.strip()
    return text.mask(text == "")


# --- numbers --------------------------------------------------------------------------------

_CURRENCY = r"[¥$€£元%]"
_THOUSANDS = r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|-?[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]*)?"


def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers; returns (float64 values, bad mask).

    Accepts thousands separators ("1,234.50", "1 234"), full-width digits, currency signs ¥ ￥ $ €
    and 元, a percent sign (dropped: "20%" -> 20.0), accounting negatives "(12.5)" and a leading "+".
    A comma that is not a thousands separator ("1,5") makes the value bad rather than guessing.
    """
    text = _as_text(s)
    blank = text.isna()
    t = text.str.replace("\u2212", "-", regex=False)  # the Unicode minus sign
    t = t.str.replace(r"^\((.+)\)\Z", r"-\1", regex=True)
    t = t.str.replace(_CURRENCY, "", regex=True).str.strip()
    t = t.str.replace(r"^\+[ \t]*", "", regex=True).str.replace(r"^-[ \t]+", "-", regex=True)
    has_separator = t.str.contains(r"[, \t]", regex=True).fillna(False).astype(bool)
    good_separator = t.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
    t = t.mask(has_separator & ~good_separator).str.replace(r"[, \t]", "", regex=True)
    values = pd.to_numeric(t, errors="coerce").astype("float64")
    values = values.where(np.isfinite(values))
    bad = ~blank & values.isna()
    return values.rename(s.name), bad.rename(s.name)


# --- dates ----------------------------------------------------------------------------------

# Tried in order on the values still unparsed. pandas accepts unpadded months and days here.
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%b %d, %Y",  # Jun 2, 2025 (English ERPs' display format)
    "%B %d, %Y",
    "%d %b %Y",
    "%d-%b-%Y",
)
# Last resort: a leading year-first date followed by anything (a time zone, a weekday such as 星期一).
_LEADING_DATE = (
    r"^\s*([0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|年[0-9]{1,2}月[0-9]{1,2}日))(?:[T\s].*)?$"
)
_COMPACT_DATE = r"[0-9]{8}"  # 20240105
_EXCEL_SERIAL = r"[0-9]{5}(?:\.[0-9]+)?"
_EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-10
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # 1900 date system, counting Excel's phantom 1900-02-29
_DAY_MONTH_YEAR = r"(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
_DATE_DTYPE = "datetime64[s]"  # second resolution: covers 9999-12-31 ("no end date" in many ERPs)


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates; returns (datetime64[s] values at midnight, bad mask).

    Accepts ISO dates with or without a time, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105 and Excel
    serial numbers as text (20000-80000, 1900 date system). dd/mm/yyyy and mm/dd/yyyy are accepted
    only when the column decides the order (a first or second part above 12 somewhere, never both).
    Each distinct value is parsed once.
    """
    text = _as_text(s)
    codes, uniques = pd.factorize(text)
    parsed = _parse_distinct_dates(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    distinct = np.append(parsed.to_numpy(), np.datetime64("NaT"))  # code -1 (missing) takes the last slot
    result = pd.Series(distinct[codes], index=s.index, name=s.name, dtype=_DATE_DTYPE)
    bad = pd.Series(codes >= 0, index=s.index, name=s.name) & result.isna()
    return result, bad


def _parse_distinct_dates(u: pd.Series) -> pd.Series:
    result = pd.Series(pd.NaT, index=u.index, dtype=_DATE_DTYPE)
    for fmt in _DATE_FORMATS:
        _fill(result, u, lambda v, fmt=fmt: pd.to_datetime(v, format=fmt, errors="coerce"))
    compact = u.str.fullmatch(_COMPACT_DATE).fillna(False).astype(bool)
    _fill(result, u[compact], lambda v: pd.to_datetime(v, format="%Y%m%d", errors="coerce"))
    serial = u.str.fullmatch(_EXCEL_SERIAL).fillna(False).astype(bool)
    _fill(result, u[serial], _excel_serials)
    _fill(result, u, _day_month_year)
    leading = u.str.extract(_LEADING_DATE, expand=False)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        _fill(result, leading, lambda v, fmt=fmt: pd.to_datetime(v, format=fmt, errors="coerce"))
    return result.dt.normalize()


def _fill(result: pd.Series, candidates: pd.Series, parse) -> None:
    """Parse the candidates whose result is still missing and write the successes into ``result``."""
    todo = candidates[result.loc[candidates.index].isna()]
    if todo.empty:
        return
    parsed = parse(todo)
    parsed = parsed[parsed.notna()]
    if not parsed.empty:
        result.loc[parsed.index] = parsed.astype(_DATE_DTYPE)


def _excel_serials(v: pd.Series) -> pd.Series:
    days = pd.to_numeric(v, errors="coerce")
    low, high = _EXCEL_SERIAL_RANGE
    days = days.where((days >= low) & (days <= high))
    return _EXCEL_EPOCH + pd.to_timedelta(np.floor(days), unit="D")


def _day_month_year(v: pd.Series) -> pd.Series:
    """dd/mm/yyyy or mm/dd/yyyy, only when the values decide which (never guess per value)."""
    parts = v.str.extract(_DAY_MONTH_YEAR).dropna()
    if parts.empty:
        return pd.Series(dtype=_DATE_DTYPE)
    a, b = parts["a"].astype(int), parts["b"].astype(int)
    day_first, month_first = (a > 12).any(), (b > 12).any()
    if day_first == month_first:  # undecided (all <= 12) or contradictory
        return pd.Series(dtype=_DATE_DTYPE)
    day, month = (a, b) if day_first else (b, a)
    iso = parts["y"] + "-" + month.astype(str) + "-" + day.astype(str)
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


_TITLE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def date_in_titles(title_lines: list[str]) -> str | None:
    """The last date written in the rows above the header (a report's as-of or period-end date)."""
    found = [m for line in title_lines for m in _TITLE_DATE.finditer(line or "")]
    if not found:
        return None
    year, month, day = (int(g) for g in found[-1].groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
