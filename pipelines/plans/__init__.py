"""Plans stage glue: the policy engine's inputs read from the marts, plans and replays written out.

The policy engine itself is ``models_ml`` (replenishment, simulation, current rule); this package reads
its inputs, writes ``plans.*`` tables and the planners' files (``planning``), and runs the plan and the
policy simulation end to end (``run``). Wired into Dagster by ``pipelines/defs/plans``; never imports
Dagster.
"""
