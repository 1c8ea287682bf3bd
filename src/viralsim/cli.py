"""Command line: ``viralsim run | validate | presets | params | sweep | merge | report``.

The CLI only parses arguments, loads the configuration and calls one library function per
verb. Input the user must fix (a bad config, option or path) ends in one line on stderr,
``viralsim: error: ...``, and exit status 2, with nothing written; an exception raised inside
the engine is a bug and propagates with its traceback. Heavy modules (pandas, matplotlib, the
engine, pydantic) are imported inside the commands so that ``viralsim --help`` answers at once
and ``viralsim validate`` loads only the config reader.

Exit statuses (distinct, so that a script or a batch scheduler can tell them apart):

* 0 (``EXIT_OK``): success.
* 2 (``EXIT_USAGE``): bad input -- a config, spec, option or path the user must fix, or a run
  or sweep whose estimated memory or disk exceeds what the machine has (``--force`` overrides);
  one ``viralsim: error:`` line, nothing run.
* 3 (``EXIT_FAILED_RUNS``): ``sweep`` and ``merge`` finished, but some runs failed (raised, or
  their worker process died); the count is printed and ``runs.csv`` / ``failures.jsonl`` hold
  them. The same status whatever the count, so that it is never mistaken for 2.
* 74 (``EXIT_IO``, ``EX_IOERR`` of ``sysexits.h``): an input/output error such as a read-only
  or full disk.
* 130 (``EXIT_INTERRUPTED``): interrupted (Ctrl-C); re-running a sweep resumes it.
"""

from __future__ import annotations

import argparse
import errno
import re
import shlex
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import viralsim
import viralsim.app
from viralsim import resources
from viralsim.folders import FolderError

__all__ = ["main", "EXIT_OK", "EXIT_USAGE", "EXIT_FAILED_RUNS", "EXIT_IO", "EXIT_INTERRUPTED"]

PROG = "viralsim"

#: exit statuses; see the module docstring
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED_RUNS = 3
EXIT_IO = 74
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Agent-based simulator of social-commerce word of mouth: sellers who spam their friend
circles versus sellers who build community, on WeChat-like friend networks.

A run is described by a YAML config file (network, consumer behaviour, sellers and their
strategies, days, seed). Every setting can be changed from the command line with
--set dotted.path=value, e.g. --set sellers.spam.posts_per_day=50."""

EPILOG = """\
examples:
  viralsim presets                          list the seller strategy presets
  viralsim params trust                     the trust parameters: default, unit, range, meaning
  viralsim validate configs/spam_vs_community.yaml
                                            check a config without running it
  viralsim run configs/spam_vs_community.yaml --seed 3
                                            run and write results/<name>-seed3/
  viralsim sweep experiments/spam_vs_community.yaml
                                            run an experiment (replicates, scenarios, designs)
  viralsim report results/spam_vs_community/seed20261122-1a2b3c4d
                                            HTML report of an experiment's results
  viralsim app                              live teaching app in the browser (needs viralsim[viz])
  viralsim demo trust-decay                 trust-decay figures and GIFs for a class
  viralsim whatif configs/spam_vs_community.yaml --set sellers.spam.posts_per_day=120,30
                                            compare alternatives with 95% CIs

Run 'viralsim COMMAND --help' for the options of a command."""

RUN_DESCRIPTION = """\
Simulate one run of CONFIG and write a results folder.

The folder (default results/<config name>-seed<seed>, relative to the current directory)
holds:
  config.yaml         the fully resolved config, incl. each seller's resolved strategy
                      (re-runnable: viralsim run <folder>/config.yaml)
  daily.parquet/.csv  one row per day and seller: posts, exposures, reach, purchases,
                      revenue, cost, trust, annoyance, followers, muted, blocked, ...
  market.csv          one row per day: platform activity, commercial share, needs
  summary.csv         one row per seller: totals and end-of-run state
  cascades.parquet    who converted whom through recommendations (seller, parent, child, day)
  cascade_sizes.csv   buyers per referral tree
  groups.parquet      populations and strategy presets summed, day by day
  columns.csv         unit, kind (daily flow, running total, level, ...) and meaning of every
                      column of every file (Parquet files also carry theirs)
  plot.png            six-panel overview (unless --no-plot)
  manifest.json       versions, seed, the code (viralsim version, git commit), start and end time

The folder appears only when complete; an existing run results folder of the same name
(signed by viralsim: .viralsim-folder.json) is replaced, any other non-empty folder is
refused. A summary table is printed at the end.

Before anything is built, the run's peak memory and disk are estimated from the config
(consumers, network kind, days); a run that would not fit this machine is refused with one
line naming the setting to lower (exit status 2); --force runs it anyway."""

VALIDATE_DESCRIPTION = """\
Load CONFIG, apply --set overrides and check every setting, without running anything.
Prints 'ok: <name>, <n> sellers' or the first problem found."""

PRESETS_DESCRIPTION = "List the seller strategy presets a config can name in sellers.<name>.strategy."

PARAMS_DESCRIPTION = """\
List the model's parameters: config path, default, unit, allowed range and meaning, read from
the schema (the tables of docs/model.md section 3.4 are made from the same registry).

PREFIX keeps the parameters whose config path starts with it: a section (run, feed, trust,
annoyance, ties, purchase, wom, platform, network, sellers, strategy) or the beginning of a
dotted path (trust.half_life, network.k, sellers.spam.content). A seller's name stands for any
seller: sellers.<name>.posts_per_day. Network settings show their network kind in brackets.

--format csv and json also give each parameter's label, source and the range sliders and
sweeps offer (ui_low, ui_high, ui_step)."""

SWEEP_DESCRIPTION = """\
Run an experiment: every scenario x design point x replicate of EXPERIMENT (a YAML spec,
see docs/experiments.md), each run with its own seed derived from the experiment's root
seed, and write one results folder (default results/<name>/seed<seed>-<fingerprint>/):
  table.parquet         one row per run x recorded day x seller, with factor columns
                        (outputs.every: k sums a row's flows over its k days)
  summary.parquet/.csv  one row per run x seller: end-of-run KPIs
  stats.parquet/.csv    n, mean, std, 95% CI per scenario x point x seller x day x metric
                        (within the metric's bounds: counts >= 0, shares in [0, 1])
  summary_stats.csv     the same for the end-of-run KPIs
  runs.csv              status of each run; failures.jsonl holds tracebacks
  columns.csv           unit, kind and meaning of every column of every file
  experiment.yaml, design.csv, manifest.json, parts/ (workers' part files)

The spec is checked completely before anything runs, including the run count (at most
5,000,000) and an estimate of the peak memory and disk from the configs, the worker count and
the recording settings (--force runs a sweep that looks too large anyway). Re-running the same command resumes:
finished runs are skipped, and the results are identical to an uninterrupted sweep, whatever
the executor, worker count or shard split. A run that raises is recorded and the sweep goes
on. The folder records the code that started it (viralsim version; git commit and whether
the package's folder has uncommitted changes, when viralsim runs from a git checkout);
resuming it with other code is refused (exit status 2) unless --restart discards the old
results or --allow-code-change mixes them.

A worker process that dies (segfault, kill, out of memory) is a failed run too: its chunk is
retried run by run in fresh processes and the run that killed it is recorded with the signal
(the serial executor runs in this process and has no such protection).

exit status:
  0    every run succeeded
  2    bad spec, option or results folder, or the estimated memory or disk exceeds what
       this machine has (--force overrides); one 'viralsim: error:' line, nothing run
  3    the sweep ran but some runs failed (count printed; see runs.csv, failures.jsonl)
  74   input/output error (read-only or full disk)
  130  interrupted (re-run the command to resume)"""

MERGE_DESCRIPTION = """\
Join the results folders of shards (viralsim sweep --shard I/N) into one and write the final
tables, identical to a sweep run in one piece. With one DIR (e.g. a folder the shards
shared), finalize it in place; with several, merge into --out (default: the first DIR).
Folders whose results come from different code (viralsim version, git commit, uncommitted
changes) are refused unless --allow-code-change. Exit status 3 when the merged results
hold failed runs (as for sweep)."""

REPORT_DESCRIPTION = """\
Write a self-contained HTML report of an experiment's results folder (default
DIR/report/index.html; opens offline) with its figures: time series with 95% CI bands and
end-of-run KPIs with CIs, per scenario and, for grid and zip designs, per factor level
(panels for one factor, one colour per level of the others); heat maps for two-factor grids
with each cell's interval and n; response curves for one-factor grids, Sobol or Morris
sensitivity indices (SALib), and a paper-ready KPI table (CSV, Markdown, LaTeX)."""


#: errno values that end a command with EXIT_IO and one line instead of a traceback
_IO_ERRNOS = frozenset(getattr(errno, name) for name in (
    "EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EIO", "EFBIG", "EMFILE", "ENFILE", "ENAMETOOLONG",
    "ENOTDIR", "EISDIR", "EXDEV", "ESTALE") if hasattr(errno, name))


class _UsageError(Exception):
    """Bad command-line usage; main() prints it as one line and returns 2."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and do not exit the interpreter."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value


def _pos_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    run = commands.add_parser(
        "run",
        help="simulate a config and write a results folder",
        description=RUN_DESCRIPTION,
        formatter_class=formatter,
    )
    run.add_argument("config", metavar="CONFIG", help="YAML config file")
    _add_set(run)
    run.add_argument("--seed", type=_nonneg_int, metavar="N", help="random seed (replaces the config's seed)")
    run.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<name>-seed<seed>)")
    run.add_argument("--days", type=_pos_int, metavar="N", help="days to simulate (replaces the config's days)")
    run.add_argument("--no-plot", action="store_true", help="do not draw plot.png")
    run.add_argument("--force", action="store_true",
                     help="run even if the estimated peak memory or disk exceeds what this machine has")
    run.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no summary table; print only the results folder",
    )

    validate = commands.add_parser(
        "validate",
        help="check a config without running it",
        description=VALIDATE_DESCRIPTION,
        formatter_class=formatter,
    )
    validate.add_argument("config", metavar="CONFIG", help="YAML config file")
    _add_set(validate)

    commands.add_parser("presets", help="list seller strategy presets", description=PRESETS_DESCRIPTION)

    params = commands.add_parser("params", help="list the model's parameters (default, unit, range, meaning)",
                                 description=PARAMS_DESCRIPTION, formatter_class=formatter)
    params.add_argument("prefix", nargs="?", metavar="PREFIX",
                        help="only paths starting with PREFIX, e.g. trust or sellers.<name>.groups")
    params.add_argument("--format", choices=("text", "markdown", "csv", "json"), default="text",
                        help="output format (default: text, aligned columns)")

    sweep = commands.add_parser(
        "sweep",
        help="run an experiment (scenarios, designs, replicates) into a results folder",
        description=SWEEP_DESCRIPTION,
        formatter_class=formatter,
    )
    sweep.add_argument("experiment", metavar="EXPERIMENT", help="experiment YAML file")
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting of the experiment file by dotted path (replicates=3, design.samples=16); repeatable",
    )
    sweep.add_argument("--seed", type=_nonneg_int, metavar="N", help="root seed (replaces the spec's seed)")
    sweep.add_argument("--replicates", type=_pos_int, metavar="N", help="replicates per scenario and design point")
    sweep.add_argument("--days", type=_pos_int, metavar="N", help="days to simulate (replaces the horizon)")
    sweep.add_argument("--out", type=Path, metavar="DIR",
                       help="results folder (default: results/<name>/seed<seed>-<id>)")
    _add_executor_arguments(sweep)
    sweep.add_argument("--shard", metavar="I/N", help="run only shard I of N (0 <= I < N), e.g. for Slurm job arrays")
    sweep.add_argument("--chunk-size", type=_pos_int, metavar="N",
                       help="runs per part file (default: from the run count)")
    sweep.add_argument("--retry-failed", action="store_true", help="run failed runs again")
    sweep.add_argument("--restart", action="store_true", help="discard the results folder's earlier results")
    sweep.add_argument("--allow-code-change", action="store_true",
                       help="resume a results folder started by another viralsim version or git commit "
                            "(mixes results of both; refused without this flag)")
    sweep.add_argument("--dry-run", action="store_true",
                       help="check the spec and print the plan with its memory and disk estimate; run nothing")
    sweep.add_argument("--force", action="store_true",
                       help="run even if the estimated peak memory or disk exceeds what this machine has")
    sweep.add_argument("--report", action="store_true", help="also write the HTML report when the sweep is complete")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar; print only the results folder")

    merge = commands.add_parser(
        "merge",
        help="join the results folders of shards",
        description=MERGE_DESCRIPTION,
        formatter_class=formatter,
    )
    merge.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="results folders of the shards")
    merge.add_argument("--out", type=Path, metavar="DIR", help="merged results folder (default: the first DIR)")
    merge.add_argument("--allow-code-change", action="store_true",
                       help="merge folders whose results come from different viralsim versions or git commits")

    report = commands.add_parser(
        "report",
        help="write an HTML report of an experiment's results",
        description=REPORT_DESCRIPTION,
        formatter_class=formatter,
    )
    report.add_argument("results", type=Path, metavar="DIR", help="results folder written by viralsim sweep")
    report.add_argument("--out", type=Path, metavar="DIR", help="report folder (default: DIR/report)")
    report.add_argument("--format", choices=("png", "svg"), default="png", help="figure format (default: png)")
    report.add_argument("--kpi", action="append", metavar="NAME",
                        help="end-of-run KPI to show (repeatable; default: a standard set)")
    report.add_argument("--metric", action="append", metavar="NAME",
                        help="daily metric to plot over time (repeatable; default: a standard set)")
    _add_teaching_parsers(commands, formatter)
    return parser


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting by dotted path; VALUE is YAML (3, 0.5, true, idle, [1, 2], {ad: 1}); repeatable",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``viralsim`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad input (message on stderr), 3 when some runs of a
        sweep failed, 74 for an input/output error, 130 when interrupted (module docstring).
    """
    parser = _build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
    except _UsageError as exc:
        return _fail(str(exc))
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    try:
        if args.command is None:
            raise _UsageError("missing command: choose run, validate, presets, params, sweep, merge or report "
                              "(see 'viralsim --help')")
        if extras:
            # parse_args would blame the top-level parser; point at the command's own help.
            raise _UsageError(f"unrecognized arguments: {' '.join(extras)} (see '{PROG} {args.command} --help')")
        return _COMMANDS[args.command](args)
    except _UsageError as exc:
        return _fail(str(exc))
    except Exception as exc:
        # lazy: the results folder module imports pandas, which --help and validate must not load
        from viralsim.results.sweep_folder import ResultsError

        # A folder refused while writing (it changed hands after the check), or a results folder
        # found damaged or busy on a path a command does not catch itself: bad input, one line.
        if isinstance(exc, (FolderError, ResultsError)):
            return _fail(str(exc))
        if isinstance(exc, OSError) and exc.errno in _IO_ERRNOS:
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"{PROG}: error: I/O error: {where}{exc.strerror or exc} (nothing half-written was kept; "
                  "fix it and run again)", file=sys.stderr)
            return EXIT_IO
        raise


def _announce_compile() -> None:
    """One line on stderr before the first run on a machine, which compiles the engine."""
    from viralsim._jit import first_run  # lazy: numba (~0.3 s), only for commands that simulate

    if first_run():
        print(f"{PROG}: compiling the simulation kernels for this machine (first run only, "
              "2 to 8 minutes)...", file=sys.stderr, flush=True)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


def _load(args: argparse.Namespace, *, extra: Sequence[str] = (), seed: int | None = None):
    from viralsim.config.load import ConfigError, load_config  # lazy: pydantic and YAML, not for --help

    try:
        return load_config(args.config, overrides=[*args.overrides, *extra], seed=seed)
    except ConfigError as exc:
        raise _UsageError(str(exc)) from None


def _cmd_run(args: argparse.Namespace) -> int:
    config = _load(args, extra=[f"days={args.days}"] if args.days is not None else (), seed=args.seed)
    out = args.out if args.out is not None else Path("results") / f"{_safe_name(config.name)}-seed{config.seed}"

    from viralsim.results import run_folder  # lazy: pandas

    try:
        run_folder.check_out_dir(out)
    except OSError as exc:
        raise _UsageError(f"cannot write the results folder: {exc}") from None
    if not args.force:
        problem = resources.check(resources.estimate_run(config), out)
        if problem:
            raise _UsageError(f"{args.config}: {problem}")

    # lazy: the engine (numba, mesa) and pandas load only when a run starts
    from viralsim.model import simulate
    from viralsim.results.run_overview import summary_table

    started = datetime.now(UTC)
    _announce_compile()
    result = simulate(config, progress=not args.quiet)
    finished = datetime.now(UTC)
    path = run_folder.write_run(result, out, plot=not args.no_plot, started=started, finished=finished)
    if not args.quiet:
        print(summary_table(result))
        print()
    print(path if args.quiet else f"results: {path}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    config = _load(args)
    n = len(config.sellers)
    print(f"ok: {config.name}, {n} seller{'s' if n != 1 else ''}")
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    # lazy: pydantic and YAML, not for --help
    from viralsim.config.load import ConfigError
    from viralsim.config.presets import PresetError, preset_names, presets_dir
    from viralsim.config.schema import Strategy

    folder = presets_dir()
    rows = []
    for name in preset_names():
        try:
            posts = f"{Strategy.from_preset(name).posts_per_day:g}"
        except (ConfigError, PresetError) as exc:
            # a broken preset file affects only the configs that use it: list it, say why
            rows.append((name, "-", f"(unusable: {' '.join(str(exc).split())})"))
            continue
        rows.append((name, posts, _first_comment(folder / f"{name}.yaml")))
    width = max(len(r[0]) for r in rows) if rows else 4
    print(f"{'preset'.ljust(width)}  posts/day  description")
    for name, posts, text in rows:
        print(f"{name.ljust(width)}  {posts.rjust(9)}  {text}")
    print(f"(preset files: {folder})")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    from viralsim.config.registry import UnknownPrefix, render, select  # lazy: pydantic, not for --help

    try:
        selected = select(args.prefix)
    except UnknownPrefix as exc:
        raise _UsageError(str(exc)) from None
    sys.stdout.write(render(selected, args.format))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    # lazy: the experiment modules import the engine and pandas, not for --help
    from viralsim.experiment.spec import ExperimentError, load_experiment
    from viralsim.experiment.sweep import parse_shard, plan_in, run_sweep
    from viralsim.results import provenance, sweep_folder

    shard = None
    if args.shard is not None:
        try:
            shard = parse_shard(args.shard)
        except ValueError as exc:
            raise _UsageError(f"argument --shard: {exc}") from None
    if args.scheduler and args.executor != "dask":
        raise _UsageError("--scheduler needs --executor dask")
    try:
        experiment = load_experiment(args.experiment, overrides=args.overrides, seed=args.seed,
                                     replicates=args.replicates, days=args.days)
    except ExperimentError as exc:
        raise _UsageError(str(exc)) from None

    out = args.out if args.out is not None else experiment.default_out()
    plan = plan_in(out, experiment, args.chunk_size)
    try:
        state = sweep_folder.check_results_dir(out, plan, restart=args.restart,
                                               allow_code_change=args.allow_code_change)
    except sweep_folder.ResultsError as exc:
        raise _UsageError(str(exc)) from None
    if state == "resume" and args.allow_code_change:
        recorded = sweep_folder.read_plan(out).code
        if provenance.code_differs(recorded, plan.code):
            print(f"{PROG}: warning: {out} holds results of {provenance.describe_code(recorded)}; adding results "
                  f"of {provenance.describe_code(plan.code)} (--allow-code-change)", file=sys.stderr)
    if args.executor == "dask" and not args.dry_run:
        try:
            import distributed  # noqa: F401 - only whether the optional dask extra is installed
        except ImportError:
            raise _UsageError("--executor dask needs Dask distributed: pip install 'viralsim[dask]'") from None

    mine = [c for c in range(plan.n_chunks) if shard is None or c % shard[1] == shard[0]]
    done = sweep_folder.committed_chunks(out) if state == "resume" else set()
    todo = sum(len(plan.chunk_runs(c)) for c in mine if c not in done)
    where = f"shard {shard[0]}/{shard[1]}: " if shard else ""
    estimate = _sweep_estimate(experiment, args, todo_chunks=sum(1 for c in mine if c not in done))
    if not args.force:
        problem = resources.check(estimate, out)
        if problem:
            raise _UsageError(f"{args.experiment}: {problem}")
    if args.dry_run:
        print(f"ok: {experiment.name}: {experiment.describe()}")
        print(f"{where}{todo} to run, {sum(len(plan.chunk_runs(c)) for c in mine) - todo} done, "
              f"{plan.n_chunks} chunks of {plan.chunk_size}")
        print(f"estimated peak memory {resources.format_size(estimate.memory)}, "
              f"disk {resources.format_size(estimate.disk)}")
        print(f"results: {out}")
        return 0
    if not args.quiet:
        workers = "" if args.executor == "serial" else f" x {args.workers or 'all cores'}"
        print(f"{experiment.name}: {experiment.describe()}", file=sys.stderr)
        print(f"{where}{todo} to run on {args.executor}{workers} -> {out}", file=sys.stderr)
    _announce_compile()
    try:
        outcome = run_sweep(experiment, out, executor=args.executor, workers=args.workers,
                            scheduler=args.scheduler, shard=shard, chunk_size=args.chunk_size,
                            retry_failed=args.retry_failed, restart=args.restart,
                            allow_code_change=args.allow_code_change, progress=not args.quiet)
    except sweep_folder.ResultsError as exc:
        raise _UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; finished runs are kept, re-run the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if outcome.complete and args.report:
        from viralsim.analysis.report import write_report  # lazy: matplotlib and SALib, only with --report

        write_report(outcome.out_dir)
    if args.quiet:
        print(outcome.out_dir)
    else:
        for run_id, error in outcome.failures[:5]:
            print(f"failed: {run_id}: {error}", file=sys.stderr)
        if len(outcome.failures) > 5:
            print(f"... and {len(outcome.failures) - 5} more", file=sys.stderr)
        state = "complete" if outcome.complete else "partial (other shards pending; then viralsim merge)"
        failed = f", {outcome.failed} failed (see failures.jsonl)" if outcome.failed else ""
        print(f"{outcome.ran} runs in {outcome.seconds:.1f} s{failed}; results {state}: {outcome.out_dir}")
    return EXIT_FAILED_RUNS if outcome.failed else EXIT_OK


def _sweep_estimate(experiment, args: argparse.Namespace, *, todo_chunks: int):
    """Memory and disk estimate of the sweep (viralsim.resources), from the configs alone."""
    from viralsim.experiment.executors import default_workers  # lazy: the engine, not for --help

    reps = experiment.spec.replicates
    points = ((config, reps) for config in experiment.runs.point_configs())
    if args.executor == "serial":
        workers = 1
    else:
        workers = min(args.workers or default_workers(), max(1, todo_chunks))
    return resources.estimate_sweep(points, runs=len(experiment.runs), workers=workers,
                                    every=experiment.settings.every,
                                    local_workers=not (args.executor == "dask" and args.scheduler))


def _cmd_merge(args: argparse.Namespace) -> int:
    from viralsim.results import sweep_folder  # lazy: pandas and pyarrow, not for --help

    try:
        out = sweep_folder.merge(args.dirs, args.out, allow_code_change=args.allow_code_change)
    except sweep_folder.ResultsError as exc:
        raise _UsageError(str(exc)) from None
    runs = sweep_folder.read_results(out).runs
    failed = int((runs["status"] != "ok").sum())
    print(f"merged {len(args.dirs)} folder{'s' * (len(args.dirs) != 1)}: {len(runs)} runs"
          f"{f', {failed} failed' if failed else ''}; results: {out}")
    return EXIT_FAILED_RUNS if failed else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from viralsim.analysis.report import ReportError, write_report  # lazy: pandas, matplotlib, SALib

    try:
        path = write_report(args.results, args.out, fmt=args.format, kpis=args.kpi, metrics=args.metric)
    except ReportError as exc:      # (a damaged, busy or refused folder: main() says it in one line)
        raise _UsageError(str(exc)) from None
    print(f"report: {path}")
    return 0


_COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "presets": _cmd_presets, "params": _cmd_params,
             "sweep": _cmd_sweep, "merge": _cmd_merge, "report": _cmd_report}


# --- teaching and strategy commands: app, demo, whatif ---------------------------------------

APP_DESCRIPTION = """\
Serve the live teaching app on this computer and print its address; open it in a browser.
Ctrl-C, kill (SIGTERM) or closing the terminal (SIGHUP) stops it, server included. The page
shows the friend network of CONFIG (default: a built-in classroom market of 300 people with a
spam seller and a community seller) coloured by trust in a seller, muted and blocked contacts
marked, the sellers named; play / step / run to a day / reset; levers (strategy preset, posts
per day, ad share, product quality; trust half-life, moderation, network size, seed); live
charts of sales, trust, annoyance and muted/blocked contacts; a click on a person shows her
trust and annoyance day by day; the days export as CSV, the pictures as PNG. Networks larger
than 1,000 people start at 300 so that every person can be drawn.

Needs the viz extra: pip install 'viralsim[viz]'. See docs/teaching.md."""


DEMO_DESCRIPTION = """\
Render a teaching demo as figures and animated GIFs, without a browser.

trust-decay: one friend circle and a seller who spams it for 60 days, then goes quiet for 90.
Trust and annoyance of every friend over time, the day each friend mutes or blocks her, and
the closed-form recovery T(t) = B + (T0 - B) 2^(-t/h) beside the simulated trust; then the
same circle under the community strategy. Writes into --out (default results/demo-trust-decay):
  trust-decay.png / .gif                    the spam seller
  trust-decay-community.png / .gif          the same circle, community strategy
  captions.md                               captions a class can read"""

#: replicates per alternative of `viralsim whatif` (viralsim.whatif.DEFAULT_REPLICATES; a test keeps
#: the two equal: the CLI does not import the module for --help)
WHATIF_REPLICATES = 15

WHATIF_DESCRIPTION = f"""\
Compare alternatives of CONFIG for one seller and say, in plain words and with 95% confidence
intervals, what each changes: sales, profit after costs, blocks, end trust and followers (and
revenue, buyers and muted in the tables).

  --set KEY=A,B,...   a factor with levels A, B, ... (each level is YAML; commas inside
                      [], {{}} or quotes do not split); the first level is the baseline
  several --set       every combination (a grid, the last --set varying fastest); a --set
                      with a single value applies to every alternative

The what-if is an experiment like those of 'viralsim sweep': the alternatives are the points
of a grid design, and replicate r of every alternative runs with the same seed, derived from
the config's seed (common random numbers). It runs on the sweep's executors into a normal
experiment results folder (default results/whatif-<name>/seed<seed>-<id>; re-running the
same what-if resumes it), and compares every alternative with the baseline by paired
differences. A difference whose 95% CI covers 0 is reported as not distinguishable from
noise, with the number of replicates that would tell a +-10% change apart (--effect).

Replicates: the default of {WHATIF_REPLICATES} is what a paired t-test (two-sided, 5%) needs to detect,
with 80% power, a change of 0.8 standard deviations of the paired differences (a "large"
effect); 10 would detect it only 62% of the time. Smaller effects need more: follow the
hint printed beside a difference lost in noise.

Prints the side-by-side table and one verdict per alternative, and writes into the results
folder, besides the experiment's tables:
  whatif/whatif.md        verdicts, KPI table, paired differences, method
  whatif/whatif.png       forest plot: paired differences with 95% CIs per KPI
  whatif/whatif.csv       the seller's KPIs per alternative and replicate
  whatif/differences.csv  the paired differences, their CIs and the power hint
  report/index.html       the experiment report of 'viralsim report' (unless --no-report)

example:
  viralsim whatif configs/spam_vs_community.yaml --set sellers.spam.posts_per_day=120,30 \\
      --replicates 30"""

DEMOS = ("trust-decay",)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number 1-65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 1-65535, got {text!r}")
    return value


def _add_teaching_parsers(commands, formatter) -> None:
    app = commands.add_parser("app", help="live teaching app in the browser (needs viralsim[viz])",
                              description=APP_DESCRIPTION, formatter_class=formatter)
    app.add_argument("config", nargs="?", metavar="CONFIG", help="YAML config file (default: the classroom market)")
    _add_set(app)
    app.add_argument("--host", default="127.0.0.1", metavar="HOST", help="address to listen on (default: 127.0.0.1)")
    app.add_argument("--port", type=_port, default=8765, metavar="N", help="port to listen on (default: 8765)")

    demo = commands.add_parser("demo", help="teaching demo figures and GIFs (trust-decay)",
                               description=DEMO_DESCRIPTION, formatter_class=formatter)
    demo.add_argument("demo", choices=DEMOS, metavar="DEMO", help=f"which demo: {', '.join(DEMOS)}")
    demo.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: results/demo-<demo>)")
    demo.add_argument("--seed", type=_nonneg_int, default=None, metavar="N", help="seed of the friend circle")
    demo.add_argument("--no-gif", action="store_true", help="figures only, no animated GIFs (faster)")

    whatif = commands.add_parser("whatif", help="compare alternatives with 95%% CIs and plain-language verdicts",
                                 description=WHATIF_DESCRIPTION, formatter_class=formatter)
    whatif.add_argument("config", metavar="CONFIG", help="YAML config file")
    whatif.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=A,B,...",
                        help="a factor and its levels (first = baseline), or one value for all alternatives; "
                             "repeatable")
    whatif.add_argument("--replicates", type=_pos_int, default=WHATIF_REPLICATES, metavar="N",
                        help=f"replicate markets per alternative (default: {WHATIF_REPLICATES}, from a power "
                             "calculation; see above)")
    whatif.add_argument("--days", type=_pos_int, metavar="N", help="days to simulate (replaces the config's days)")
    whatif.add_argument("--seller", metavar="NAME",
                        help="seller whose KPIs are compared (default: the one named in --set, else the first)")
    whatif.add_argument("--effect", type=_percent, default=10.0, metavar="PCT",
                        help="the change, in %% of the baseline, that the replicates hint is about (default: 10)")
    whatif.add_argument("--out", type=Path, metavar="DIR",
                        help="results folder (default: results/whatif-<name>/seed<seed>-<id>)")
    _add_executor_arguments(whatif)
    whatif.add_argument("--jobs", type=_pos_int, metavar="N", help="the same as --workers")
    whatif.add_argument("--restart", action="store_true",
                        help="discard the results of another what-if or experiment in --out")
    whatif.add_argument("--allow-code-change", action="store_true",
                        help="resume a results folder started by other code")
    whatif.add_argument("--no-report", action="store_true", help="do not write the experiment report")
    whatif.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Where an experiment's runs execute: the same flags for every command that runs one."""
    parser.add_argument("--executor", choices=("processes", "serial", "dask"), default="processes",
                        help="where runs execute (default: processes, one per core)")
    parser.add_argument("--workers", type=_pos_int, metavar="N",
                        help="worker processes (processes, local dask cluster); default: all cores")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler, e.g. tcp://host:8786 (default: start a local Dask cluster)")


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a percentage above 0, e.g. 10, got {text!r}") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"must be a percentage above 0 and at most 1000, e.g. 10, got {text!r}")
    return value


def _cmd_app(args: argparse.Namespace) -> int:
    # lazy: the app's model imports mesa and the engine, not for --help
    from viralsim.app.model import app_config
    from viralsim.config.load import ConfigError

    try:
        app_config(args.config, tuple(args.overrides))
    except ConfigError as exc:
        raise _UsageError(str(exc)) from None
    missing = viralsim.app.missing_dependencies()
    if missing:
        raise _UsageError(f"the app needs the viz extra ({', '.join(missing)} not installed): "
                          "pip install 'viralsim[viz]'")
    try:
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        raise _UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                          "choose another --port") from None
    _announce_compile()
    return viralsim.app.serve(args.config, args.overrides, host=args.host, port=args.port)


def _cmd_demo(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else Path("results") / f"demo-{args.demo}"
    from viralsim.demo import check_out, trust_decay  # lazy: the engine and matplotlib, not for --help

    try:
        check_out(out)
    except OSError as exc:
        raise _UsageError(f"cannot write the demo: {exc}") from None

    kwargs = {} if args.seed is None else {"seed": args.seed}
    _announce_compile()
    files = trust_decay(out, gif=not args.no_gif, **kwargs)
    for path in files.values():
        print(path)
    return 0


def _cmd_whatif(args: argparse.Namespace) -> int:
    # lazy: the engine, pandas and scipy, not for --help
    from viralsim import whatif as wi
    from viralsim.config.load import ConfigError
    from viralsim.results import sweep_folder

    if not args.overrides:
        raise _UsageError("nothing to compare: give --set KEY=A,B (e.g. --set sellers.NAME.posts_per_day=10,3)")
    if args.workers is not None and args.jobs is not None and args.workers != args.jobs:
        raise _UsageError(f"--workers {args.workers} and --jobs {args.jobs} disagree; --jobs is another name for "
                          "--workers: give one")
    if args.scheduler and args.executor != "dask":
        raise _UsageError("--scheduler needs --executor dask")
    try:
        spec = wi.plan(args.config, args.overrides, replicates=args.replicates, days=args.days, seller=args.seller)
    except ConfigError as exc:
        raise _UsageError(str(exc)) from None
    out = args.out if args.out is not None else spec.default_out()
    try:
        state = wi.check_out(out, spec, restart=args.restart, allow_code_change=args.allow_code_change)
    except sweep_folder.ResultsError as exc:
        raise _UsageError(str(exc)) from None
    if args.executor == "dask":
        try:
            import distributed  # noqa: F401 - only whether the optional dask extra is installed
        except ImportError:
            raise _UsageError("--executor dask needs Dask distributed: pip install 'viralsim[dask]'") from None
    runs = len(spec.alternatives) * spec.replicates
    if not args.quiet:
        again = " (resuming: finished runs are kept)" if state == "resume" else ""
        print(f"{spec.name}: {len(spec.alternatives)} alternatives x {spec.replicates} replicates = {runs} runs, "
              f"seller '{spec.seller}' -> {out}{again}", file=sys.stderr)
    _announce_compile()
    try:
        result = wi.run(spec, out, executor=args.executor, workers=args.workers or args.jobs,
                        scheduler=args.scheduler, restart=args.restart, allow_code_change=args.allow_code_change,
                        progress=not args.quiet, effect=args.effect / 100)
    except sweep_folder.ResultsError as exc:
        raise _UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; finished runs are kept, re-run the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    command = " ".join(["viralsim whatif", shlex.quote(str(args.config)),
                        *(f"--set {shlex.quote(s)}" for s in args.overrides),
                        f"--replicates {spec.replicates}",
                        *([f"--days {args.days}"] if args.days else []),
                        *([f"--seller {shlex.quote(args.seller)}"] if args.seller else []),
                        *([f"--effect {args.effect:g}"] if args.effect != 10.0 else [])])
    files = wi.write(result, command=command)
    report = None
    if result.outcome.complete and not args.no_report:
        from viralsim.analysis.report import write_report  # lazy: matplotlib and SALib

        report = write_report(out)
    print(result.table())
    print()
    for line in result.verdicts():
        print(f"- {line}")
    print()
    if result.outcome.failed:
        print(f"{PROG}: {result.outcome.failed} of {runs} runs failed (see {out / 'failures.jsonl'}); the comparison "
              "pairs the replicates that ran for both alternatives", file=sys.stderr)
    written = [files["md"], files["png"], files["csv"], files["differences"], *([report] if report else [])]
    print(f"results: {out}")
    print(f"written: {', '.join(str(p) for p in written)}")
    return EXIT_FAILED_RUNS if result.outcome.failed else EXIT_OK


_COMMANDS.update(app=_cmd_app, demo=_cmd_demo, whatif=_cmd_whatif)


def _first_comment(path: Path) -> str:
    """First comment line of a preset file, without the leading '#'."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip()
    return ""


def _safe_name(name: str) -> str:
    """The config name as a single safe path component (it comes from user-edited YAML)."""
    cleaned = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return cleaned or "run"


def _version() -> str:
    try:
        version = getattr(viralsim, "__version__", None)
        if version:
            return str(version)
        return metadata.version("viralsim")
    except Exception:  # noqa: BLE001 - a version string must never break --version
        return "unknown"
