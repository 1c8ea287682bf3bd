"""Bundled example data: the SNAP ego-Facebook friendship network (its file is located by
:func:`viralsim.edgelist_format.facebook_path`)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from viralsim.edgelist_format import facebook_path

from .io import read_edgelist
from .topology import DEFAULT_STRONG_SHARE, Topology

__all__ = ["facebook_path", "load_facebook"]

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
        Share of strong ties, default :data:`DEFAULT_STRONG_SHARE` (seed 000 L209).
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
