"""Reports: what people read after a run.

The managers' dashboard (``dashboard``, charts in ``charts``), the planners' CSV and Excel writers
(``exports``) and the run status a planner or operator reads (``status``). Wired into Dagster by
``pipelines/defs/publish``; only ``status`` reads Dagster's run history (``stockflow status``).
"""
