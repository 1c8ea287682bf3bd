"""Friend networks: the CSR :class:`Topology`, generators, edge-list I/O and bundled data."""

from .datasets import facebook_path, load_facebook
from .generators import (
    DEFAULT_CIRCLE_TYPES,
    CircleType,
    barabasi_albert,
    complete,
    friend_circles,
    from_networkx,
    holme_kim,
    stochastic_block,
    watts_strogatz,
)
from .io import EdgeListError, read_edgelist, write_edgelist
from .topology import DEFAULT_STRONG_SHARE, Topology, assign_strength

__all__ = [
    "DEFAULT_CIRCLE_TYPES",
    "DEFAULT_STRONG_SHARE",
    "CircleType",
    "EdgeListError",
    "Topology",
    "assign_strength",
    "barabasi_albert",
    "complete",
    "facebook_path",
    "friend_circles",
    "from_networkx",
    "holme_kim",
    "load_facebook",
    "read_edgelist",
    "stochastic_block",
    "watts_strogatz",
    "write_edgelist",
]
