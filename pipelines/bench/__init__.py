"""Benchmark harness behind `stockflow bench`: stages timed in their own processes, results documents, targets."""
