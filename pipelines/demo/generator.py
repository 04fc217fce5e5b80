"""Demo company generator: a seeded simulation of a Chinese distributor and its ERP extract files.

The company buys from 15-40 suppliers (most in CNY, some importers in USD or EUR), keeps stock in a
few warehouses and sells to a few hundred business customers. Its planners replenish by hand-set
min/max levels that were set from stale or wrong estimates, so its exports show exactly what Stockflow
is for: best sellers that keep running out (short-closed order lines), slow movers and discontinued
items piling up (tens of days of inventory, dead stock), suppliers that are late.

Pipeline (one module per step, all plain numpy/pandas/pyarrow):

1. ``catalogue`` (a package): categories, suppliers, warehouses, SKUs (cost, price, MOQ, pack size,
   launch and discontinuation dates, popularity), customers, FX rates.
2. ``demand``: daily demand per SKU x warehouse (negative binomial around a product of weekly,
   yearly, Spring Festival, 618/双11, trend, lifecycle, price and promotion effects).
3. ``policy``: the planners' min/max levels; ``simulate``: a day-by-day stock simulation, vectorised
   across all series: shipments, receipts, transfers, counts, returns, scrap and purchase orders.
4. ``masters``: the master data tables; ``documents``: numbered sales orders, POs, receipts,
   movement documents and snapshots.
5. ``writers``: the files, in English (canonical columns) or Chinese (U8-style exports, laid out by
   ``layouts``; the Chinese rendering gives the opening stock its own U8 期初结存 sheet).

The stock ledger is exact: every snapshot equals the opening snapshot plus receipts plus movements
minus shipments (by ship date), except for a deliberate ~1% of month-end snapshot rows that are off
by 1-3 units (unbooked count differences, see ``documents``). On-hand never goes negative.

Same ``DemoConfig`` (including ``end_date``) gives byte-identical files.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm.auto import tqdm

from pipelines.demo import documents as docs
from pipelines.demo import increments, masters
from pipelines.demo.catalogue import Calendar, build_catalogue
from pipelines.demo.demand import build_demand
from pipelines.demo.layouts import LAYOUTS, OPENING_BALANCES, extract_format
from pipelines.demo.policy import plan_policy
from pipelines.demo.simulate import STATUS_CANCELLED, STATUS_CLOSED, simulate
from pipelines.demo.writers import write_extract

DEAD_STOCK_DAYS = 180
DIO_WINDOW_DAYS = 90


@dataclass(frozen=True)
class DemoConfig:
    skus: int = 500
    warehouses: int = 3
    days: int = 730
    seed: int = 42
    lang: str = "en"  # "en" | "zh"
    end_date: date | None = None  # last day of history; None -> yesterday
    customers: int | None = None  # None -> scaled from skus and warehouses
    extract_format: str = "csv"  # "csv" | "parquet": how the large (non-workbook) extracts are written

    def validate(self) -> None:
        if self.lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', not {self.lang!r}")
        if self.extract_format not in ("csv", "parquet"):
            raise ValueError(f"extract_format must be 'csv' or 'parquet', not {self.extract_format!r}")
        if self.skus < 1 or self.warehouses < 1 or self.days < 28:
            raise ValueError("need at least 1 SKU, 1 warehouse and 28 days")
        if self.customers is not None and self.customers < 1:
            raise ValueError("customers must be positive")


@dataclass(frozen=True)
class DemoSummary:
    files: list[Path]
    rows: dict[str, int]  # extract kind -> data rows written
    start_date: date
    end_date: date
    stats: dict[str, float]


def generate_demo(
    out_dir: Path, config: DemoConfig = DemoConfig(), progress: bool = True, holdback_dir: Path | None = None
) -> DemoSummary:
    """Simulate the demo company and write its ERP extracts into ``out_dir``.

    With ``holdback_dir``, the last day's documents are written there instead, as the next day's
    extract, and ``out_dir`` gets the company as exported the evening before (see ``increments``);
    the summary then describes ``out_dir``'s files (history ending the day before ``end_date``)."""
    config.validate()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end = config.end_date or date.today() - timedelta(days=1)
    cal = Calendar.ending(end, config.days)
    rng_cat, rng_demand, rng_policy, rng_sim, rng_docs = (
        np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(5)
    )
    cat = build_catalogue(rng_cat, cal, config.lang, config.skus, config.warehouses, config.customers)
    demand = build_demand(rng_demand, cat)
    policy = plan_policy(rng_policy, cat)
    sim = simulate(rng_sim, cat, demand, policy, progress)
    company = docs.Company(cat, demand, policy, sim)
    if holdback_dir is None:
        files, rows = _write_files(out_dir, company, rng_docs, progress, fmt=config.extract_format)
        return DemoSummary(files, rows, cal.start, cal.end, company_stats(company))
    files, rows = _write_files(
        out_dir, company, rng_docs, progress, Path(holdback_dir), fmt=config.extract_format
    )
    return DemoSummary(files, rows, cal.start, cal.end - timedelta(days=1), company_stats(company))


def _write_files(
    out_dir: Path,
    co: docs.Company,
    rng: np.random.Generator,
    progress: bool,
    holdback_dir: Path | None = None,
    fmt: str = "csv",
) -> tuple[list[Path], dict[str, int]]:
    """Masters first, then transactions, so a watcher can load each file as it lands. With
    ``holdback_dir``, the last day's rows are written there (``increments.split_last_day``)."""
    purchases = functools.cache(lambda: docs.purchase_tables(co))  # POs and receipts are numbered together
    zh = co.lang == "zh"
    builders: dict[str, Callable[[], Iterable[pa.Table]]] = {
        "warehouses": lambda: [masters.warehouses_table(co)],
        "suppliers": lambda: [masters.suppliers_table(co)],
        "items": lambda: [masters.items_table(co)],
        "fx_rates": lambda: [masters.fx_table(co)],
        "promotions": lambda: [masters.promotions_table(co)],
        "purchase_orders": lambda: [purchases()[0]],
        "receipts": lambda: [purchases()[1]],
        "sales_orders": lambda: docs.sales_order_batches(co, rng),
        "stock_snapshots": lambda: [docs.snapshots_table(co, rng, opening=not zh)],
        "stock_movements": lambda: [docs.movements_table(co)],
    }
    layouts = dict(LAYOUTS)
    if zh:  # the opening stock comes as U8's 期初结存 sheet, not as a row of the month-end snapshots
        builders["opening_balances"] = lambda: [docs.opening_balances_table(co)]
        layouts["opening_balances"] = OPENING_BALANCES
    files: list[Path] = []
    rows: dict[str, int] = {}
    cal = co.cat.cal
    if holdback_dir is not None:
        holdback_dir.mkdir(parents=True, exist_ok=True)
        last = cal.end
        open_status = docs.LINE_STATUS[co.lang][0]
        closed = functools.cache(lambda: increments.received_keys(purchases()[1], last))

    for key in tqdm(builders, desc="writing files", unit="file", disable=not progress):
        layout = layouts[key]
        file_format = extract_format(layout, fmt)
        if holdback_dir is None:
            path, n = write_extract(
                out_dir, layout, co.lang, builders[key](), cal.start, cal.end, file_format
            )
        else:
            held: list[pa.Table] = []

            def main_part(
                tables: Iterable[pa.Table], key: str = key, held: list = held
            ) -> Iterable[pa.Table]:
                for table in tables:
                    keys = closed() if key == "purchase_orders" else None
                    before, day = increments.split_last_day(key, table, last, open_status, keys)
                    held.append(day)
                    yield before

            path, n = write_extract(
                out_dir,
                layout,
                co.lang,
                main_part(builders[key]()),
                cal.start,
                last - timedelta(days=1),
                file_format,
            )
            if key in increments.DATE_COLUMNS:  # the opening balances are never the last day's
                write_extract(holdback_dir, layout, co.lang, held, last, last, file_format)
        files.append(path)
        rows[layout.kind] = rows.get(layout.kind, 0) + n  # the data rows of each kind, over its files
    return files, rows


def company_stats(co: docs.Company) -> dict[str, float]:
    """Headline figures of the simulated truth (before the deliberate snapshot errors).

    - stockout_line_share: closed, non-cancelled order lines shipped short; unit_fill_rate: their units.
    - zero_demand_share: zero-demand days among series-days where the SKU is listed.
    - avg_days_of_inventory: mean month-end stock value / mean daily COGS over the history;
      final_days_of_inventory: final stock value / mean daily COGS of the last 90 days.
    - dead_stock_value_share: final stock value of series with no shipment in the last 180 days.
    - po_on_time_share: received PO lines completed by their expected date.
    """
    sim, days = co.sim, co.cat.cal.days
    sales, snap = sim.sales, sim.snapshots
    live = sales["status"] != STATUS_CANCELLED
    closed = sales["status"] == STATUS_CLOSED
    short = live & closed & (sales["shipped"] < sales["ordered"])
    value = snap["qty"] * snap["unit_cost"]
    snap_days = np.unique(snap["day"][snap["day"] >= 0])
    value_by_day = np.bincount(
        np.searchsorted(snap_days, snap["day"][snap["day"] >= 0]), value[snap["day"] >= 0], len(snap_days)
    )
    final = snap["day"] == days - 1
    final_value = float(value[final].sum())
    daily_cogs = float(sim.cogs.mean())
    recent_cogs = float(sim.cogs[-DIO_WINDOW_DAYS:].mean())
    dead = final & (snap["qty"] > 0) & (sim.last_sale[snap["series"]] < days - min(DEAD_STOCK_DAYS, days))
    po = sim.po_lines
    received = ~po["cancelled"] & (po["closed"] < days)
    return {
        "stockout_line_share": _ratio(short.sum(), (live & closed).sum()),
        "unit_fill_rate": _ratio(
            sales["shipped"][live & closed].sum(), sales["ordered"][live & closed].sum()
        ),
        "zero_demand_share": round(co.demand.zero_share, 4),
        "avg_days_of_inventory": _ratio(value_by_day.mean() if len(value_by_day) else 0.0, daily_cogs),
        "final_days_of_inventory": _ratio(final_value, recent_cogs),
        "dead_stock_value_share": _ratio(value[dead].sum(), final_value),
        "po_on_time_share": _ratio((po["closed"] <= po["expected"])[received].sum(), received.sum()),
        "final_stock_value": round(final_value, 2),
    }


def _ratio(num: float, den: float) -> float:
    return round(float(num) / float(den), 4) if den else 0.0
