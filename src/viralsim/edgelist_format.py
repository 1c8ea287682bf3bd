"""The SNAP edge-list text format and the bundled edge lists: what both the config check and the
network reader need, below both layers (NumPy, and pandas when a file is parsed; nothing of the
engine), so that loading a config imports no network code.

Format: one undirected edge per line, two integer node ids separated by spaces or tabs; ``#``
starts a comment; a ``.gz`` file is read through gzip.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

__all__ = ["INT64", "FACEBOOK", "FACEBOOK_FILE", "open_text", "parse_fast", "facebook_path", "edgelist_file"]

#: node ids are 64-bit integers
INT64 = np.iinfo(np.int64)

#: the name a config uses for the bundled SNAP ego-Facebook network
FACEBOOK = "facebook"
FACEBOOK_FILE = "facebook_combined.txt"


def open_text(path: Path):
    """The file as text with universal newlines (gzip when its name ends in ``.gz``)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline=None)
    return open(path, encoding="utf-8", errors="replace", newline=None)


def parse_fast(path: Path, ncols: int) -> np.ndarray | None:
    """The first ``ncols`` integer columns, parsed by pandas' C reader; None if anything looks
    wrong (a line-by-line scan then reports the first bad line precisely)."""
    import pandas as pd  # lazy: only edge-list networks need it; `viralsim validate` of others must not load it

    try:
        df = pd.read_csv(
            path,
            sep=r"\s+",
            comment="#",
            header=None,
            usecols=list(range(ncols)),
            dtype=np.int64,
            engine="c",
            skip_blank_lines=True,
        )
    except Exception:  # noqa: BLE001 - any failure: the line-by-line scan reports it precisely
        return None
    return df.to_numpy(dtype=np.int64)


def _candidates(filename: str) -> list[Path]:
    here = Path(__file__).resolve()
    found = [here.parent / "_data" / filename]
    if len(here.parents) > 2:
        # src/viralsim/edgelist_format.py -> repository root is parents[2]
        found.append(here.parents[2] / "data" / filename)
    return found


def facebook_path() -> Path:
    """Path of the bundled ``facebook_combined.txt`` (SNAP ego-Facebook).

    It is looked up at ``viralsim/_data/`` (installed wheel, where the repository's ``data/``
    folder is force-included) and then at ``data/`` in the repository root (source checkout
    or editable install).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If neither the installed nor the source-checkout location has the file.

    References
    ----------
    .. [1] J. McAuley and J. Leskovec, "Learning to Discover Social Circles in
       Ego Networks", NIPS 2012. Stanford Network Analysis Project,
       https://snap.stanford.edu/data/ego-Facebook.html
    """
    candidates = _candidates(FACEBOOK_FILE)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"{FACEBOOK_FILE} not found; looked in: " + ", ".join(str(p) for p in candidates)
    )


def edgelist_file(path: str) -> Path:
    """The file a config's ``network.path`` names: the bundled network for ``facebook``
    (FileNotFoundError if it is missing), else the path itself."""
    return facebook_path() if path == FACEBOOK else Path(path)
