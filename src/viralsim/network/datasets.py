"""Bundled example data: the SNAP ego-Facebook friendship network.

The file is looked up at ``viralsim/_data/`` (installed wheel, where the
repository's ``data/`` folder is force-included) and then at ``data/`` in the
repository root (source checkout or editable install).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from .io import read_edgelist
from .topology import DEFAULT_STRONG_SHARE, Topology

__all__ = ["facebook_path", "load_facebook"]

FACEBOOK_FILE = "facebook_combined.txt"


def _candidates(filename: str) -> list[Path]:
    here = Path(__file__).resolve()
    found = [here.parents[1] / "_data" / filename]
    if len(here.parents) > 3:
        # src/viralsim/network/datasets.py -> repository root is parents[3]
        found.append(here.parents[3] / "data" / filename)
    return found


def facebook_path() -> Path:
    """Path of the bundled ``facebook_combined.txt`` (SNAP ego-Facebook).

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


def load_facebook(
    *,
    strength_method: Literal["embeddedness", "random"] = "embeddedness",
    strong_share: float = DEFAULT_STRONG_SHARE,
    rng: np.random.Generator,
) -> Topology:
    """Load the SNAP ego-Facebook network: 4,039 people, 88,234 friendships.

    A real network of overlapping friend circles (ten merged ego networks), with
    tie types assigned by :func:`~viralsim.network.topology.assign_strength`
    because the data has none.

    Parameters
    ----------
    strength_method : {"embeddedness", "random"}, optional
        How strong ties are chosen; default: the most embedded edges.
    strong_share : float, optional
        Share of strong ties, default 0.7 (seed 000 L209).
    rng : numpy.random.Generator
        Source of randomness (tie breaking / random assignment).

    Returns
    -------
    Topology
        ``labels`` holds the SNAP node ids.

    References
    ----------
    .. [1] J. McAuley and J. Leskovec, "Learning to Discover Social Circles in
       Ego Networks", NIPS 2012. https://snap.stanford.edu/data/ego-Facebook.html

    Examples
    --------
    >>> import numpy as np
    >>> load_facebook(rng=np.random.default_rng(0)).n_edges
    88234
    """
    return read_edgelist(
        facebook_path(), strength_method=strength_method, strong_share=strong_share, rng=rng
    )
