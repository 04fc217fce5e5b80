"""Settings: every knob is a STOCKFLOW_* environment variable with a default.

`Settings.from_env()` resolves every path once (absolute), so Dagster, dbt and the CLI open the same
files whatever their working directory. `docs/settings.md` is generated from `SETTINGS_DOC` (`settings_markdown`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipelines.operations import failpoints

if TYPE_CHECKING:  # the planning code is imported only where a plan is made
    from models_ml.replenishment import ReplenishmentConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default.resolve()


def _number(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not a number") from exc


def _non_negative(env: dict[str, str], name: str, default: float) -> float:
    value = _number(env, name, default)
    if not value >= 0:  # also refuses nan
        raise ValueError(f"{name}={env.get(name)!r}: expected 0 or a positive number")
    return value


def _iso_date(env: dict[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r}: expected a date as YYYY-MM-DD") from exc
    return value


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).lower()
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox: Path
    archive: Path
    quarantine: Path
    warehouse_path: Path
    exports: Path
    dagster_home: Path
    timezone: str = "Asia/Shanghai"
    base_currency: str = "CNY"
    header_map_path: Path | None = None
    lock_timeout_seconds: float = 300.0
    inbox_settle_seconds: float = 5.0
    schedule_cron: str = "0 6 * * *"
    alert_webhook: str | None = None
    alert_format: str = "auto"
    forecast_horizon_days: int = 28
    forecast_history_days: int = 730
    forecast_threads: int = 2
    holiday_country: str = "CN"
    backtest_origins: int = 3
    backtest_every_days: int = 7
    export_lang: str = "zh"
    simulation_days: int = 180
    max_safety_stock_days: float = 30.0
    current_rule: str = "items"
    current_rule_param: float | None = None
    duckdb_memory_limit: str = "6GB"
    parquet_load: str = "in_place"
    reexports_replace: str = "transactions"
    earliest_date: str = "2000-01-01"
    max_future_days: int = 1830
    reader_memory_mb: int = 4096
    reader_timeout_seconds: float = 600.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        failpoints.validate(env)  # a typo in the fault-injection setting must not pass silently
        home = _path(env, "STOCKFLOW_HOME", Path("data"))
        header_map = env.get("STOCKFLOW_HEADER_MAP")
        default_header_map = home / "header_map.yml"
        return cls(
            home=home,
            inbox=_path(env, "STOCKFLOW_INBOX", home / "inbox"),
            archive=_path(env, "STOCKFLOW_ARCHIVE", home / "archive"),
            quarantine=_path(env, "STOCKFLOW_QUARANTINE", home / "quarantine"),
            warehouse_path=_path(env, "STOCKFLOW_WAREHOUSE_PATH", home / "warehouse.duckdb"),
            exports=_path(env, "STOCKFLOW_EXPORTS", home / "exports"),
            dagster_home=_path(env, "DAGSTER_HOME", home / "dagster"),
            timezone=env.get("STOCKFLOW_TIMEZONE") or "Asia/Shanghai",
            base_currency=(env.get("STOCKFLOW_BASE_CURRENCY") or "CNY").upper(),
            header_map_path=(
                Path(header_map).expanduser().resolve()
                if header_map
                else (default_header_map if default_header_map.exists() else None)
            ),
            lock_timeout_seconds=_number(env, "STOCKFLOW_LOCK_TIMEOUT_SECONDS", 300.0),
            inbox_settle_seconds=_number(env, "STOCKFLOW_INBOX_SETTLE_SECONDS", 5.0),
            schedule_cron=env.get("STOCKFLOW_SCHEDULE_CRON") or "0 6 * * *",
            alert_webhook=env.get("STOCKFLOW_ALERT_WEBHOOK") or None,
            alert_format=(env.get("STOCKFLOW_ALERT_FORMAT") or "auto").lower(),
            forecast_horizon_days=int(_number(env, "STOCKFLOW_FORECAST_HORIZON_DAYS", 28)),
            forecast_history_days=int(_number(env, "STOCKFLOW_FORECAST_HISTORY_DAYS", 730)),
            forecast_threads=int(_number(env, "STOCKFLOW_FORECAST_THREADS", 2)),
            holiday_country=(env.get("STOCKFLOW_HOLIDAY_COUNTRY") or "CN").upper(),
            backtest_origins=int(_number(env, "STOCKFLOW_BACKTEST_ORIGINS", 3)),
            backtest_every_days=int(_number(env, "STOCKFLOW_BACKTEST_EVERY_DAYS", 7)),
            export_lang=_choice(env, "STOCKFLOW_EXPORT_LANG", ("zh", "en"), "zh"),
            simulation_days=int(_number(env, "STOCKFLOW_SIMULATION_DAYS", 180)),
            max_safety_stock_days=_non_negative(env, "STOCKFLOW_MAX_SAFETY_STOCK_DAYS", 30.0),
            current_rule=_choice(env, "STOCKFLOW_CURRENT_RULE", ("items", "erpnext", "odoo", "rs"), "items"),
            current_rule_param=(
                _non_negative(env, "STOCKFLOW_CURRENT_RULE_PARAM", 0.0)
                if env.get("STOCKFLOW_CURRENT_RULE_PARAM") not in (None, "")
                else None
            ),
            duckdb_memory_limit=env.get("STOCKFLOW_DUCKDB_MEMORY_LIMIT") or "6GB",
            parquet_load=_choice(env, "STOCKFLOW_PARQUET_LOAD", ("in_place", "copy"), "in_place"),
            reexports_replace=_choice(
                env, "STOCKFLOW_REEXPORTS_REPLACE", ("all", "transactions", "none"), "transactions"
            ),
            earliest_date=_iso_date(env, "STOCKFLOW_EARLIEST_DATE", "2000-01-01"),
            max_future_days=int(_non_negative(env, "STOCKFLOW_MAX_FUTURE_DAYS", 1830)),
            reader_memory_mb=int(_non_negative(env, "STOCKFLOW_READER_MEMORY_MB", 4096)),
            reader_timeout_seconds=_non_negative(env, "STOCKFLOW_READER_TIMEOUT_SECONDS", 600.0),
        )

    def to_env(self) -> dict[str, str]:
        """The settings as STOCKFLOW_* variables (paths resolved): `from_env(to_env())` gives them back."""
        values = {
            "STOCKFLOW_HOME": self.home,
            "STOCKFLOW_INBOX": self.inbox,
            "STOCKFLOW_ARCHIVE": self.archive,
            "STOCKFLOW_QUARANTINE": self.quarantine,
            "STOCKFLOW_WAREHOUSE_PATH": self.warehouse_path,
            "STOCKFLOW_EXPORTS": self.exports,
            "DAGSTER_HOME": self.dagster_home,
            "STOCKFLOW_TIMEZONE": self.timezone,
            "STOCKFLOW_BASE_CURRENCY": self.base_currency,
            "STOCKFLOW_HEADER_MAP": self.header_map_path or "",
            "STOCKFLOW_LOCK_TIMEOUT_SECONDS": self.lock_timeout_seconds,
            "STOCKFLOW_INBOX_SETTLE_SECONDS": self.inbox_settle_seconds,
            "STOCKFLOW_SCHEDULE_CRON": self.schedule_cron,
            "STOCKFLOW_ALERT_WEBHOOK": self.alert_webhook or "",
            "STOCKFLOW_ALERT_FORMAT": self.alert_format,
            "STOCKFLOW_FORECAST_HORIZON_DAYS": self.forecast_horizon_days,
            "STOCKFLOW_FORECAST_HISTORY_DAYS": self.forecast_history_days,
            "STOCKFLOW_FORECAST_THREADS": self.forecast_threads,
            "STOCKFLOW_HOLIDAY_COUNTRY": self.holiday_country,
            "STOCKFLOW_BACKTEST_ORIGINS": self.backtest_origins,
            "STOCKFLOW_BACKTEST_EVERY_DAYS": self.backtest_every_days,
            "STOCKFLOW_EXPORT_LANG": self.export_lang,
            "STOCKFLOW_SIMULATION_DAYS": self.simulation_days,
            "STOCKFLOW_MAX_SAFETY_STOCK_DAYS": self.max_safety_stock_days,
            "STOCKFLOW_CURRENT_RULE": self.current_rule,
            "STOCKFLOW_CURRENT_RULE_PARAM": ""
            if self.current_rule_param is None
            else self.current_rule_param,
            "STOCKFLOW_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "STOCKFLOW_PARQUET_LOAD": self.parquet_load,
            "STOCKFLOW_REEXPORTS_REPLACE": self.reexports_replace,
            "STOCKFLOW_EARLIEST_DATE": self.earliest_date,
            "STOCKFLOW_MAX_FUTURE_DAYS": self.max_future_days,
            "STOCKFLOW_READER_MEMORY_MB": self.reader_memory_mb,
            "STOCKFLOW_READER_TIMEOUT_SECONDS": self.reader_timeout_seconds,
        }
        return {k: str(v) for k, v in values.items()}

    @property
    def replenishment_config(self) -> ReplenishmentConfig:
        """The plan's policy settings: the safety-stock cap in days of demand (0: no cap)."""
        from models_ml.replenishment import ReplenishmentConfig

        cap = self.max_safety_stock_days
        if cap < 0:
            raise ValueError(
                f"STOCKFLOW_MAX_SAFETY_STOCK_DAYS={cap}: expected 0 (no cap) or a number of days"
            )
        return ReplenishmentConfig(max_safety_stock_days=cap if cap > 0 else float("inf"))

    @property
    def date_bounds(self) -> tuple[date, date]:
        """The business dates an extract may hold: STOCKFLOW_EARLIEST_DATE to STOCKFLOW_MAX_FUTURE_DAYS
        after today (in STOCKFLOW_TIMEZONE); rows with other dates are rejected with their file."""
        today = datetime.now(ZoneInfo(self.timezone)).date()
        return date.fromisoformat(self.earliest_date), today + timedelta(days=self.max_future_days)

    @property
    def alert_log(self) -> Path:
        return self.home / "alerts.log"

    def ensure_dirs(self) -> None:
        """Create the folders; those inside STOCKFLOW_HOME (and the home itself) are made owner-only (0700):
        the warehouse, extracts and exports hold a company's stock and prices (issue 16: they were
        world-readable). A folder set elsewhere keeps the permissions its owner gave it."""
        self.home.mkdir(parents=True, exist_ok=True)
        for path in (
            self.home,
            self.inbox,
            self.archive,
            self.quarantine,
            self.exports,
            self.dagster_home,
            self.warehouse_path.parent,
        ):
            path.mkdir(parents=True, exist_ok=True)
            if path.is_relative_to(self.home) and path.stat().st_uid == os.getuid():
                path.chmod(0o700)

    def export_env(self) -> None:
        """Publish the resolved paths to this process's environment, so dbt (a subprocess) and
        Dagster's instance read the same files as Python does."""
        os.environ["STOCKFLOW_WAREHOUSE_PATH"] = str(self.warehouse_path)
        os.environ["STOCKFLOW_BASE_CURRENCY"] = self.base_currency
        os.environ["STOCKFLOW_DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)


# Every variable the settings read, with its default and meaning: the README table mirrors this.
SETTINGS_DOC: list[tuple[str, str, str]] = [
    ("STOCKFLOW_HOME", "./data", "Root folder for Stockflow's files."),
    ("STOCKFLOW_INBOX", "$STOCKFLOW_HOME/inbox", "Where ERP extracts are dropped."),
    ("STOCKFLOW_ARCHIVE", "$STOCKFLOW_HOME/archive", "Loaded files, by load date."),
    ("STOCKFLOW_QUARANTINE", "$STOCKFLOW_HOME/quarantine", "Rejected files, each with a report."),
    ("STOCKFLOW_WAREHOUSE_PATH", "$STOCKFLOW_HOME/warehouse.duckdb", "The DuckDB warehouse file."),
    ("STOCKFLOW_EXPORTS", "$STOCKFLOW_HOME/exports", "Plans, dashboards and published marts."),
    ("DAGSTER_HOME", "$STOCKFLOW_HOME/dagster", "Dagster's instance: run history, schedules, sensors."),
    ("STOCKFLOW_TIMEZONE", "Asia/Shanghai", "Timezone of the daily schedule and of load dates."),
    ("STOCKFLOW_BASE_CURRENCY", "CNY", "Currency the warehouse reports money in."),
    (
        "STOCKFLOW_HEADER_MAP",
        "$STOCKFLOW_HOME/header_map.yml if present",
        "Your extra header aliases (same shape as pipelines/ingest/extracts/header_map.yml).",
    ),
    ("STOCKFLOW_LOCK_TIMEOUT_SECONDS", "300", "How long a run waits for the warehouse held by another run."),
    ("STOCKFLOW_INBOX_SETTLE_SECONDS", "5", "A file must be unchanged this long before the sensor takes it."),
    ("STOCKFLOW_SCHEDULE_CRON", "0 6 * * *", "When the daily refresh runs (in STOCKFLOW_TIMEZONE)."),
    (
        "STOCKFLOW_ALERT_WEBHOOK",
        "(none)",
        "URL posted to when a run fails (every failure is also a line in $STOCKFLOW_HOME/alerts.log).",
    ),
    (
        "STOCKFLOW_ALERT_FORMAT",
        "auto",
        "json, wecom or dingtalk message body; auto picks WeCom/DingTalk by the webhook's host, else json.",
    ),
    ("STOCKFLOW_FORECAST_HORIZON_DAYS", "28", "Days forecast after the latest data date."),
    ("STOCKFLOW_FORECAST_HISTORY_DAYS", "730", "Days of demand history the forecaster trains on."),
    (
        "STOCKFLOW_FORECAST_THREADS",
        "2",
        "LightGBM threads (set it: OpenMP defaults are slow on shared cores).",
    ),
    (
        "STOCKFLOW_HOLIDAY_COUNTRY",
        "CN",
        "Country whose public holidays the forecaster uses as calendar features (ISO code known to the "
        "holidays package, e.g. CN, US, GB, DE, JP); CN adds the Spring Festival, 618 and 双11.",
    ),
    ("STOCKFLOW_BACKTEST_ORIGINS", "3", "Forecast origins in the rolling backtest, one horizon apart."),
    (
        "STOCKFLOW_BACKTEST_EVERY_DAYS",
        "7",
        "Scheduled and sensor runs (and `stockflow run`) re-run the backtest when it is this many days old, "
        "when the forecaster's settings changed, or when there is none; 0: every run.",
    ),
    (
        "STOCKFLOW_EXPORT_LANG",
        "zh",
        "Language of planner files' headers and the dashboard's labels: zh (Chinese) or en.",
    ),
    ("STOCKFLOW_SIMULATION_DAYS", "180", "Days of history the policy simulation replays."),
    (
        "STOCKFLOW_MAX_SAFETY_STOCK_DAYS",
        "30",
        "Cap on a plan line's safety stock, in days of its forecast demand (0: no cap); lines at the cap are "
        "flagged `SAFETY_STOCK_AT_MAX` and counted in the plan asset's metadata and STATUS.md. The plan and the "
        "policy simulation use it.",
    ),
    (
        "STOCKFLOW_CURRENT_RULE",
        "items",
        "The replenishment rule you run today, replayed beside the plan in the policy simulation: items (the item "
        "master's min/max/safety stock), erpnext (reorder level with safety days), odoo (min/max with a safety "
        "factor k) or rs (textbook periodic review with k).",
    ),
    (
        "STOCKFLOW_CURRENT_RULE_PARAM",
        "(rule's default)",
        "The rule's parameter: safety days for erpnext (default 7), k for odoo and rs, and for items where no "
        "min/max is set (default 1.65).",
    ),
    (
        "STOCKFLOW_DUCKDB_MEMORY_LIMIT",
        "6GB",
        "DuckDB's memory limit in dbt builds and in Stockflow's own warehouse connections (ingest, forecast, "
        "plans, publish); above it joins, windows and copies spill to disk next to the warehouse.",
    ),
    (
        "STOCKFLOW_PARQUET_LOAD",
        "in_place",
        "in_place: a Parquet extract is validated where it is and raw.<kind> reads it from the archive "
        "(nothing copied); copy: its rows are copied into the warehouse like a CSV's.",
    ),
    (
        "STOCKFLOW_REEXPORTS_REPLACE",
        "transactions",
        "Which extracts a file of the same name replaces over the period it covers, deleting the rows it no "
        "longer holds (docs/ingest.md, Re-exports and corrections): transactions (masters and FX rates only "
        "merge by key); all (complete master exports replace the list too); none (every file merges by key).",
    ),
    (
        "STOCKFLOW_EARLIEST_DATE",
        "2000-01-01",
        "The earliest business date an extract may hold (YYYY-MM-DD); a row dated earlier (0001-01-01, a "
        "typo) is rejected with its file, which is quarantined with the row and column named.",
    ),
    (
        "STOCKFLOW_MAX_FUTURE_DAYS",
        "1830",
        "How far after today an extract's dates may reach (expected deliveries, planned promotions); a row "
        "dated later (9999-12-31, a placeholder) is rejected like an early one.",
    ),
    (
        "STOCKFLOW_FAILPOINT",
        "(empty)",
        "Fault injection, for tests only: `kill:<stage>` (ingest, dbt, forecast, plan, publish, dashboard) kills "
        "the run with SIGKILL at that stage, `dbt_fail:<model>` makes that dbt model fail; comma-separated. "
        "Leave empty. See pipelines/operations/failpoints.py.",
    ),
    (
        "STOCKFLOW_READER_MEMORY_MB",
        "4096",
        "Memory (address space beyond its start-up) of the child process that reads Excel files; a workbook "
        "that needs more, crashes the reader or passes the time limit is quarantined with the reason and the "
        "other files load. 3 million cells need 512-1024 MB, so 4096 reads roughly 12 million. 0: read in "
        "the ingest process itself, no child and no limits.",
    ),
    (
        "STOCKFLOW_READER_TIMEOUT_SECONDS",
        "600",
        "How long the Excel reader's child may take over one file before it is stopped and the file "
        "quarantined (0: no limit).",
    ),
]


def settings_markdown() -> str:
    """``docs/settings.md``: the settings table generated from ``SETTINGS_DOC`` (a test keeps the page and
    this list equal; regenerate with ``python -m pipelines.operations.settings > docs/settings.md``)."""
    lines = [
        "# Settings",
        "",
        "<!-- generated from pipelines/operations/settings.py (SETTINGS_DOC): python -m pipelines.operations.settings > docs/settings.md -->",
        "",
        "Every setting is an environment variable with a default; nothing needs configuring for a first run.",
        "Relative paths resolve against the directory you start Stockflow from. `stockflow settings` prints the",
        "values in effect.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {default} | {meaning} |" for name, default, meaning in SETTINGS_DOC]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
