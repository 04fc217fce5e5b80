"""The daily refresh re-runs the forecast backtest only when due: none yet, settings changed, or old."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.forecast.forecasting import LastBacktest, backtest_due, backtest_fingerprint

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_due_when_none_settings_changed_or_old(settings):
    fp = backtest_fingerprint(settings)
    now = datetime(2026, 11, 26, 6, 0, tzinfo=SHANGHAI)
    assert backtest_due(None, now, 7, fp) == (True, "no backtest yet")
    last = LastBacktest(datetime(2026, 11, 20, 6, 5, tzinfo=SHANGHAI).astimezone(UTC), fp)
    due, why = backtest_due(last, now, 7, fp)
    assert not due and "6 days old" in why
    # a week later by calendar date, even if a few minutes short of 7 x 24 h
    last = LastBacktest(datetime(2026, 11, 19, 6, 5, tzinfo=SHANGHAI).astimezone(UTC), fp)
    due, why = backtest_due(last, now, 7, fp)
    assert due and "7 days old" in why
    # dates are the schedule's: 23:30 UTC on the 25th is the 26th in Shanghai, the same day as `now`
    last = LastBacktest(datetime(2026, 11, 25, 23, 30, tzinfo=UTC), fp)
    assert "0 days old" in backtest_due(last, now, 1, fp)[1]
    # the time is printed with its offset: beside UTC log lines, a bare 07:30 read as a wrong clock (issue 16)
    assert "the backtest of 2026-11-26 07:30 UTC+0800 is 0 days old" in backtest_due(last, now, 1, fp)[1]
    assert backtest_due(LastBacktest(last.at, "another"), now, 7, fp)[0]
    assert backtest_due(LastBacktest(last.at, None), now, 7, fp)[0]
    assert backtest_due(LastBacktest(last.at, fp), now, 0, fp)[0]


def test_fingerprint_follows_what_the_backtest_depends_on(settings):
    fp = backtest_fingerprint(settings)
    assert fp == backtest_fingerprint(replace(settings, forecast_threads=1))  # threads change speed only
    assert fp != backtest_fingerprint(replace(settings, forecast_horizon_days=14))
    assert fp != backtest_fingerprint(replace(settings, backtest_origins=5))
    assert fp != backtest_fingerprint(replace(settings, forecast_history_days=365))


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:  # schedules and sensors need an instance with a ref
        yield inst


def _record_backtest(instance, fingerprint: str | None) -> None:
    metadata = {"config_fingerprint": fingerprint} if fingerprint else {}
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=["forecast", "forecast_backtest"], metadata=metadata)
    )


def test_schedule_and_sensor_leave_out_a_fresh_backtest(settings, instance):
    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import BACKTEST_KEY, refresh_selection

    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    keys = list(defs.resolve_asset_graph().get_all_asset_keys())

    def tick():
        with dg.build_schedule_context(instance=instance) as context:
            requests = schedule.evaluate_tick(context).run_requests
        assert len(requests) == 1
        return requests[0]

    first = tick()  # nothing recorded yet: the whole job
    assert first.asset_selection is None and first.tags["stockflow/backtest"] == "runs: no backtest yet"

    _record_backtest(instance, backtest_fingerprint(settings))
    later = tick()
    assert BACKTEST_KEY not in later.asset_selection
    assert {
        dg.AssetKey(["forecast", "sku_demand_forecasts"]),
        dg.AssetKey(["plans", "replenishment_plan"]),
    } <= set(later.asset_selection)
    assert later.tags["stockflow/backtest"].startswith("skipped: ")
    assert dg.validate_run_config(defs.resolve_job_def("daily_refresh_job"), {})

    # a week on, or under other forecaster settings, it is due again
    week_on = datetime.now(ZoneInfo(settings.timezone)) + timedelta(days=7)
    assert refresh_selection(instance, settings, keys, now=week_on)[0] is None
    _record_backtest(instance, "from-other-settings")
    assert tick().asset_selection is None

    # the inbox sensor asks for the same selection
    _record_backtest(instance, backtest_fingerprint(settings))
    (settings.inbox / "items.csv").write_text("sku\nA\n", encoding="utf-8")
    sensor = defs.resolve_sensor_def("inbox_sensor")
    with dg.build_sensor_context(
        instance=instance, resources={"stockflow": defs.resources["stockflow"]}
    ) as context:
        result = sensor.evaluate_tick(context)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert BACKTEST_KEY not in request.asset_selection and request.tags["stockflow/trigger"] == "inbox"
