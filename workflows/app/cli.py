"""The ``mesoflow`` command line: ``demo``, ``info``, ``scan`` and ``figures``.

Each subcommand is a thin shell over a library function that returns data;
this module is the only place that prints.  It imports the library inside the
subcommands, so ``mesoflow --help`` and argument errors answer without
importing Kwant, SciPy or a solver (``import workflows`` itself loads nothing:
its names come from :mod:`workflows.api` on first use).
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from workflows.app.demo import run_demo, summary_table

    print(summary_table(run_demo(args.output, quick=args.quick)))
    return 0


def _info(args: argparse.Namespace) -> int:
    from workflows.runs.environment import environment_info

    info = environment_info()
    width = max(len(key) for key in info)
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")
    if info["solver"] != "MUMPS":
        print(
            "\nKwant was built without MUMPS (libmumps-seq-dev missing when it was built):\n"
            "it uses SciPy's sparse solver, which is slower but gives the same results."
        )
    return 0


def _scan(args: argparse.Namespace) -> int:
    import pandas as pd

    from workflows.app.study_run import run_study

    table = run_study(
        args.study,
        output=args.output,
        workers=args.workers,
        timeout=args.timeout,
        allow_modules=args.allow_module,
        allow_remote_scheduler=args.allow_remote_scheduler,
        force=args.force,
        format=args.format,
    )
    errors = table["error"].dropna() if "error" in table else pd.Series(dtype=object)
    where = table.attrs.get("output", args.output)
    if len(errors) == len(table):
        print(
            f"all {len(table)} points failed (first: {errors.iloc[0]}); the table with its "
            f"'error' column is in {where}",
            file=sys.stderr,
        )
        return 1
    print(f"{len(table)} points, {len(errors)} failed; results in {where}")
    return 1 if len(errors) else 0


def _figures(args: argparse.Namespace) -> int:
    from workflows.app.figures import FIGURES, make_figures

    if args.list:
        print("\n".join(FIGURES))
        return 0
    for path in make_figures(args.names or None, output=args.output, quick=args.quick):
        print(path)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesoflow",
        description="Kwant-based workflows for mesoscopic quantum transport.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="QPC conductance steps and a Hall-bar measurement")
    demo.add_argument("--output", default="demo-output", help="directory for CSV, PNG, JSON")
    demo.add_argument("--quick", action="store_true", help="small systems, a few seconds")
    demo.set_defaults(run=_demo)

    info = commands.add_parser("info", help="versions, sparse solver (MUMPS/SciPy), threads")
    info.set_defaults(run=_info)

    scan = commands.add_parser("scan", help="run a parameter-scan study declared in TOML")
    scan.add_argument("study", help="path to the STUDY.toml file")
    scan.add_argument(
        "--output", default=None, help="output directory (default: the study's name beside it)"
    )
    scan.add_argument("--workers", type=int, default=None, help="worker processes")
    scan.add_argument(
        "--timeout", type=float, default=None, help="seconds per point (a hung point fails)"
    )
    scan.add_argument(
        "--allow-module",
        action="append",
        default=[],
        metavar="MODULE",
        help="trust MODULE (and the modules below it): the study may name its functions as "
        "builder, 'MODULE:function' (repeatable)",
    )
    scan.add_argument(
        "--allow-remote-scheduler",
        action="store_true",
        help="let the study connect to the dask scheduler its [executor] names",
    )
    scan.add_argument(
        "--force",
        action="store_true",
        help="replace the results of a different study in the output directory",
    )
    scan.add_argument(
        "--format",
        choices=("csv", "netcdf", "zarr"),
        default="csv",
        help="besides results.csv, write the results as a labelled N-d dataset: results.nc "
        "(NetCDF) or results.zarr (a resumed scan appends to it)",
    )
    scan.set_defaults(run=_scan)

    figures = commands.add_parser("figures", help="regenerate the figure gallery")
    figures.add_argument("names", nargs="*", help="figures to make (default: all)")
    figures.add_argument("--list", action="store_true", help="list figure names and exit")
    figures.add_argument("--quick", action="store_true", help="small parameters (tests)")
    figures.add_argument(
        "--output", default="figures", help="output directory (default: ./figures)"
    )
    figures.set_defaults(run=_figures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mesoflow`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from workflows.runs.store import StoreBusyError

    try:
        return args.run(args)
    except (ValueError, TypeError, OSError, StoreBusyError, sqlite3.Error) as error:
        # user errors (bad input, unusable paths, a store in use or damaged): one line
        if args.verbose:
            raise
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if isinstance(error, OSError | sqlite3.Error) and not isinstance(error, ValueError):
            message = f"{type(error).__name__}: {message}"
        print(f"mesoflow {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mesoflow {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
