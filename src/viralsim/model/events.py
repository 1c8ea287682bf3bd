"""Timed events of a run (``config.events``, docs/model.md §3.3.22), worked out for either engine.

An event of day ``d`` acts at the start of day ``d``: after day ``d - 1`` is recorded, before
anything of day ``d`` happens. What it does is worked out here, once, for both engines (the fast
:class:`~viralsim.model.mesa_model.ViralModel` and the per-agent
:class:`~viralsim.model.reference.ReferenceModel`), which then apply it to their own state:

* ``set``: the config in force becomes the old one with the event's settings merged in
  (:func:`viralsim.config.schema.config_after`); a named seller whose spec changed takes the
  strategy and product it now resolves to. A crackdown is ``set: {platform.moderation:
  harassment_prompt}`` (seed 002 L341–355).
* ``switch``: the selected sellers take a new strategy (:meth:`StrategySwitch.apply`); for
  named sellers the config in force records it as their spec.
* ``shock``: every consumer who knows a selected seller (``aware``) trusts her ``trust_factor``
  times as much; trust then relaxes back toward its baseline at the usual rate (a 3·15-style
  scandal, seed 002 L231). Consumers who have never heard of her meet her later at the prior.

No random number is drawn: a run with events uses the same streams as one without, so the days
before the first event are the same, number for number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from viralsim.config.schema import Event, Product, RunConfig, SellerSpec, Strategy, config_after, event_order

__all__ = ["Change", "EventQueue", "work_out"]


class EventQueue:
    """The events of a run in the order they act (by day, then as listed), handed out day by day."""

    def __init__(self, events: Sequence[Event]):
        self._pending = [events[i] for i in event_order(events)]

    def due(self, day: int) -> list[Event]:
        """The events acting at the start of ``day`` (removed from the queue), and any earlier
        ones not yet handed out (an event is never skipped)."""
        out = []
        while self._pending and self._pending[0].day <= day:
            out.append(self._pending.pop(0))
        return out

    def next_day(self) -> int | None:
        """Day of the next event still to act, None when there is none."""
        return self._pending[0].day if self._pending else None


@dataclass
class Change:
    """What one event does to a market, for the engine to apply.

    ``config`` is the config in force from the event's day; ``strategies``, ``products``,
    ``presets`` and (named sellers) ``specs`` the new values by seller index, only for sellers
    that change; ``shocked`` the
    indices of the sellers whose trust is multiplied by ``trust_factor`` (empty: no shock).
    """

    config: RunConfig
    strategies: dict[int, Strategy] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    presets: dict[int, str] = field(default_factory=dict)
    specs: dict[int, SellerSpec] = field(default_factory=dict)
    shocked: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    trust_factor: float = 1.0


def work_out(event: Event, config: RunConfig, names: Sequence[str], populations: Sequence[str],
             presets: Sequence[str], strategies: Sequence[Strategy]) -> Change:
    """The change ``event`` makes to a market whose config in force is ``config``.

    ``names``, ``populations``, ``presets`` and ``strategies`` describe every seller, the named
    ones first (as ``sellers_of`` lists them): her name, her population ("" for a named seller),
    the preset she follows today and her strategy today.
    """
    after = config_after(config, event)
    change = Change(after)
    n_named = len(config.sellers)
    for s, name in enumerate(names[:n_named]):         # named sellers: their spec in the config in force
        old, new = config.sellers[name], after.sellers[name]
        if new != old:
            change.specs[s] = new
            change.strategies[s] = new.resolved
            change.products[s] = new.product
            change.presets[s] = new.strategy
    selector = event.switch if event.switch is not None else event.shock
    if selector is None:
        return change
    picked = [s for s in range(len(names)) if selector.picks(names[s], populations[s], presets[s])]
    if event.switch is not None:
        for s in picked:
            if s < n_named:
                continue                                    # (done above, through the config)
            change.strategies[s] = event.switch.apply(strategies[s])
            if event.switch.to is not None:
                change.presets[s] = event.switch.to
    else:
        change.shocked = np.asarray(picked, dtype=np.int64)
        change.trust_factor = float(event.shock.trust_factor)
    return change
