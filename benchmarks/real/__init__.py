"""Benchmarks on real public demand data (see benchmarks/data/README.md for sources and licences)."""
