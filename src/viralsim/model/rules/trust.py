"""Trust events: value content raises trust slowly; bad experiences cut it fast (asymmetry)."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import TrustParams
from viralsim.model.rules._util import lower_toward_zero, raise_toward_one
from viralsim.model.state import Day, State


def gain_from_content(state: State, day: Day, params: TrustParams) -> None:
    """Seen value content raises trust: T <- 1 - (1 - T)(1 - g_v)^X_value (1 - m g_v)^X_group.

    Only non-advertising content moves attitudes (seed 003 L65); trust grows fastest inside
    small groups with shared topics (seed 002 L359-361), hence the group multiplier m.
    Personal-life posts are not about the product and leave trust unchanged.

    Modifies: ``state.trust``.
    """
    if not params.enabled:
        return
    g_group = min(1.0, params.gain_value * params.group_gain_multiplier)
    for s in range(state.n_sellers):
        idx = day.touched_idx(s)
        value, group = day.seen_value[s, idx], day.group_seen[s, idx]
        hit = (value > 0) | (group > 0)
        idx, value, group = idx[hit], value[hit], group[hit]
        t = raise_toward_one(state.trust[s, idx], params.gain_value, value)
        state.trust[s, idx] = raise_toward_one(t, g_group, group)


def purchase_outcome(trust: np.ndarray, satisfied: np.ndarray, params: TrustParams) -> np.ndarray:
    """Trust after a purchase: satisfied T + g (1 - T), dissatisfied T (1 - l), with l > g.

    A good purchase confirms trust; a product failure breaks the relationship (seed 000 L137) —
    trust is lost faster than it is gained (the asymmetry principle of Slovic, "Perceived risk,
    trust, and democracy", Risk Analysis 13(6):675-682, 1993; defaults g = 0.15, l = 0.40).
    """
    if not params.enabled:
        return trust
    return np.where(satisfied,
                    raise_toward_one(trust, params.gain_good_purchase),
                    lower_toward_zero(trust, params.loss_bad_purchase))


def platform_warning(state: State, s: int, viewers: np.ndarray, params: TrustParams) -> None:
    """Opening a folded block shows the platform's harassment warning: T <- T (1 - l_warn).

    The harassment prompt tells the viewer the posts are suspected harassment before she agrees
    to see them (seed 002 L345: "提醒你疑似骚扰内容"): a warning from the platform, weighed like
    a strong friend's warning (rules.wom.warn).

    Modifies: ``state.trust``.
    """
    if params.enabled and len(viewers):
        state.trust[s, viewers] = lower_toward_zero(state.trust[s, viewers], params.loss_warning)
