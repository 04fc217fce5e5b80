"""Stockflow: ERP extracts -> DuckDB warehouse -> marts, forecasts and replenishment plans."""

import os

# LightGBM's OpenMP threads spin while waiting by default; on 2 shared cores that made fits 6-20x slower
# whenever anything else ran (measured: a demo refresh took 13.5 min instead of 2). Passive waiting
# must be set before the OpenMP runtime loads, so it is set here, where every entry point passes first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
