"""Demo company generator: seeded, simulated ERP extracts of a Chinese distributor (see ``generator``)."""

from pipelines.demo.generator import DemoConfig, DemoSummary, generate_demo

__all__ = ["DemoConfig", "DemoSummary", "generate_demo"]
