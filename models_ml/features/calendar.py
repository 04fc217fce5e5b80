"""Calendar and holiday features of a date or a period: day of week, month, ISO week, month end, public
holidays of the configured country (``holidays`` package) and, for China, the distance to the Spring
Festival, 618 and 双11; ``calendar_table`` gives them per period (days or weeks) of a panel.

Never imports: the panel or any other part of ``models_ml`` (dates in, frames out), nor
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

SPRING_FESTIVAL = "Chinese New Year (Spring Festival)"
YEARLY_CALENDAR = ("month", "woy", "d_spring", "d_618", "d_1111")
YEARLY_CALENDAR_MIN_YEARS = 1


@lru_cache(maxsize=64)
def spring_festivals(first_year: int, last_year: int) -> tuple[pd.Timestamp, ...]:
    """First day of each Spring Festival holiday, from the ``holidays`` package (holidays.China)."""
    found: dict[int, object] = {}
    for day, name in holidays.China(years=range(first_year, last_year + 1)).items():
        if name.startswith(SPRING_FESTIVAL) and (day.year not in found or day < found[day.year]):
            found[day.year] = day
    return tuple(pd.Timestamp(found[y]) for y in sorted(found))


@lru_cache(maxsize=64)
def public_holidays(country: str, first_year: int, last_year: int) -> tuple[pd.Timestamp, ...]:
    """Public holidays of ``country`` (ISO 3166 code known to the ``holidays`` package), sorted."""
    try:
        days = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except NotImplementedError as exc:
        raise ValueError(f"holiday_country {country!r} is not a country the holidays package knows") from exc
    return tuple(sorted(pd.Timestamp(d) for d in days))


def _signed_distance(d64: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Days from each date to the nearest event (negative: before it)."""
    if len(events) == 0:
        return np.zeros(len(d64), dtype=np.int64)
    pos = np.searchsorted(events, d64)
    prev_e = events[np.clip(pos - 1, 0, len(events) - 1)]
    next_e = events[np.clip(pos, 0, len(events) - 1)]
    d_prev = (d64 - prev_e).astype("timedelta64[D]").astype(np.int64)
    d_next = (d64 - next_e).astype("timedelta64[D]").astype(np.int64)
    return np.where(np.abs(d_prev) <= np.abs(d_next), d_prev, d_next)


def daily_calendar(days: pd.DatetimeIndex, country: str = "CN") -> pd.DataFrame:
    """Calendar and holiday features of single days for the holidays of ``country``.

    Every country: day of week and month, month, ISO week, month end, public holiday (``holidays``
    package). Other countries than China: the signed distance to the nearest public holiday, clipped to
    two weeks. China (``CN``) instead: the signed distance to the (moving) Spring Festival, from
    ``holidays.China``, and to 618 and 双11, fixed-date shopping festivals (June 18, November 11) that
    the package does not list, clipped to a month.
    """
    y0, y1 = int(days.year.min()) - 1, int(days.year.max()) + 1
    d64 = days.values.astype("datetime64[ns]")
    hol = np.array(public_holidays(country, y0, y1), dtype="datetime64[ns]")
    is_hol = np.isin(d64.astype("datetime64[D]"), hol.astype("datetime64[D]")).astype(np.float64)
    out = {
        "dow": days.day_of_week.to_numpy(dtype=np.float64),
        "dom": days.day.to_numpy(dtype=np.float64),
        "month": days.month.to_numpy(dtype=np.float64),
        "woy": days.isocalendar().week.to_numpy(dtype=np.float64),
        "is_month_end": days.is_month_end.astype(np.float64),
        "is_holiday": is_hol,
    }
    if country.upper() not in ("CN", "CHN", "CHINA"):
        # China's calendar has the Spring Festival distance below instead (the demo's daily WAPE got
        # 0.6-0.9 points worse with both)
        out["d_holiday"] = np.clip(_signed_distance(d64, hol), -14, 14).astype(np.float64)
    else:
        sf = np.array(spring_festivals(y0, y1), dtype="datetime64[ns]")

        def festival(month: int, day: int) -> np.ndarray:
            this = pd.to_datetime({"year": days.year, "month": month, "day": day}).to_numpy()
            return np.clip((d64 - this).astype("timedelta64[D]").astype(np.int64), -31, 31)

        out["d_spring"] = np.clip(_signed_distance(d64, sf), -46, 46).astype(np.float64)
        out["d_618"] = festival(6, 18).astype(np.float64)
        out["d_1111"] = festival(11, 11).astype(np.float64)
    return pd.DataFrame(out, index=days)


@lru_cache(maxsize=32)
def calendar_table(
    origin: pd.Timestamp, step_days: int, t_min: int, h_max: int, country: str = "CN"
) -> pd.DataFrame:
    """Calendar features for periods ``t_min .. h_max`` (row ``t - t_min``).

    Weekly periods use pandas' ``W`` convention: the date labels the 7 days ending on it; the
    features are those of the week's middle day plus the number of public holidays in the week."""
    ts = np.arange(t_min, h_max + 1)
    dates = origin + pd.to_timedelta(ts * step_days, unit="D")
    if step_days == 1:
        return daily_calendar(pd.DatetimeIndex(dates), country).reset_index(drop=True)
    mid = daily_calendar(pd.DatetimeIndex(dates - pd.Timedelta(days=step_days // 2)), country)
    out = mid.drop(columns=["dow", "dom", "is_month_end"]).reset_index(drop=True)
    n_hol = np.zeros(len(dates))
    for d in range(step_days):
        n_hol += daily_calendar(pd.DatetimeIndex(dates - pd.Timedelta(days=d)), country)[
            "is_holiday"
        ].to_numpy()
    out["is_holiday"] = n_hol
    out["month_end_in_period"] = ((dates - pd.Timedelta(days=step_days - 1)).month != dates.month).astype(
        np.float64
    )
    return out
