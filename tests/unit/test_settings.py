from pathlib import Path

import pytest

from pipelines.operations.settings import SETTINGS_DOC, Settings, settings_markdown


def test_defaults_live_under_home(tmp_path: Path):
    s = Settings.from_env({"STOCKFLOW_HOME": str(tmp_path / "h")})
    home = (tmp_path / "h").resolve()
    assert s.inbox == home / "inbox"
    assert s.archive == home / "archive"
    assert s.quarantine == home / "quarantine"
    assert s.warehouse_path == home / "warehouse.duckdb"
    assert s.exports == home / "exports"
    assert s.dagster_home == home / "dagster"
    assert s.timezone == "Asia/Shanghai"
    assert s.base_currency == "CNY"
    assert s.header_map_path is None


def test_each_folder_overridable_and_relative_paths_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env(
        {
            "STOCKFLOW_INBOX": "drop",
            "STOCKFLOW_WAREHOUSE_PATH": "wh/w.duckdb",
            "STOCKFLOW_BASE_CURRENCY": "usd",
            "DAGSTER_HOME": "dg",
        }
    )
    assert s.home == (tmp_path / "data").resolve()
    assert s.inbox == (tmp_path / "drop").resolve()
    assert s.warehouse_path == (tmp_path / "wh" / "w.duckdb").resolve()
    assert s.dagster_home == (tmp_path / "dg").resolve()
    assert s.base_currency == "USD"


def test_user_header_map_found_in_home(tmp_path: Path):
    (tmp_path / "header_map.yml").write_text("items: {}\n")
    assert (
        Settings.from_env({"STOCKFLOW_HOME": str(tmp_path)}).header_map_path
        == (tmp_path / "header_map.yml").resolve()
    )


def test_bad_number_names_the_variable():
    with pytest.raises(ValueError, match="STOCKFLOW_LOCK_TIMEOUT_SECONDS"):
        Settings.from_env({"STOCKFLOW_LOCK_TIMEOUT_SECONDS": "soon"})


def test_the_settings_page_is_generated_from_the_code():
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == settings_markdown(), (
        "regenerate: python -m pipelines.operations.settings > docs/settings.md"
    )
    for name, _, _ in SETTINGS_DOC:
        assert f"| `{name}` |" in page
    assert "docs/settings.md" in (root / "README.md").read_text(encoding="utf-8")


def test_every_setting_read_is_documented():
    documented = {name for name, _, _ in SETTINGS_DOC}
    assert set(Settings.from_env({}).to_env()) <= documented


def test_settings_round_trip_through_environment_variables(tmp_path: Path):
    s = Settings.from_env(
        {
            "STOCKFLOW_HOME": str(tmp_path),
            "STOCKFLOW_ALERT_WEBHOOK": "http://127.0.0.1:1/x",
            "STOCKFLOW_FORECAST_HORIZON_DAYS": "14",
            "STOCKFLOW_TIMEZONE": "UTC",
        }
    )
    assert Settings.from_env(s.to_env()) == s
    assert s.forecast_horizon_days == 14 and s.alert_webhook == "http://127.0.0.1:1/x"


def test_warehouse_connections_are_capped_by_the_duckdb_memory_limit(tmp_path: Path):
    # The Python steps' DuckDB (ingest, forecast reads, plans, publish) stays under the same cap as dbt;
    # uncapped, DuckDB may cache up to 80% of the machine while publish copies every mart.
    from pipelines.defs.resources import StockflowResource

    default = StockflowResource.from_settings(Settings.from_env({"STOCKFLOW_HOME": str(tmp_path / "a")}))
    capped = StockflowResource.from_settings(
        Settings.from_env({"STOCKFLOW_HOME": str(tmp_path / "b"), "STOCKFLOW_DUCKDB_MEMORY_LIMIT": "1GB"})
    )
    for resource, shown in ((default, "5.5 GiB"), (capped, "953.6 MiB")):
        with resource.connect() as conn:
            assert conn.execute("select current_setting('memory_limit')").fetchall() == [(shown,)]
        with resource.connect(read_only=True) as conn:
            assert conn.execute("select current_setting('memory_limit')").fetchall() == [(shown,)]


def test_safety_stock_cap_is_a_setting(tmp_path: Path):
    default = Settings.from_env({"STOCKFLOW_HOME": str(tmp_path)})
    assert default.replenishment_config.max_safety_stock_days == 30.0
    longer = Settings.from_env({"STOCKFLOW_HOME": str(tmp_path), "STOCKFLOW_MAX_SAFETY_STOCK_DAYS": "60"})
    assert longer.replenishment_config.max_safety_stock_days == 60.0
    none = Settings.from_env({"STOCKFLOW_HOME": str(tmp_path), "STOCKFLOW_MAX_SAFETY_STOCK_DAYS": "0"})
    assert none.replenishment_config.max_safety_stock_days == float("inf")
    for bad in ("-5", "nan"):
        with pytest.raises(ValueError, match="STOCKFLOW_MAX_SAFETY_STOCK_DAYS"):
            Settings.from_env({"STOCKFLOW_HOME": str(tmp_path), "STOCKFLOW_MAX_SAFETY_STOCK_DAYS": bad})


def test_data_folders_under_home_are_owner_only_and_others_keep_theirs(tmp_path: Path):
    """Issue 16: the warehouse, exports and archived extracts were world-readable."""
    shared = tmp_path / "shared_exports"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    s = Settings.from_env({"STOCKFLOW_HOME": str(tmp_path / "home"), "STOCKFLOW_EXPORTS": str(shared)})
    s.ensure_dirs()
    for folder in (s.home, s.inbox, s.archive, s.quarantine, s.dagster_home):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert shared.stat().st_mode & 0o777 == 0o755  # set elsewhere by its owner: left alone


def test_dates_window_settings_are_checked():
    with pytest.raises(ValueError, match="STOCKFLOW_EARLIEST_DATE"):
        Settings.from_env({"STOCKFLOW_EARLIEST_DATE": "2000-13-01"})
    with pytest.raises(ValueError, match="STOCKFLOW_MAX_FUTURE_DAYS"):
        Settings.from_env({"STOCKFLOW_MAX_FUTURE_DAYS": "-5"})
    earliest, latest = Settings.from_env({"STOCKFLOW_MAX_FUTURE_DAYS": "10"}).date_bounds
    assert earliest.isoformat() == "2000-01-01" and (latest - earliest).days > 9000


def test_excel_reader_limits_are_settings():
    default = Settings.from_env({})
    assert (default.reader_memory_mb, default.reader_timeout_seconds) == (4096, 600.0)
    s = Settings.from_env({"STOCKFLOW_READER_MEMORY_MB": "0", "STOCKFLOW_READER_TIMEOUT_SECONDS": "30"})
    assert (s.reader_memory_mb, s.reader_timeout_seconds) == (0, 30.0)  # 0: read in process
    assert Settings.from_env(s.to_env()) == s
    for name in ("STOCKFLOW_READER_MEMORY_MB", "STOCKFLOW_READER_TIMEOUT_SECONDS"):
        with pytest.raises(ValueError, match=name):
            Settings.from_env({name: "-1"})
