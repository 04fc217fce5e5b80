"""Operations: what runs the pipeline and keeps it honest.

Settings (``settings``: every ``STOCKFLOW_*`` variable), launching and summarising a run (``runner``),
freshness expectations (``freshness``), failure alerts (``alerts``) and the Dagster UI helper (``ui``).
``settings``, ``alerts``, ``freshness`` and ``ui`` import no stage package (every stage imports them);
``runner`` sits above the stages: it launches the job, reads the warehouse and writes the plan status.
"""
