"""When the daily refresh's outputs count as late: the schedule's cron moved by a grace period.

The marts, the plan and the dashboard are expected once per tick of STOCKFLOW_SCHEDULE_CRON. Their
freshness deadline is each tick plus `REFRESH_GRACE` (time for the run itself); the asset must have
materialised between the tick and that deadline. `shift_cron` computes the deadline's cron. No Dagster here.
"""

from __future__ import annotations

from datetime import timedelta

REFRESH_GRACE = timedelta(hours=2)  # a daily run takes minutes; two hours leaves room for a slow day


def _ints(field: str, low: int, high: int) -> list[int] | None:
    """'6' or '6,18' (plain numbers only) -> [6, 18]; anything else (ranges, steps, names) -> None."""
    try:
        values = [int(v) for v in field.split(",")]
    except ValueError:
        return None
    return values if all(low <= v <= high for v in values) else None


def shift_cron(cron: str, delta: timedelta) -> str | None:
    """`cron` with its times moved later by `delta` (under a day), or None when that cannot be written
    as one cron string: minute and hour must be plain numbers, and a shift past midnight is only
    possible when no day field is restricted ('30 23 * * 1-5' + 2 h would need the weekdays moved)."""
    fields = cron.split()
    if len(fields) != 5 or not timedelta(0) <= delta < timedelta(days=1):
        return None
    minute, hour, *days = fields
    minutes = _ints(minute, 0, 59)
    hours = _ints(hour, 0, 23)
    if minutes is None or hours is None or len(minutes) != 1:
        return None
    shift = int(delta.total_seconds() // 60)
    moved = [h * 60 + minutes[0] + shift for h in hours]
    if any(m >= 24 * 60 for m in moved) and days != ["*", "*", "*"]:
        return None
    new_minute = moved[0] % 60
    new_hours = sorted({(m // 60) % 24 for m in moved})
    return " ".join([str(new_minute), ",".join(str(h) for h in new_hours), *days])
