"""Command line: ``viralsim run | validate | presets``.

The CLI only parses arguments, loads the configuration and calls one library function per
verb. Input the user must fix (a bad config, option or path) ends in one line on stderr,
``viralsim: error: ...``, and exit status 2, with nothing written; an exception raised inside
the engine is a bug and propagates with its traceback. Heavy modules (pandas, matplotlib, the
engine) are imported inside the commands so that ``viralsim --help`` answers at once.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

PROG = "viralsim"

DESCRIPTION = """\
Agent-based simulator of social-commerce word of mouth: sellers who spam their friend
circles versus sellers who build community, on WeChat-like friend networks.

A run is described by a YAML config file (network, consumer behaviour, sellers and their
strategies, days, seed). Every setting can be changed from the command line with
--set dotted.path=value, e.g. --set sellers.spam.posts_per_day=50."""

EPILOG = """\
examples:
  viralsim presets                          list the seller strategy presets
  viralsim validate configs/demo.yaml       check a config without running it
  viralsim run configs/demo.yaml --seed 3   run and write results/<name>-seed3/

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
  plot.png            six-panel overview (unless --no-plot)
  manifest.json       versions, seed, git commit, start and end time

The folder appears only when complete; an existing results folder of the same name is
replaced. A summary table is printed at the end."""

VALIDATE_DESCRIPTION = """\
Load CONFIG, apply --set overrides and check every setting, without running anything.
Prints 'ok: <name>, <n> sellers' or the first problem found."""

PRESETS_DESCRIPTION = "List the seller strategy presets a config can name in sellers.<name>.strategy."


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
        Exit status: 0 on success, 2 for bad input (message on stderr).
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
            raise _UsageError("missing command: choose run, validate or presets (see 'viralsim --help')")
        if extras:
            # parse_args would blame the top-level parser; point at the command's own help.
            raise _UsageError(f"unrecognized arguments: {' '.join(extras)} (see '{PROG} {args.command} --help')")
        return _COMMANDS[args.command](args)
    except _UsageError as exc:
        return _fail(str(exc))


def _fail(message: str) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _load(args: argparse.Namespace, *, extra: Sequence[str] = (), seed: int | None = None):
    from viralsim.config.load import ConfigError, load_config

    try:
        return load_config(args.config, overrides=[*args.overrides, *extra], seed=seed)
    except ConfigError as exc:
        raise _UsageError(str(exc)) from None


def _cmd_run(args: argparse.Namespace) -> int:
    config = _load(args, extra=[f"days={args.days}"] if args.days is not None else (), seed=args.seed)
    out = args.out if args.out is not None else Path("results") / f"{_safe_name(config.name)}-seed{config.seed}"

    from viralsim import store

    try:
        store.check_out_dir(out)
    except OSError as exc:
        raise _UsageError(f"cannot write the results folder: {exc}") from None

    from datetime import datetime, timezone

    from viralsim.model import simulate
    from viralsim.report import summary_table

    started = datetime.now(timezone.utc)
    result = simulate(config, progress=not args.quiet)
    finished = datetime.now(timezone.utc)
    path = store.write_run(result, out, plot=not args.no_plot, started=started, finished=finished)
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
    from viralsim.config.presets import preset, preset_names, presets_dir

    folder = presets_dir()
    rows = []
    for name in preset_names():
        rows.append((name, f"{preset(name).posts_per_day:g}", _first_comment(folder / f"{name}.yaml")))
    width = max(len(r[0]) for r in rows) if rows else 4
    print(f"{'preset'.ljust(width)}  posts/day  description")
    for name, posts, text in rows:
        print(f"{name.ljust(width)}  {posts.rjust(9)}  {text}")
    print(f"(preset files: {folder})")
    return 0


_COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "presets": _cmd_presets}


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
        import viralsim

        version = getattr(viralsim, "__version__", None)
        if version:
            return str(version)
        from importlib import metadata

        return metadata.version("viralsim")
    except Exception:  # noqa: BLE001 - a version string must never break --version
        return "unknown"
