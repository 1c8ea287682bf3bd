"""One run's results folder: write a run's outputs atomically, read them back for analysis.

A results folder is complete or absent. It is assembled in a hidden temporary sibling directory
and renamed into place only when every file is written, so an interrupted or failed run never
leaves a half-written folder that a later analysis would mistake for a finished one.

Layout of a folder written by :func:`write_run`::

    config.yaml         the resolved configuration, with each seller's resolved strategy
    daily.parquet       one row per (day, seller): day, seller + metrics.DAILY_COLUMNS
    daily.csv           the same table as CSV
    market.csv          one row per day: day + metrics.MARKET_COLUMNS
    summary.csv         one row per seller
    cascades.parquet    who converted whom: seller, parent, child, day (may be empty)
    cascade_sizes.csv   buyers per referral tree: seller, root, size
    groups.parquet      one row per (day, grouping, group): the populations and strategies summed
                        (metrics.RunResult.groups)
    columns.csv         the column dictionary: file, column, unit, kind, description of every
                        column above (viralsim.results.columns); Parquet files also carry their
                        columns' entries in their schema metadata
    plot.png            overview figure (run_overview.plot_run), unless plotting is off
    manifest.json       versions, seed, config name, the code (viralsim version, git commit of
                        the package's checkout, uncommitted changes), start/end times; written last
    .viralsim-folder.json   the signature that marks a run results folder (viralsim.folders)

Only an empty folder or a signed run results folder is ever replaced; temporary folders left
by a killed run are cleaned the next time the folder is written (see :mod:`viralsim.folders`).
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from viralsim import folders
from viralsim.config.load import dump_config
from viralsim.metrics import DAILY_COLUMNS
from viralsim.results import columns, run_overview
from viralsim.results.provenance import code_identity, package_version, viralsim_version

if TYPE_CHECKING:
    from viralsim.metrics import RunResult

__all__ = ["write_run", "read_run", "check_out_dir", "MANIFEST", "TABLES"]

MANIFEST = "manifest.json"
#: the signature kind of a run results folder (:mod:`viralsim.folders`)
KIND = "run"

#: table name -> file name, as returned by :func:`read_run`
TABLES = {
    "daily": "daily.parquet",
    "market": "market.csv",
    "summary": "summary.csv",
    "cascades": "cascades.parquet",
    "cascade_sizes": "cascade_sizes.csv",
    "groups": "groups.parquet",
}

_CASCADE_COLUMNS = ("seller", "parent", "child", "day")
_CASCADE_SIZE_COLUMNS = ("seller", "root", "size")


def check_out_dir(out_dir: str | Path) -> None:
    """Check that a results folder can be written at ``out_dir`` without destroying anything else.

    An existing ``out_dir`` is replaced by :func:`write_run`, so it must be empty or a run
    results folder that viralsim signed (see :mod:`viralsim.folders`); anything else is
    refused rather than deleted: a typo such as ``--out .`` or ``--out ~/Documents``, a folder
    that merely holds a ``manifest.json``, a sweep's results folder, or a results folder of an
    older viralsim written before folders were signed.

    Parameters
    ----------
    out_dir : str or Path
        The results folder to be written.

    Raises
    ------
    FileExistsError
        (:class:`viralsim.folders.FolderError`) If ``out_dir`` exists and is a file, or a
        non-empty directory that is not a signed run results folder.
    PermissionError
        If the nearest existing parent directory is not writable.
    """
    folders.check_folder(out_dir, KIND)


def write_run(
    result: RunResult,
    out_dir: str | Path,
    *,
    plot: bool = True,
    started: datetime | None = None,
    finished: datetime | None = None,
) -> Path:
    """Write a run's results folder atomically.

    Parameters
    ----------
    result : RunResult
        What the run produced.
    out_dir : str or Path
        Results folder to create. Missing parents are created. An existing results folder is
        replaced, but only after the new one is complete.
    plot : bool, default True
        Also draw ``plot.png`` with :func:`viralsim.results.run_overview.plot_run`.
    started, finished : datetime, optional
        When the run started and ended (UTC is assumed for naive values), recorded in the
        manifest; both default to the time of writing.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    FileExistsError, PermissionError
        See :func:`check_out_dir`; nothing is written.
    Exception
        Whatever failed while writing is re-raised after the temporary directory is removed;
        ``out_dir`` is then absent, or still the previous results folder if there was one.

    Notes
    -----
    CSV files are written with shortest round-trip float formatting, ``\\n`` line endings and
    no index, and Parquet files without timestamps, so the same result gives byte-identical
    data files; only ``manifest.json`` (times), ``plot.png`` (renderer metadata) and the signature
    (a random id) vary.
    """
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    now = datetime.now(UTC)
    folders.write_folder(out_dir, KIND, lambda tmp: _write_contents(
        result, tmp, plot=plot, started=started or now, finished=finished or now))
    return out_dir


def read_run(out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Read the tables of a results folder.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by :func:`write_run`.

    Returns
    -------
    dict of str to DataFrame
        ``daily``, ``market``, ``summary``, ``cascades``, ``cascade_sizes`` and ``groups`` (see
        the module docstring for their columns; ``groups`` is empty for a folder written before
        the table existed).

    Raises
    ------
    FileNotFoundError
        If ``out_dir`` is not a complete results folder.
    """
    out_dir = Path(out_dir)
    if not (out_dir / MANIFEST).is_file():
        raise FileNotFoundError(f"{out_dir} is not a viralsim results folder (no {MANIFEST})")
    tables = {}
    for name, filename in TABLES.items():
        path = out_dir / filename
        if name == "groups" and not path.exists():
            tables[name] = pd.DataFrame(columns=["day", "by", "group", "sellers", *DAILY_COLUMNS])
        elif filename.endswith(".parquet"):
            tables[name] = pd.read_parquet(path)
        else:
            # Seller names are text even when they look like numbers ("001") or like missing
            # values ("NA"); only the empty cells the writer emits for NaN are missing.
            tables[name] = pd.read_csv(path, dtype={"seller": str}, keep_default_na=False, na_values=[""])
    return tables


# ---------------------------------------------------------------------------------------------


def _write_contents(result: RunResult, folder: Path, *, plot: bool, started: datetime, finished: datetime) -> None:
    (folder / "config.yaml").write_text(dump_config(result.config), encoding="utf-8", newline="\n")
    daily = _flat(result.daily)
    tables = {  # file -> (table of the column dictionary, frame), in the order columns.csv lists them
        "daily.parquet": ("daily", daily),
        "daily.csv": ("daily", daily),
        "market.csv": ("market", _flat(result.market)),
        "summary.csv": ("summary", _flat(result.summary)),
        "cascades.parquet": ("cascades", _ensure_columns(result.cascades, _CASCADE_COLUMNS)),
        "cascade_sizes.csv": ("cascade_sizes", _ensure_columns(result.cascade_sizes, _CASCADE_SIZE_COLUMNS)),
        "groups.parquet": ("groups", _flat(result.groups)),
    }
    # Looked up before anything is written: an undocumented column fails the write, not the reader.
    entries = {file: columns.table_columns(table, df.columns) for file, (table, df) in tables.items()}
    for file, (_, df) in tables.items():
        if file.endswith(".parquet"):
            columns.write_parquet(df, folder / file, entries[file])
        else:
            _write_csv(df, folder / file)
    _write_csv(columns.columns_frame(entries), folder / columns.COLUMNS_FILE)
    if plot:
        # Looked up on the module at call time (not imported by name) so tests can substitute a failing plot.
        run_overview.plot_run(result, folder / "plot.png")
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    manifest = _manifest(result, started, finished, files=files)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline="\n")


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    # pandas formats floats with repr (shortest round trip), which is deterministic and exact;
    # the line terminator is pinned because its default is the platform's os.linesep.
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index (e.g. sellers) turned into columns, so files keep it."""
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return df.reset_index(drop=True)
    return df.reset_index()


def _ensure_columns(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """An empty table keeps its documented columns even if the engine built it bare."""
    if len(df) == 0 and not set(columns) <= set(df.columns):
        return pd.DataFrame({c: df[c] if c in df.columns else pd.Series([], dtype="int64") for c in columns})
    return _flat(df)


def _manifest(result: RunResult, started: datetime, finished: datetime, files: list[str]) -> dict:
    return {
        "viralsim": viralsim_version(),
        "python": platform.python_version(),
        "numpy": package_version("numpy"),
        "networkx": package_version("networkx"),
        "mesa": package_version("mesa"),
        "pandas": package_version("pandas"),
        "pyarrow": package_version("pyarrow"),
        "seed": result.config.seed,
        "config_name": result.config.name,
        "code": code_identity(),
        "started_utc": _utc(started),
        "finished_utc": _utc(finished),
        "files": files,
    }


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
