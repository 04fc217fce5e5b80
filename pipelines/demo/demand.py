"""Daily customer demand per SKU x warehouse, with the calendar, price and promotion effects.

The expected demand of series ``s`` (SKU ``i`` at warehouse ``w``) on day ``t`` is a product of
multipliers, and the day's quantity is a negative-binomial draw around it:

    mu[t, s] = rate[i] * share[w] * taste[s] * weekly[cat, weekday] * yearly[cat, t] * spring[cat, t]
               * festival[cat, t] * trend[i, t] * lifecycle[i, t] * price[i, t]**-1 * promo_uplift[t, s]

- weekly: weekdays near 1, weekends lower by category (offices buy no stationery on Sunday).
- yearly: a cosine with a category-specific amplitude and peak (drinks in summer, scarves in winter).
- spring: the Spring Festival dip, 50-70% from about a week before to 10 days after the new year
  (dates from ``holidays.China``), with a pre-festival shopping bump for food.
- festival: the 618 (June 1-18, peak on the 18th) and 双11 (November 1-11, peak on the 11th) peaks.
- lifecycle: zero before launch, ramping up over six weeks; a discontinued SKU fades over the
  quarter before its discontinuation date and to nothing within weeks after it.
- price: list prices change a few times over the history (mostly increases); demand responds mildly.
- promo_uplift: ``(1 - discount) ** -elasticity`` while a promotion covers the series.

Boxed SKUs are drawn in boxes and converted to base units, so their quantities are whole boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
import numpy as np

from pipelines.demo.catalogue import Calendar, Catalogue

SPRING_FESTIVAL = "Chinese New Year (Spring Festival)"
PROMO_DISCOUNT, PROMO_618, PROMO_1111 = 0, 1, 2
FESTIVAL_PEAK = {PROMO_618: 1.0, PROMO_1111: 1.5}  # extra demand on the peak day, times category sensitivity
RAMP_UP_DAYS = 45
FADE_DAYS = 120
CHUNK_DAYS = 64


@dataclass
class Promotions:
    sku: np.ndarray
    warehouse: np.ndarray  # -1: every warehouse
    start: np.ndarray  # day numbers (the end may lie after the history: an announced campaign)
    end: np.ndarray
    pct: np.ndarray  # discount in percent
    kind: np.ndarray  # PROMO_DISCOUNT, PROMO_618 or PROMO_1111

    def __len__(self) -> int:
        return len(self.sku)


@dataclass
class Demand:
    qty: np.ndarray  # [days, series] int32, base units
    promo_pct: np.ndarray  # [days, series] int8, discount in force
    price_factor: np.ndarray  # [days, skus] list price relative to the start of history
    cost_factor: np.ndarray  # [days, skus] purchase cost relative to the start of history
    promotions: Promotions
    zero_share: float  # share of zero-demand days among series-days where the SKU is listed


def build_demand(rng: np.random.Generator, cat: Catalogue) -> Demand:
    price_factor, cost_factor = price_changes(rng, cat)
    promotions = build_promotions(rng, cat)
    promo_pct = promotion_matrix(cat, promotions)
    sku_factor = SkuDayFactors(rng, cat, price_factor)
    skus, n_wh = cat.skus, len(cat.warehouses.ids)
    sku_of = np.repeat(np.arange(skus.n), n_wh)
    wh_of = np.tile(np.arange(n_wh), skus.n)
    taste = rng.lognormal(-0.045, 0.3, len(sku_of))  # regional preferences
    base = skus.rate[sku_of] * cat.warehouses.weight[wh_of] * taste / skus.box[sku_of]
    shape = skus.shape[sku_of]
    elasticity = skus.promo_elasticity[sku_of]
    qty = np.zeros((cat.cal.days, len(sku_of)), dtype=np.int32)
    zeros = active = 0
    for a in range(0, cat.cal.days, CHUNK_DAYS):
        b = min(a + CHUNK_DAYS, cat.cal.days)
        f = np.repeat(sku_factor.between(a, b), n_wh, axis=1)
        uplift = (1.0 - promo_pct[a:b] / 100.0) ** -elasticity
        mu = f * base * uplift
        counts = rng.negative_binomial(shape, shape / (shape + mu))
        qty[a:b] = counts * skus.box[sku_of]
        listed = np.repeat(sku_factor.listed(a, b), n_wh, axis=1)
        active += int(listed.sum())
        zeros += int((listed & (counts == 0)).sum())
    return Demand(qty, promo_pct, price_factor, cost_factor, promotions, zeros / max(active, 1))


class SkuDayFactors:
    """The SKU-level multipliers of expected demand, evaluated for a range of days."""

    def __init__(self, rng: np.random.Generator, cat: Catalogue, price_factor: np.ndarray) -> None:
        self.cat = cat
        cal, categories = cat.cal, cat.categories
        self.weekly = weekly_profile(rng, cat)  # [7, n_cat]
        doy = (cal.dates - cal.dates.astype("datetime64[Y]")).astype(np.int64)
        amp = np.array([c.season_amp for c in categories])
        peak = np.array([c.season_peak for c in categories])
        self.yearly = 1.0 + amp * np.cos(2 * np.pi * (doy[:, None] - peak) / 365.25)  # [days, n_cat]
        dip, stocking = spring_festival_intensity(cal)
        depth = np.array([c.spring_depth for c in categories]) * rng.uniform(0.9, 1.1, len(categories))
        food = np.array([c.code == "02" for c in categories])
        self.spring = (1.0 - dip[:, None] * depth) * (1.0 + 0.4 * stocking[:, None] * food)
        sens = np.array([c.festival for c in categories])
        i618, i1111 = festival_intensity(cal)
        self.festival = (
            1.0 + sens * (FESTIVAL_PEAK[PROMO_618] * i618 + FESTIVAL_PEAK[PROMO_1111] * i1111)[:, None]
        )
        self.price_effect = price_factor**-1.0

    def listed(self, a: int, b: int) -> np.ndarray:
        t = np.arange(a, b)[:, None]
        skus = self.cat.skus
        return (t >= skus.launch_day) & (t < skus.disc_day)

    def between(self, a: int, b: int) -> np.ndarray:
        skus = self.cat.skus
        c = skus.category
        t = np.arange(a, b)[:, None]
        wd = self.cat.cal.weekday[a:b]
        calendar = (
            self.weekly[wd][:, c] * self.yearly[a:b][:, c] * self.spring[a:b][:, c] * self.festival[a:b][:, c]
        )
        trend = np.exp(skus.trend * t / 365.0)
        return calendar * trend * lifecycle(skus.launch_day, skus.disc_day, t) * self.price_effect[a:b]


def lifecycle(launch: np.ndarray, disc: np.ndarray, t: np.ndarray) -> np.ndarray:
    """0 before launch, ramp-up after it; fade before discontinuation and (almost) nothing after."""
    ramp = np.clip((t - launch + 1) / RAMP_UP_DAYS, 0.0, 1.0)
    fade = 0.35 + 0.65 * np.clip((disc - t) / FADE_DAYS, 0.0, 1.0)
    after = 0.35 * np.exp(-np.maximum(t - disc, 0) / 7.0) * (t - disc < 45)
    return ramp * np.where(t < disc, fade, after)


def weekly_profile(rng: np.random.Generator, cat: Catalogue) -> np.ndarray:
    weekend = np.array([c.weekend for c in cat.categories])
    profile = np.ones((7, len(weekend))) + rng.normal(0, 0.04, (7, len(weekend)))
    profile[5] = weekend
    profile[6] = weekend * 0.85
    return profile / profile.mean(axis=0)


def spring_festival_dates(years: range) -> list[date]:
    """First day of the Spring Festival holiday of each year, from the holidays package."""
    found: dict[int, date] = {}
    for day, name in holidays.China(years=years).items():
        if name.startswith(SPRING_FESTIVAL) and (day.year not in found or day < found[day.year]):
            found[day.year] = day
    return [found[y] for y in sorted(found)]


def spring_festival_intensity(cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Per day: depth of the holiday dip (0..1) and of the shopping bump (0..1) before it."""
    dip = np.zeros(cal.days)
    stocking = np.zeros(cal.days)
    t = np.arange(cal.days)
    for new_year in spring_festival_dates(range(cal.start.year - 1, cal.end.year + 2)):
        k = t - cal.day(new_year)
        dip = np.maximum(
            dip,
            np.select(
                [(k >= -7) & (k < 0), (k >= 0) & (k <= 6), (k > 6) & (k <= 10)],
                [0.4 + 0.6 * (k + 8) / 8, np.ones_like(k, dtype=float), 1.0 - (k - 6) / 5],
                0.0,
            ),
        )
        stocking = np.maximum(stocking, ((k >= -25) & (k < -8)).astype(float))
    return dip, stocking


def festival_intensity(cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Per day: the 618 and 双11 shopping-festival intensity (1 on the peak day)."""
    month = cal.dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (cal.dates - cal.dates.astype("datetime64[M]")).astype(np.int64) + 1
    i618 = np.where((month == 6) & (dom < 18), 0.2 + 0.25 * (dom - 1) / 17, 0.0)
    i618 = np.where((month == 6) & (dom == 18), 1.0, i618)
    i1111 = np.where((month == 11) & (dom < 11), 0.2 + 0.3 * (dom - 1) / 10, 0.0)
    i1111 = np.where((month == 11) & (dom == 11), 1.0, i1111)
    i1111 = np.where((month == 11) & (dom > 11) & (dom <= 16), -0.1, i1111)  # customers bought ahead
    return i618, i1111


def price_changes(rng: np.random.Generator, cat: Catalogue) -> tuple[np.ndarray, np.ndarray]:
    """List price and purchase cost multipliers: a few step changes per SKU, mostly increases."""
    days, n = cat.cal.days, cat.skus.n
    n_changes = np.minimum(rng.poisson(0.8 * days / 365, n), 4)
    sku = np.repeat(np.arange(n), n_changes)
    day = rng.integers(1, days, len(sku))
    step = rng.normal(0.03, 0.05, len(sku))
    log_price = np.zeros((days, n))
    log_cost = np.zeros((days, n))
    np.add.at(log_price, (day, sku), step)
    np.add.at(log_cost, (day, sku), step + rng.normal(0, 0.01, len(sku)))
    return (
        np.exp(np.cumsum(log_price, axis=0)).astype(np.float32),
        np.exp(np.cumsum(log_cost, axis=0)).astype(np.float32),
    )


def build_promotions(rng: np.random.Generator, cat: Catalogue) -> Promotions:
    """Festival campaigns (618, 双11) for a third of the listed SKUs, and ad-hoc discounts."""
    cal, skus = cat.cal, cat.skus
    parts: list[tuple[np.ndarray, ...]] = []
    for year in range(cal.start.year, cal.end.year + 2):
        for kind, first, last in (
            (PROMO_618, date(year, 6, 1), date(year, 6, 18)),
            (PROMO_1111, date(year, 11, 1), date(year, 11, 11)),
        ):
            a, b = cal.day(first), cal.day(last)
            if b < 0 or a > cal.days - 1 + 30:
                continue
            listed = np.flatnonzero((skus.launch_day <= a) & (skus.disc_day > b))
            chosen = np.sort(rng.choice(listed, round(0.35 * len(listed)), replace=False))
            m = len(chosen)
            parts.append(
                (
                    chosen,
                    np.full(m, -1),
                    np.full(m, a),
                    np.full(m, b),
                    rng.choice([10, 15, 20, 25, 30], m),
                    np.full(m, kind),
                )
            )
    n_events = rng.poisson(1.5 * cal.days / 365, skus.n)
    sku = np.repeat(np.arange(skus.n), n_events)
    start = rng.integers(0, max(1, cal.days - 7), len(sku))
    end = start + rng.integers(4, 14, len(sku))
    keep = (start >= skus.launch_day[sku]) & (end < skus.disc_day[sku])
    n_wh = len(cat.warehouses.ids)
    wh = np.where(rng.random(len(sku)) < 0.6, -1, rng.integers(0, n_wh, len(sku)))
    pct = rng.choice([10, 15, 20, 25], len(sku))
    order = np.lexsort((sku, start))
    sel = order[keep[order]]
    parts.append((sku[sel], wh[sel], start[sel], end[sel], pct[sel], np.full(len(sel), PROMO_DISCOUNT)))
    cols = [np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(6)]
    return Promotions(*cols)


def promotion_matrix(cat: Catalogue, promos: Promotions) -> np.ndarray:
    """The discount in force per day and series (the deepest one where promotions overlap)."""
    days, n_wh = cat.cal.days, len(cat.warehouses.ids)
    pct = np.zeros((days, cat.skus.n * n_wh), dtype=np.int8)
    start = np.clip(promos.start, 0, days)
    end = np.clip(promos.end + 1, 0, days)
    length = np.maximum(end - start, 0)
    for w in range(n_wh):
        covers = (promos.warehouse == -1) | (promos.warehouse == w)
        n = length * covers
        idx = np.repeat(np.arange(len(promos)), n)
        offset = np.arange(len(idx)) - np.repeat(np.cumsum(n) - n, n)
        rows = start[idx] + offset
        cols = promos.sku[idx] * n_wh + w
        np.maximum.at(pct, (rows, cols), promos.pct[idx].astype(np.int8))
    return pct
