"""The calendar of the history: day numbers, weekdays and date stamps.

Day numbers are offsets from the first day of history: day 0 is ``start``, day ``days - 1`` is ``end``;
``NO_DAY`` stands for "never".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

WEEKDAYS = (
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
)
NO_DAY = 10**6  # "never" for day-number columns such as the discontinuation day


@dataclass
class Calendar:
    start: date
    end: date
    days: int
    dates: np.ndarray  # datetime64[D], one per day of history
    weekday: np.ndarray  # 0 = Monday
    yyyymmdd: np.ndarray  # int64 date stamps used in document numbers

    @classmethod
    def ending(cls, end: date, days: int) -> Calendar:
        start = end - timedelta(days=days - 1)
        dates = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        return cls(start, end, days, dates, weekday_of(dates), yyyymmdd_of(dates))

    def day(self, d: date) -> int:
        return (d - self.start).days


def weekday_of(dates: np.ndarray) -> np.ndarray:
    return ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01 = Thursday


def yyyymmdd_of(dates: np.ndarray) -> np.ndarray:
    y = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return y * 10000 + m * 100 + d
