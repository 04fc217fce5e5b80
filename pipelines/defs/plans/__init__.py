"""Wiring of the plans stage (pipelines/plans + models_ml): the replenishment plan and the policy replay."""
