"""`salespipe` command: `run` syncs the configured sources, `demo` runs against the sandbox company."""

from __future__ import annotations

import argparse
import os
import sys

from connectors.registry import sources
from flows.run import run_flow


def _quiet_prefect() -> None:
    # The CLI prints its own summary; Prefect's per-task INFO lines stay in the Prefect UI/DB.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # No internet here or at many customers: don't try to send Prefect's server telemetry.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's temporary server takes over 40 s to start on a busy 2-core machine; its default of 20 s
    # would fail the night before it begins.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


# Exit codes of `salespipe run`: a script or a scheduler can tell these apart.
EXIT_OK, EXIT_FAILED, EXIT_BAD_SETUP, EXIT_HOME_BUSY = 0, 1, 2, 3


def cmd_run(args: argparse.Namespace) -> int:
    from connectors.settings import SettingsError
    from flows.lifecycle import HomeLock
    from flows.problems import HomeBusy, RunRefused
    from flows.report import render_text
    from flows.settings import how_to_configure, load_settings

    try:  # a bad setting, a busy or unwritable home: one line at once, before Prefect starts
        settings = load_settings()
        if not settings.sources:
            print(f"salespipe: {how_to_configure()}", file=sys.stderr)
            return EXIT_BAD_SETUP
        lock = HomeLock.hold(settings.home)  # the flow in this process keeps and releases it
    except SettingsError as err:
        print(f"salespipe: bad setting: {err}", file=sys.stderr)
        return EXIT_BAD_SETUP
    except HomeBusy as err:
        print(f"salespipe: {err}", file=sys.stderr)
        return EXIT_HOME_BUSY
    except RunRefused as err:
        print(f"salespipe: {err}", file=sys.stderr)
        return EXIT_BAD_SETUP
    try:
        ok, summary = run_flow(args.as_of)
    finally:
        lock.release()
    print(render_text(summary))
    if ok:
        print(f"marts: {summary['publish']['serving_file']}")
    return EXIT_OK if ok else EXIT_FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import run_demo

    sources = tuple(name.strip() for name in args.sources.split(",") if name.strip())
    return run_demo(
        scale=args.scale,
        seed=args.seed,
        home=args.home,
        nights=args.nights,
        sources=sources,
        onec_configuration=args.onec_configuration,
    )


def build_parser() -> argparse.ArgumentParser:
    from sandbox.world.reference import CONFIGURATIONS as ONEC_CONFIGURATIONS  # the demo's only

    parser = argparse.ArgumentParser(prog="salespipe", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="sync the configured sources, build and publish the marts")
    run.add_argument("--as-of", help="report date YYYY-MM-DD (default: today in the company time zone)")
    run.set_defaults(func=cmd_run)
    demo = commands.add_parser("demo", help="run the pipeline against the sandbox company on loopback")
    demo.add_argument("--scale", type=float, default=0.05, help="company size; 1 ≈ 20k customers")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--home", default="demo", help="folder for the warehouse and the serving files")
    demo.add_argument("--nights", type=int, default=1, help="runs; from the second on, 1C changes overnight")
    simulated = ",".join(d.id for d in sources() if d.sandbox)
    demo.add_argument(
        "--sources", default=simulated, help=f"sandbox systems to start, comma-separated: {simulated}"
    )
    demo.add_argument(
        "--onec-configuration",
        choices=ONEC_CONFIGURATIONS,
        default="ut11",
        help="the 1C configuration the sandbox's base runs (salespipe detects it, as with a real base)",
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_prefect()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
