"""The Stockflow variants' orders at each review: ``plan_replenishment`` called on the forecast the
replay uses, with on hand, on order and lead times in the parameters, every variant of a group in one
call (its series tagged ``@j``); failures recorded as findings, flags and a few sample rows kept."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from benchmarks.policy.forecasts import split_weekly_forecast
from benchmarks.policy.panel import STEP_DAYS, Panel
from benchmarks.policy.variants import Variant
from benchmarks.policy_replay import LeadTimeScenario


class StockflowPlanner:
    """Calls ``plan_replenishment`` for the Stockflow variants of one replay (one lead-time scenario)."""

    def __init__(
        self,
        panel: Panel,
        variants: list[Variant],
        scenario: LeadTimeScenario,
        review: int,
        forecasts: dict[str, dict[int, pd.DataFrame]],
        unit_cost: np.ndarray,
        replen_kw: dict,
        log=print,
    ):
        from models_ml.replenishment import ReplenishmentConfig

        self.panel, self.variants, self.review, self.log = panel, variants, review, log
        self.forecasts = forecasts
        self.step = STEP_DAYS[panel.freq]
        self.lt_days = scenario.mean * self.step
        self.lt_std_days = scenario.std * self.step
        self.unit_cost = unit_cost
        self.cfg_sl = ReplenishmentConfig(**replen_kw)
        self.cfg_fill = {
            f: ReplenishmentConfig(
                **{
                    **replen_kw,
                    "service_allocation": "optimised",
                    "fill_measure": "units",
                    "target_fill_rate": f,
                }
            )
            for f in {v.param for v in variants if v.kind == "fill"}
        }
        self.sku = panel.keys["sku"].to_numpy(str)
        self.wh = panel.keys["warehouse_id"].to_numpy(str)
        self.errors: list[str] = []
        self.failed: set[int] = set()  # variant indices whose plan call raised at least once
        self.plan_seconds = 0.0
        self.plan_calls = 0
        self.flag_counts: dict[str, int] = {}
        self.samples: list[dict] = []
        self._split_cache: dict[tuple[str, int], pd.DataFrame] = {}

    def _forecast(self, source: str, split: bool, t: int) -> pd.DataFrame:
        fcs = self.forecasts[source]
        origin = max(o for o in fcs if o <= t)
        fc = fcs[origin]
        if split:
            key = (source, origin)
            if key not in self._split_cache:
                self._split_cache = {k: v for k, v in self._split_cache.items() if k[1] == origin}
                self._split_cache[key] = split_weekly_forecast(fc)
            fc = self._split_cache[key]
        return fc

    def as_of(self, t: int) -> pd.Timestamp:
        d = self.panel.dates[t]
        return d - pd.Timedelta(days=6) if self.panel.freq == "W" else d  # the review day: Monday of week t

    def _inputs(
        self,
        idx: list[int],
        tags: list[str],
        fc: pd.DataFrame,
        on_hand: np.ndarray,
        on_order: np.ndarray,
        sl: list[float] | None,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Forecast, stock, parameters and open orders of the variants ``idx`` in one frame each, the
        series of variant j tagged ``tags[j]``."""
        fcs, stocks, pars, pos = [], [], [], []
        for j, vi in enumerate(idx):
            f = fc.copy()
            f["sku"] = f["sku"] + tags[j]
            fcs.append(f)
            sk = np.char.add(self.sku, tags[j])
            stocks.append(
                pd.DataFrame(
                    {
                        "sku": sk,
                        "warehouse_id": self.wh,
                        "on_hand_qty": on_hand[vi],
                        "unit_cost": self.unit_cost,
                    }
                )
            )
            p = pd.DataFrame(
                {
                    "sku": sk,
                    "warehouse_id": self.wh,
                    "lead_time_mean_days": self.lt_days,
                    "lead_time_std_days": self.lt_std_days,
                    "review_period_days": float(self.review * self.step),
                    "pack_size": 1.0,
                    "moq": 0.0,
                    "unit_cost": self.unit_cost,
                }
            )
            if sl is not None:
                p["service_level"] = sl[j]
            pars.append(p)
            oo = on_order[vi]
            has = oo > 0
            pos.append(pd.DataFrame({"sku": sk[has], "warehouse_id": self.wh[has], "qty": oo[has]}))
        fc_all, stock, params, open_pos = (pd.concat(x, ignore_index=True) for x in (fcs, stocks, pars, pos))
        return fc_all, stock, params, open_pos

    def _record(self, plan: pd.DataFrame, t: int, sl: list[float] | None) -> None:
        """Count the plan's flags; keep sample rows of the first three service-level calls."""
        for fl in plan["flags"].fillna("").astype(str):
            for f in filter(None, fl.split(";")):
                self.flag_counts[f] = self.flag_counts.get(f, 0) + 1
        if len(self.samples) < 3 and sl is not None:
            cols = [
                c
                for c in (
                    "sku",
                    "daily_demand",
                    "sigma_daily",
                    "protection_days",
                    "demand_protection_qty",
                    "safety_stock_qty",
                    "order_up_to_qty",
                    "inventory_position_qty",
                    "order_qty",
                    "flags",
                )
                if c in plan
            ]
            self.samples.append(
                {"t": str(self.panel.dates[t].date()), "rows": plan[cols].head(2).to_dict("records")}
            )

    def _call(
        self,
        idx: list[int],
        fc: pd.DataFrame,
        on_hand: np.ndarray,
        on_order: np.ndarray,
        t: int,
        cfg,
        sl: list[float] | None,
    ):
        from models_ml.replenishment import plan_replenishment

        n = len(self.sku)
        tags = [f"@{j}" for j in range(len(idx))]
        fc_all, stock, params, open_pos = self._inputs(idx, tags, fc, on_hand, on_order, sl)
        t0 = time.perf_counter()
        plan = plan_replenishment(
            fc_all,
            stock,
            params,
            open_pos=open_pos if len(open_pos) else None,
            as_of=self.as_of(t),
            config=cfg,
        )
        self.plan_seconds += time.perf_counter() - t0
        self.plan_calls += 1
        self._record(plan, t, sl)
        q = plan.set_index(["sku", "warehouse_id"])["order_qty"]
        out = np.zeros((len(idx), n))
        for j in range(len(idx)):
            key = pd.MultiIndex.from_arrays([np.char.add(self.sku, tags[j]), self.wh])
            out[j] = q.reindex(key).fillna(0.0).to_numpy(float)
        return out

    def orders(self, t: int, on_hand: np.ndarray, on_order: np.ndarray, rows: list[int]) -> np.ndarray:
        """Orders [len(rows), n] for the Stockflow variants at positions ``rows`` of the variant list."""
        out = np.zeros((len(rows), len(self.sku)))
        groups: dict[tuple, list[int]] = {}
        for r, vi in enumerate(rows):
            v = self.variants[vi]
            key = (v.source, v.split, "sl") if v.kind == "sl" else (v.source, v.split, "fill", v.param)
            groups.setdefault(key, []).append(r)
        for key, rr in groups.items():
            src, sp = key[0], key[1]
            vis = [rows[r] for r in rr]
            fc = self._forecast(src, sp, t)
            try:
                if key[2] == "sl":
                    res = self._call(
                        vis, fc, on_hand, on_order, t, self.cfg_sl, [self.variants[vi].param for vi in vis]
                    )
                else:
                    res = self._call(vis, fc, on_hand, on_order, t, self.cfg_fill[key[3]], None)
            except Exception as e:  # noqa: BLE001 - an API failure is a finding, recorded and reported
                msg = f"{key}: {type(e).__name__}: {e}"
                if msg not in self.errors:
                    self.errors.append(msg)
                    self.log(f"    plan_replenishment failed {msg}")
                self.failed.update(vis)
                res = np.zeros((len(vis), len(self.sku)))
            out[rr] = res
        return out
