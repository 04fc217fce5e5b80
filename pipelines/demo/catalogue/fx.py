"""Currencies and FX rates: the base currency, the import currencies and their business-day rates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.catalogue.days import Calendar, weekday_of

BASE_CURRENCY = "CNY"
CURRENCIES = ("CNY", "USD", "EUR")  # index 0 is the base currency (rate 1)
FX_CENTRE = (1.0, 7.1, 7.8)


@dataclass
class FxRates:
    dates: np.ndarray  # datetime64[D] business days
    rates: np.ndarray  # [len(CURRENCIES) - 1, len(dates)], CNY per unit
    daily: np.ndarray  # [len(CURRENCIES), days]: rate in force on each day of history (CNY row = 1)


def build_fx(rng: np.random.Generator, cal: Calendar) -> FxRates:
    """Business-day USD and EUR rates: a mean-reverting random walk around 7.1 and 7.8 CNY."""
    first = np.datetime64(cal.start, "D") - 10
    all_days = np.arange(first, np.datetime64(cal.end, "D") + 1)
    business = all_days[weekday_of(all_days) < 5]
    n_ccy = len(CURRENCIES) - 1
    log_rate = np.zeros((n_ccy, len(business)))
    centre = np.log(np.array(FX_CENTRE[1:]))
    x = centre + rng.normal(0, 0.01, n_ccy)
    shocks = rng.normal(0, 0.003, (len(business), n_ccy))
    for k in range(len(business)):
        x = x + 0.01 * (centre - x) + shocks[k]
        log_rate[:, k] = x
    rates = np.round(np.exp(log_rate), 4)
    idx = (
        np.searchsorted(business, cal.dates, side="right") - 1
    )  # the last rate published on or before the day
    daily = np.ones((len(CURRENCIES), cal.days))
    daily[1:] = rates[:, idx]
    return FxRates(business, rates, daily)
