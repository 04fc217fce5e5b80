"""The dagster.yaml Stockflow writes into DAGSTER_HOME: one run at a time, freshness evaluated."""

import yaml

from pipelines.operations.runner import DAGSTER_YAML, ensure_dagster_home


def test_new_home_queues_runs_and_evaluates_freshness(settings):
    config = yaml.safe_load(ensure_dagster_home(settings).read_text(encoding="utf-8"))
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert config["freshness"] == {"enabled": True}
    assert config["telemetry"] == {"enabled": False}


def test_file_from_an_earlier_stockflow_gains_freshness_once(settings):
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    earlier = DAGSTER_YAML.split("# Evaluate the freshness")[0]
    (settings.dagster_home / "dagster.yaml").write_text(earlier, encoding="utf-8")
    ensure_dagster_home(settings)
    text = ensure_dagster_home(settings).read_text(encoding="utf-8")
    assert yaml.safe_load(text) == yaml.safe_load(DAGSTER_YAML)
    assert text.count("freshness:") == 1


def test_a_users_own_dagster_yaml_is_left_alone(settings):
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    mine = "telemetry:\n  enabled: false\n"
    (settings.dagster_home / "dagster.yaml").write_text(mine, encoding="utf-8")
    assert ensure_dagster_home(settings).read_text(encoding="utf-8") == mine
