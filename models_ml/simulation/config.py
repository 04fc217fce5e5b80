"""Replay settings: ``SimulationConfig`` (window length, lost sales or backorders, the stand-in forecast's
windows, the seed of the lead-time draws). Pure Python; never imports dagster, duckdb, dbt, pipelines or
benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulationConfig:
    """Replay settings. ``days``: window length (the last ``days`` dates of the demand input)."""

    days: int = 180
    lost_sales: bool = True
    standin_mean_days: int = 28
    standin_std_days: int = 91
    seed: int = 0
    days_per_year: float = 365.0

    def __post_init__(self) -> None:
        if self.days < 1 or self.standin_mean_days < 1 or self.standin_std_days < 2:
            raise ValueError("days, standin_mean_days must be >= 1 and standin_std_days >= 2")
