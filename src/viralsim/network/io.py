"""Reading and writing SNAP-style edge lists.

Format: one undirected edge per line, two integer node ids separated by spaces
or tabs; further columns are ignored (except the tie-type column written by
:func:`write_edgelist`, see ``strength_method="column"``). Lines whose first
non-blank character is ``#`` and blank lines are skipped; text after a ``#``
on an edge line is a comment too. Files ending in ``.gz`` are decompressed.

A malformed line raises :class:`EdgeListError` naming the file, the 1-based
line number and the offending text, so that a user can fix the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from viralsim.edgelist_format import INT64, open_text, parse_fast

from .topology import DEFAULT_STRONG_SHARE, Topology, assign_strength

__all__ = ["EdgeListError", "read_edgelist", "write_edgelist"]



class EdgeListError(ValueError):
    """An edge-list file is missing, empty or has a malformed line (message says where)."""


def _scan(path: Path, ncols: int) -> np.ndarray:
    """Line-by-line parse that pins down the first malformed line."""
    what = "two integer node ids" if ncols == 2 else "two integer node ids and a 0/1 tie type"
    rows: list[tuple[int, ...]] = []
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            body = line.split("#", 1)[0].strip()
            if not body:
                continue
            fields = body.split()
            try:
                if len(fields) < ncols:
                    raise ValueError
                vals = tuple(int(f) for f in fields[:ncols])
                if any(not INT64.min <= x <= INT64.max for x in vals):
                    raise ValueError
                if ncols == 3 and vals[2] not in (0, 1):
                    raise ValueError
            except ValueError:
                text = line.strip()
                if len(text) > 80:
                    text = text[:77] + "..."
                msg = f"{path} line {lineno}: expected {what}, got {text!r}"
                raise EdgeListError(msg) from None
            rows.append(vals)
    return np.array(rows, dtype=np.int64).reshape(-1, ncols)


def read_edgelist(
    path: str | os.PathLike,
    *,
    strength_method: Literal["embeddedness", "random", "column"] = "embeddedness",
    strong_share: float = DEFAULT_STRONG_SHARE,
    rng: np.random.Generator | None = None,
) -> Topology:
    """Read a SNAP-format edge list into a :class:`Topology`.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.gz`` allowed).
    strength_method : {"embeddedness", "random", "column"}, optional
        How tie types are obtained. ``"embeddedness"`` (default) and ``"random"``
        assign them with :func:`~viralsim.network.topology.assign_strength`;
        ``"column"`` reads them from a third 0/1 column, as written by
        :func:`write_edgelist`.
    strong_share : float, optional
        Share of strong ties to assign, default :data:`DEFAULT_STRONG_SHARE` (seed 000 L209: about 70 %
        of WeChat contacts are family and friends). Unused with ``"column"``.
    rng : numpy.random.Generator
        Source of randomness; required unless ``strength_method="column"``.

    Returns
    -------
    Topology
        Node ids remapped to ``0 .. n-1`` in ascending order of the original ids,
        which are kept in ``labels``. Only nodes that appear in some line exist.
        Self loops are dropped and repeated edges (also ``u v`` and ``v u``)
        merged.

    Raises
    ------
    EdgeListError
        If the file does not exist, contains no edge, or has a malformed line
        (fewer than two fields, a non-integer id); the message names the file,
        the 1-based line number and the line, e.g.
        ``data.txt line 17: expected two integer node ids, got 'a b'``.
    ValueError
        For an unknown ``strength_method`` or missing ``rng``.

    Notes
    -----
    Fast path: pandas' C parser (about 1 s per 10 million lines). On any parse
    failure the file is re-read line by line to report the first bad line.

    Examples
    --------
    >>> import numpy as np
    >>> from viralsim.network.datasets import facebook_path
    >>> topo = read_edgelist(facebook_path(), rng=np.random.default_rng(0))
    >>> topo.n, topo.n_edges
    (4039, 88234)
    """
    if strength_method not in ("embeddedness", "random", "column"):
        raise ValueError(
            "read_edgelist: strength_method must be 'embeddedness', 'random' or 'column', "
            f"got {strength_method!r}"
        )
    if strength_method != "column" and not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"read_edgelist: rng must be a numpy.random.Generator for strength_method="
            f"{strength_method!r}, got {type(rng).__name__}"
        )
    path = Path(path)
    if not path.is_file():
        raise EdgeListError(f"{path}: no such edge-list file")
    ncols = 3 if strength_method == "column" else 2
    data = parse_fast(path, ncols)
    if data is None:
        data = _scan(path, ncols)
    elif ncols == 3 and data.size and not np.isin(data[:, 2], (0, 1)).all():
        data = _scan(path, ncols)  # raises on the first bad tie type
    if data.shape[0] == 0:
        raise EdgeListError(f"{path}: contains no edges")

    ids = np.concatenate([data[:, 0], data[:, 1]])
    ids.sort()
    keep = np.empty(ids.size, dtype=bool)
    keep[:1] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    labels = ids[keep]
    del ids, keep
    n = labels.size
    u = np.searchsorted(labels, data[:, 0])
    v = np.searchsorted(labels, data[:, 1])
    if strength_method == "column":
        strong = data[:, 2] == 1
    else:
        strong = assign_strength(
            n, u, v, method=strength_method, strong_share=strong_share, rng=rng
        )
    return Topology.from_edges(n, u, v, strong, labels=labels)


def write_edgelist(topology: Topology, path: str | os.PathLike) -> None:
    """Write ``u v strong`` lines (strong = 1, weak = 0) under a ``#`` header.

    Each undirected edge is written once with ``u < v``. Nodes are written as
    their integer ``labels`` if the topology has them, otherwise as ``0 .. n-1``.
    Reading the file back with ``read_edgelist(path, strength_method="column")``
    gives the same topology, except that nodes without any edge are lost (the
    format has no place for them). A complete topology is materialised.

    Parameters
    ----------
    topology : Topology
        The network to write.
    path : str or os.PathLike
        Output file.

    Raises
    ------
    ValueError
        If the topology has non-integer labels.

    Notes
    -----
    O(E); written with pandas' C writer.
    """
    u, v, strong = topology.edge_list()
    if topology.labels is not None:
        if not np.issubdtype(topology.labels.dtype, np.integer):
            raise ValueError(
                "write_edgelist: labels must be integers to be written as node ids, "
                f"got dtype {topology.labels.dtype}"
            )
        u, v = topology.labels[u], topology.labels[v]
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("# viralsim edge list: one undirected edge per line\n")
        fh.write(f"# nodes: {topology.n} edges: {u.size}\n")
        fh.write("# columns: u v strong (1 = strong tie, 0 = weak tie)\n")
        pd.DataFrame({"u": u, "v": v, "s": strong.astype(np.int8)}).to_csv(
            fh, sep=" ", header=False, index=False
        )
