"""Trust events: value content raises trust slowly; bad experiences cut it fast (asymmetry)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import int_powers, kernel, true_indices
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
    _gain_from_content_kernel(day.touched, day.seen_value, day.group_seen, state.trust,
                              params.gain_value, g_group)


@kernel
def _gain_from_content_kernel(touched, seen_value, group_seen, trust, g_value, g_group):
    """Per seller: a vectorised pass flags the consumers who read her value or group posts
    today, a branch-free scan collects them, and only they are updated; the powers
    (1 - g)^X are exact repeated products (:func:`~viralsim._jit.int_powers`)."""
    n_s, n = touched.shape
    flag = np.empty(n, dtype=np.bool_)
    idx = np.empty(n, dtype=np.int32)
    keep_value, keep_group = np.empty(n), np.empty(n)           # (1 - g)^X per reader
    x_value, x_group = np.empty(n, np.int64), np.empty(n, np.int64)
    for s in range(n_s):
        t, value, group, trust_s = touched[s], seen_value[s], group_seen[s], trust[s]
        for i in range(n):
            flag[i] = t[i] & ((value[i] > 0) | (group[i] > 0))
        m = true_indices(flag, idx)
        if m == 0:
            continue
        for k in range(m):
            i = idx[k]
            keep_value[k], x_value[k] = 1.0 - g_value, value[i]
            keep_group[k], x_group[k] = 1.0 - g_group, group[i]
        int_powers(keep_value, x_value, m)
        int_powers(keep_group, x_group, m)
        for k in range(m):
            i = idx[k]
            x = 1.0 - (1.0 - trust_s[i]) * keep_value[k]
            trust_s[i] = 1.0 - (1.0 - x) * keep_group[k]


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
