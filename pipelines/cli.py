"""The `stockflow` command: demo data, a headless run, the UI, and helpers around them."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

from pipelines.operations.settings import DBT_PROJECT_DIR, REPO_ROOT, SETTINGS_DOC, Settings


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.demo.generator import DemoConfig, generate_demo

    settings.ensure_dirs()
    config = DemoConfig(
        skus=args.skus,
        warehouses=args.warehouses,
        days=args.days,
        seed=args.seed,
        lang=args.lang,
        end_date=date.fromisoformat(args.end_date) if args.end_date else None,
    )
    summary = generate_demo(settings.inbox, config, progress=not args.quiet)
    print(
        f"Demo company written to {settings.inbox}: {len(summary.files)} files, "
        f"{summary.start_date} to {summary.end_date}."
    )
    for kind, n in summary.rows.items():
        print(f"  {kind:<16} {n:>12,} rows")
    return 0


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.operations.runner import RunBusyError, format_summary, run_refresh, summarise
    from pipelines.warehouse.connection import WarehouseBusyError

    try:
        outcome = run_refresh(settings, full_refresh=args.full_refresh, backtest=args.backtest)
    except (RunBusyError, WarehouseBusyError) as exc:
        print(f"stockflow run: {exc}", file=sys.stderr)
        return 2
    print(format_summary(settings, summarise(settings, since=outcome.started_at), outcome))
    if not outcome.success:
        print(f"stockflow run failed: {outcome.reason}", file=sys.stderr)
        return 1
    if outcome.partial:
        print(f"stockflow run finished in part: {outcome.partial.splitlines()[0]}", file=sys.stderr)
        return 3
    return 0


def _cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.operations.runner import ensure_dagster_home
    from pipelines.warehouse.dbt_manifest import ensure_manifest

    settings.ensure_dirs()
    ensure_dagster_home(settings)
    settings.export_env()
    ensure_manifest()
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "dagster"),
        "dev",
        "-m",
        "pipelines.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(
        f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={settings.dagster_home}); Ctrl-C stops it."
    )
    # the venv's bin first, so dbt and dagster's subprocesses are found without activating the venv
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    from pipelines.operations.ui import dismiss_first_visit_dialog

    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    server = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env)
    # once the webserver answers, mark Dagster's first-visit dialog seen so it never covers the asset graph
    threading.Thread(
        target=dismiss_first_visit_dialog, args=(f"http://{host}:{args.port}",), daemon=True
    ).start()
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.wait()
        return 0


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.reports.status import status_text

    print(status_text(settings))
    return 0


def _cmd_contract(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.ingest.extracts.schema import contract_markdown

    print(contract_markdown())
    return 0


def _cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    for name, default, meaning in SETTINGS_DOC:
        print(f"{name:<32} {os.environ.get(name, '(default) ' + default)}\n    {meaning}")
    return 0


def _cmd_dbt(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.warehouse.dbt_manifest import dbt_executable

    settings.export_env()
    return subprocess.call(
        [
            dbt_executable(),
            *args.dbt_args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
    )


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    if args.real:  # the forecaster on real public demand (benchmarks/forecast_real.py)
        import runpy

        script = REPO_ROOT / "benchmarks" / "forecast_real.py"
        argv = ["--results-dir", str(args.results_dir)] + (["--skip-peers"] if args.peers == "" else [])
        main = runpy.run_path(str(script))["main"]
        return int(main(argv))
    from pipelines.bench.run import SCALES, Scale, main_text, run_benchmark
    from pipelines.bench.stages import PEERS

    custom = (args.skus, args.warehouses, args.days)
    override = None
    if any(custom):
        base = SCALES[args.scale]
        override = Scale(args.skus or base.skus, args.warehouses or base.warehouses, args.days or base.days)
    peers = tuple(p for p in args.peers.split(",") if p) if args.peers is not None else PEERS
    unknown = set(peers) - set(PEERS)
    if unknown:
        print(
            f"stockflow bench: unknown peers {sorted(unknown)}; choose from {', '.join(PEERS)}",
            file=sys.stderr,
        )
        return 2
    workdir = args.workdir or (settings.home / "bench" / args.scale)
    try:
        doc = run_benchmark(
            args.scale
            if override is None
            else f"{args.scale}-{override.skus}x{override.warehouses}x{override.days}",
            workdir,
            args.results_dir,
            peers=peers,
            scale_override=override,
            extract_format=args.extract_format,
        )
    except FileExistsError as exc:
        print(f"stockflow bench: {exc}", file=sys.stderr)
        return 2
    print()
    print(main_text(doc))
    print(f"\nResults: {doc['results_path']}")
    failed = [s["name"] for s in doc["stages"] if s["status"] == "failed"]
    if failed:
        print(f"stockflow bench: failed stages: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser(
        "demo",
        help="write a simulated company's ERP extracts into the inbox",
        description="Generate the demo company (a seeded simulation of a distributor) and write its "
        "ERP extracts (CSV and Excel) into $STOCKFLOW_INBOX.",
    )
    demo.add_argument("--skus", type=int, default=500, help="number of SKUs (default 500)")
    demo.add_argument("--warehouses", type=int, default=3, help="number of warehouses (default 3)")
    demo.add_argument("--days", type=int, default=730, help="days of history (default 730)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument(
        "--lang",
        choices=["en", "zh"],
        default="en",
        help="en: canonical English headers; zh: Chinese ERP headers, title and 合计 rows, GB18030 CSV",
    )
    demo.add_argument("--end-date", help="last day of history, YYYY-MM-DD (default yesterday)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_cmd_demo)


def _add_run(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="run the daily refresh job once, in process",
        description="Materialise the daily refresh job (the one the schedule and sensor run) in "
        "this process, recorded in Dagster's instance; print a summary. Exits 1 with a one-line "
        "reason when a step fails, 2 when another run holds the warehouse.",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental daily facts from all history (after changing dbt models or vars)",
    )
    run.add_argument(
        "--backtest",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the forecast backtest (--backtest) or leave it out (--no-backtest); by default it runs "
        "when due (STOCKFLOW_BACKTEST_EVERY_DAYS)",
    )
    run.set_defaults(func=_cmd_run)


def _add_ui(sub: argparse._SubParsersAction) -> None:
    ui = sub.add_parser(
        "ui",
        help="start the Dagster UI (dagster dev)",
        description="Start the Dagster UI and daemon (schedule and inbox sensor on).",
    )
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=_cmd_ui)


def _add_status_contract_settings(sub: argparse._SubParsersAction) -> None:
    """The commands that only print: the last run's summary, the extract contract, the settings."""
    status = sub.add_parser(
        "status",
        help="summary of the last run: files loaded and quarantined (and why), published marts, outputs",
    )
    status.set_defaults(func=_cmd_status)

    contract = sub.add_parser("contract", help="print the extract contract (columns per extract kind)")
    contract.set_defaults(func=_cmd_contract)

    settings_cmd = sub.add_parser("settings", help="list the STOCKFLOW_* settings and their current values")
    settings_cmd.set_defaults(func=_cmd_settings)


def _add_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "bench",
        help="benchmark the pipeline and the forecaster against its peers at a given scale",
        description="Generate the demo company at the given scale in a folder of its own, run the daily "
        "refresh and an incremental day, time each stage (wall seconds, peak memory of the process tree, "
        "rows/s), compare the forecaster with seasonal naive, statsforecast and mlforecast on one 28-day "
        "holdout and the dbt build with a plain DuckDB scan; write benchmarks/results/<date>-<scale>.json "
        "and print markdown tables.",
    )
    bench.add_argument(
        "--scale",
        choices=["small", "m5"],
        default="small",
        help="small: 2,000 SKUs x 3 "
        "warehouses x 3 years; m5: 3,049 SKUs x 10 warehouses x 1,941 days (default small)",
    )
    bench.add_argument(
        "--skus",
        type=int,
        help="override the scale's SKUs (results named <scale>-<skus>x<warehouses>x<days>)",
    )
    bench.add_argument("--warehouses", type=int, help="override the scale's warehouses")
    bench.add_argument("--days", type=int, help="override the scale's days of history")
    bench.add_argument(
        "--peers",
        help="comma-separated forecast peers to run (default all; '' for none): "
        "stockflow,seasonal_naive,ADIDA,CrostonClassic,CrostonSBA,CrostonOptimized,TSB,IMAPA,mlforecast_lgbm",
    )
    bench.add_argument(
        "--extract-format",
        choices=["csv", "parquet"],
        default="csv",
        help="how the demo company's large extracts are written: csv (default) or parquet (read in place; "
        "results in <date>-<scale>-parquet.json)",
    )
    bench.add_argument(
        "--workdir",
        type=Path,
        help="scratch folder (default $STOCKFLOW_HOME/bench/<scale>; cleared at start)",
    )
    bench.add_argument(
        "--real",
        action="store_true",
        help="instead: the forecaster on real public demand (Dominick's orange juice under the TSPerf "
        "protocol, UCI weekly sales) beside published results and statsforecast/mlforecast fitted in the "
        "same run (benchmarks/forecast_real.py; `--peers ''` skips the peers); results in <date>-real.json",
    )
    bench.add_argument(
        "--results-dir", type=Path, default=REPO_ROOT / "benchmarks" / "results", help="where the JSON goes"
    )
    bench.set_defaults(func=_cmd_bench)


def _add_dbt(sub: argparse._SubParsersAction) -> None:
    dbt = sub.add_parser(
        "dbt", help="run dbt on the warehouse with Stockflow's settings, e.g. `stockflow dbt build`"
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments passed to dbt")
    dbt.set_defaults(func=_cmd_dbt)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stockflow",
        description="Stockflow: ERP extracts -> DuckDB warehouse -> inventory marts, forecasts and plans. "
        "Settings come from STOCKFLOW_* environment variables (see `stockflow settings`).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_demo, _add_run, _add_ui, _add_status_contract_settings, _add_bench, _add_dbt):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args, Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())
