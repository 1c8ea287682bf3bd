"""Build the friendship graph a config asks for, from the run's network stream."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import (
    BarabasiAlbertNet,
    CompleteNet,
    EdgeListNet,
    FriendCirclesNet,
    HolmeKimNet,
    StochasticBlockNet,
    WattsStrogatzNet,
)
from viralsim.edgelist_format import edgelist_file
from viralsim.network import generators
from viralsim.network.io import read_edgelist
from viralsim.network.topology import Topology


def build_network(spec, *, rng: np.random.Generator) -> Topology:
    """Topology for a validated network spec; every random draw comes from ``rng``."""
    if isinstance(spec, FriendCirclesNet):
        return generators.friend_circles(spec.n, weak_ties_per_person=spec.weak_ties_per_person, rng=rng)
    if isinstance(spec, WattsStrogatzNet):
        return generators.watts_strogatz(spec.n, spec.k, spec.p, strong_share=spec.strong_share, rng=rng)
    if isinstance(spec, HolmeKimNet):
        return generators.holme_kim(spec.n, spec.m, spec.p, strong_share=spec.strong_share, rng=rng)
    if isinstance(spec, BarabasiAlbertNet):
        return generators.barabasi_albert(spec.n, spec.m, strong_share=spec.strong_share, rng=rng)
    if isinstance(spec, StochasticBlockNet):
        return generators.stochastic_block(spec.sizes, spec.p_in, spec.p_out, rng=rng)
    if isinstance(spec, CompleteNet):
        return generators.complete(spec.n)
    if isinstance(spec, EdgeListNet):
        return read_edgelist(edgelist_file(spec.path), strength_method=spec.strength_method,
                             strong_share=spec.strong_share, rng=rng)
    raise TypeError(f"unsupported network spec {type(spec).__name__}")
