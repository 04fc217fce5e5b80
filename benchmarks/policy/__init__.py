"""The policy benchmarks' parts; the scripts are ``benchmarks/policy_real.py`` (Stockflow's plan against
the rules planners use, on real demand) and ``benchmarks/policy_simulation_demo.py`` (the demo company's
last months replayed under the plan).

- ``demand``: the demand replayed (UCI weekly, the demo company), daily frames summed into weeks;
- ``panel``: demand as arrays, series x periods, and back to long frames;
- ``forecasts``: ``fit_predict`` refitted at the reviews, weekly forecasts split into days, accuracy;
- ``variants``: the policies compared and the rules' orders;
- ``planner``: the Stockflow variants' orders from ``plan_replenishment``;
- ``setup``: what one run replays (panel, window, reviews, costs, variants);
- ``benchmark``: ``run_policy_benchmark``, every variant replayed per lead-time scenario;
- ``frontier``: fill-vs-stock frontiers and the ratios at equal fill;
- ``report``: the printed report and the JSON-safe results;
- ``demo_inputs``: the simulation demo's inputs rebuilt from the demo company's extracts.

The replay itself is ``benchmarks/policy_replay.py``, which shares nothing with the planning code.
"""
