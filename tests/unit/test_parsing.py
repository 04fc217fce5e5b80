"""Value parsing: numbers, dates and total labels as ERP exports write them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.ingest.extracts.parsing import is_total_label, parse_dates, parse_numbers, total_label_mask


def _series(values: list) -> pd.Series:
    return pd.Series(values, dtype=object, name="col")


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("-3.5", -3.5),
        ("+7", 7.0),
        ("1,234.50", 1234.5),
        ("12,345,678.9", 12345678.9),
        ("1 234", 1234.0),
        ("1\u00a0234", 1234.0),  # no-break space as thousands separator
        ("１２３.５", 123.5),  # full-width digits
        ("¥12", 12.0),
        ("￥1,000", 1000.0),
        ("$5", 5.0),
        ("€3.5", 3.5),
        ("12元", 12.0),
        ("20%", 20.0),
        ("(12.5)", -12.5),
        ("（12.5）", -12.5),  # full-width brackets
        ("(¥1,200)", -1200.0),
        ("-¥8", -8.0),
        ("\u22124", -4.0),  # Unicode minus sign
        ("  42  ", 42.0),
        ("0", 0.0),
        ("1e3", 1000.0),
    ],
)
def test_parse_numbers_accepts_erp_spellings(text: str, expected: float) -> None:
    values, bad = parse_numbers(_series([text]))
    assert values.iloc[0] == pytest.approx(expected)
    assert not bad.iloc[0]


@pytest.mark.parametrize(
    "text", ["abc", "1,5", "1.234,50", "12 34", "12-", "--", "inf", "nan", "1,2345", "12.5.1"]
)
def test_parse_numbers_flags_unparseable_values_as_bad(text: str) -> None:
    values, bad = parse_numbers(_series([text]))
    assert math.isnan(values.iloc[0])
    assert bad.iloc[0]


def test_parse_numbers_treats_blanks_as_missing_not_bad() -> None:
    values, bad = parse_numbers(_series([None, "", "   ", np.nan, "5"]))
    assert values.isna().tolist() == [True, True, True, True, False]
    assert bad.tolist() == [False] * 5


def test_parse_numbers_keeps_index_name_and_dtypes() -> None:
    s = pd.Series(["1", "x", None], index=[10, 20, 30], dtype=object, name="qty")
    values, bad = parse_numbers(s)
    assert values.dtype == np.float64 and bad.dtype == bool
    assert values.index.tolist() == [10, 20, 30] and values.name == "qty"
    assert bad.tolist() == [False, True, False]


def test_parse_numbers_accepts_pandas_string_dtype() -> None:
    values, bad = parse_numbers(pd.Series(["1,000", None, "x"], dtype="str"))
    assert values.iloc[0] == 1000.0 and math.isnan(values.iloc[1])
    assert bad.tolist() == [False, False, True]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-05",
        "2024-1-5",
        "2024-01-05 13:45:00",
        "2024-01-05T13:45:00",
        "2024-01-05 13:45",
        "2024-01-05 13:45:00.250",
        "2024/1/5",
        "2024/01/05 08:00:00",
        "2024.1.5",
        "2024年1月5日",
        "2024年01月05日",
        "20240105",
        "45296",  # Excel serial number of 2024-01-05
        "45296.0",
        "45296.5625",  # with a time of day: still that day
        "２０２４－０１－０５",  # full-width
        " 2024-01-05 ",
    ],
)
def test_parse_dates_accepts_erp_spellings_at_midnight(text: str) -> None:
    values, bad = parse_dates(_series([text]))
    assert values.iloc[0] == pd.Timestamp("2024-01-05")
    assert not bad.iloc[0]


@pytest.mark.parametrize(
    "text", ["2024-13-45", "abc", "2024-02-30", "2024015", "19999", "80001", "05/01/24x", "13/13/2024"]
)
def test_parse_dates_flags_invalid_values_as_bad(text: str) -> None:
    values, bad = parse_dates(_series([text]))
    assert pd.isna(values.iloc[0])
    assert bad.iloc[0]


def test_parse_dates_blanks_are_missing_not_bad_and_dtype_is_datetime() -> None:
    values, bad = parse_dates(_series([None, "", "  ", "2024-03-01"]))
    assert values.dtype.kind == "M"
    assert values.isna().tolist() == [True, True, True, False]
    assert bad.tolist() == [False, False, False, False]


@pytest.mark.parametrize("values", [[None, None], [], ["", "  "]])
def test_parsers_handle_columns_without_any_value(values: list) -> None:
    dates, bad_dates = parse_dates(_series(values))
    numbers, bad_numbers = parse_numbers(_series(values))
    assert len(dates) == len(numbers) == len(values)
    assert dates.isna().all() and numbers.isna().all()
    assert not bad_dates.any() and not bad_numbers.any()


def test_parse_dates_keeps_far_future_end_dates() -> None:
    values, bad = parse_dates(_series(["9999-12-31"]))
    assert values.iloc[0] == pd.Timestamp("9999-12-31") and not bad.iloc[0]


def test_parse_dates_day_first_decided_by_a_day_above_12() -> None:
    values, bad = parse_dates(_series(["05/01/2024", "25/12/2024", "05.02.2024"]))
    assert values.tolist() == [
        pd.Timestamp("2024-01-05"),
        pd.Timestamp("2024-12-25"),
        pd.Timestamp("2024-02-05"),
    ]
    assert not bad.any()


def test_parse_dates_month_first_decided_by_a_second_part_above_12() -> None:
    values, bad = parse_dates(_series(["05/01/2024", "12/25/2024"]))
    assert values.tolist() == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-12-25")]
    assert not bad.any()


def test_parse_dates_undecidable_day_month_order_is_bad() -> None:
    values, bad = parse_dates(_series(["05/01/2024", "06/01/2024", "2024-01-07"]))
    assert bad.tolist() == [True, True, False]
    assert values.iloc[2] == pd.Timestamp("2024-01-07")


def test_parse_dates_contradictory_day_month_order_is_bad() -> None:
    _, bad = parse_dates(_series(["25/01/2024", "01/25/2024"]))
    assert bad.tolist() == [True, True]


def test_parse_dates_mixed_formats_and_repeats_keep_row_alignment() -> None:
    s = pd.Series(
        ["2024/1/5", None, "45297", "2024/1/5", "x", "20240108"], index=list("abcdef"), dtype=object
    )
    values, bad = parse_dates(s)
    assert values.index.tolist() == list("abcdef")
    assert values.dropna().dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05",
        "2024-01-06",
        "2024-01-05",
        "2024-01-08",
    ]
    assert bad.tolist() == [False, False, False, False, True, False]


# --- totals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["合计", "总计", "小计", "合 计", "本页合计", "累计", "本月合计", "本年累计", "合计:", "合计：", "Total", "TOTAL",
     "Subtotal", "Sub Total", "Grand Total", "grand total:", "Sum", "  小计  "],
)  # fmt: skip
def test_is_total_label_recognises_whole_cell_totals(text: str) -> None:
    assert is_total_label(text)


@pytest.mark.parametrize(
    "text", ["累计出库数量", "合计金额", "Total Wine & More", "summary", "A001", "", "小计 A"]
)
def test_is_total_label_rejects_other_cells(text: str) -> None:
    assert not is_total_label(text)


def test_total_label_mask_matches_the_scalar_function() -> None:
    cells = ["合 计", None, "Grand Total:", "x", "累计出库数量", "小计"]
    assert total_label_mask(_series(cells)).tolist() == [is_total_label(c) if c else False for c in cells]


def test_dates_with_time_zone_weekday_or_english_month_names():
    values = pd.Series(
        ["2025-06-02T10:22:00+08:00", "2025年6月2日 星期一", "Jun 2, 2025", "2 Jun 2025", "2025-13-02 x"],
        dtype=object,
    )
    parsed, bad = parse_dates(values)
    assert [str(d.date()) for d in parsed[:4]] == ["2025-06-02"] * 4
    assert list(bad) == [False, False, False, False, True]
