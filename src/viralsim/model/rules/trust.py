"""Trust events: value content raises trust slowly; bad experiences cut it fast (asymmetry)."""

from __future__ import annotations

from typing import NamedTuple

from viralsim._jit import kernel, powi
from viralsim.model.rules._util import lower_one, raise_one


class Params(NamedTuple):
    on: bool
    g_value: float
    g_group: float
    loss_warning: float
    gain_good: float
    loss_bad: float


def prepare(config) -> Params:
    t = config.trust
    return Params(bool(t.enabled), float(t.gain_value), min(1.0, t.gain_value * t.group_gain_multiplier),
                  float(t.loss_warning), float(t.gain_good_purchase), float(t.loss_bad_purchase))


@kernel
def platform_warning(par, rel):
    """Opening a folded block shows the platform's harassment warning: T <- T (1 - l_warn).

    The harassment prompt tells the viewer the posts are suspected harassment before she agrees
    to see them (seed 002 L345: "提醒你疑似骚扰内容"): a warning from the platform, weighed like
    a strong friend's warning (rules.wom.warn).
    """
    if not par.on or par.loss_warning <= 0.0:
        return
    for r in range(rel.meta[0]):
        if rel.opened[r]:
            rel.trust[r] = lower_one(rel.trust[r], par.loss_warning, 1)


@kernel
def gain_from_content(par, rel):
    """Seen value content raises trust: T <- 1 - (1 - T)(1 - g_v)^X_value (1 - m g_v)^X_group.

    Only non-advertising content moves attitudes (seed 003 L65); trust grows fastest inside
    small groups with shared topics (seed 002 L359-361), hence the group multiplier m.
    Personal-life posts are not about the product and leave trust unchanged.
    """
    if not par.on:
        return
    for r in range(rel.meta[0]):
        xv, xg = rel.seen_value[r], rel.group_seen[r]
        if rel.touched[r] and (xv > 0 or xg > 0):
            x = 1.0 - (1.0 - rel.trust[r]) * powi(1.0 - par.g_value, xv)
            rel.trust[r] = 1.0 - (1.0 - x) * powi(1.0 - par.g_group, xg)


@kernel
def purchase_outcome(par, t, satisfied):
    """Trust after a purchase: satisfied T + g (1 - T), dissatisfied T (1 - l), with l > g.

    A good purchase confirms trust; a product failure breaks the relationship (seed 000 L137) —
    trust is lost faster than it is gained (the asymmetry principle of Slovic, "Perceived risk,
    trust, and democracy", Risk Analysis 13(6):675-682, 1993; defaults g = 0.15, l = 0.40).
    """
    if not par.on:
        return t
    return raise_one(t, par.gain_good, 1) if satisfied else lower_one(t, par.loss_bad, 1)
