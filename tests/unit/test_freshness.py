"""The freshness deadline: the schedule's cron moved later by the grace period."""

from datetime import timedelta

import pytest

from pipelines.operations.freshness import shift_cron

TWO_HOURS = timedelta(hours=2)


@pytest.mark.parametrize(
    ("cron", "delta", "expected"),
    [
        ("0 6 * * *", TWO_HOURS, "0 8 * * *"),
        ("45 6 * * *", timedelta(minutes=30), "15 7 * * *"),
        ("30 5 * * 1-5", TWO_HOURS, "30 7 * * 1-5"),
        ("0 6,18 * * *", TWO_HOURS, "0 8,20 * * *"),
        ("30 23 * * *", TWO_HOURS, "30 1 * * *"),  # past midnight, every day: the hour wraps
        ("0 22,23 * * *", TWO_HOURS, "0 0,1 * * *"),
        ("0 6 1 * *", timedelta(0), "0 6 1 * *"),
    ],
)
def test_shift_cron(cron, delta, expected):
    assert shift_cron(cron, delta) == expected


@pytest.mark.parametrize(
    "cron",
    [
        "30 23 * * 1-5",  # would need the weekdays moved by one
        "0 23 1 * *",  # would need the day of month moved
        "*/15 6 * * *",  # steps
        "0,30 6 * * *",  # several minutes
        "0 6-8 * * *",  # hour range
        "0 6 * *",  # four fields
        "@daily",
    ],
)
def test_shift_cron_declines_what_one_cron_cannot_say(cron):
    assert shift_cron(cron, TWO_HOURS) is None


def test_shift_cron_rejects_shifts_of_a_day_or_more():
    assert shift_cron("0 6 * * *", timedelta(days=1)) is None
    assert shift_cron("0 6 * * *", timedelta(minutes=-5)) is None
