"""社群: small groups of customers and interested friends, alive only with value content."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules._util import half_life_factor
from viralsim.model.state import NO_TIE, Day, State


def run_groups(state: State, day: Day, plan: DayPlan, purchase: PurchaseParams,
               trust: TrustParams, *, rng: np.random.Generator) -> int:
    """Invite members, let group activity decay or be refreshed, deliver group value posts.

    Activity a in [0, 1]: a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = min(1, posts / sustain);
    groups start hot and die unless the owner keeps delivering value (seed 002 L371).
    Invitations go first to customers (post-purchase communities, seed 002 L369), then to
    contacts whose trust reached the interest threshold; muted or blocked consumers are never
    invited (they left). Each member reads X ~ Binomial(group posts, a x activity) value posts.

    Returns the group posts read today. Modifies: ``state.in_group``, ``state.group_activity``,
    ``day.group_seen``, ``day.touched``.
    """
    g = plan.strategy.groups
    s = plan.index
    if not g.enabled:
        return 0
    target = min(1.0, g.posts_per_day / g.sustain_posts_per_day)
    f = half_life_factor(g.half_life)
    state.group_activity[s] = target + (state.group_activity[s] - target) * f
    if plan.invites > 0:
        free = ~state.in_group[s] & ~state.blocked[s] & ~state.muted[s] & state.is_consumer
        customers = np.flatnonzero(free & (state.purchases[s] > 0))
        invite = rng.permutation(customers)[: plan.invites]
        if len(invite) < plan.invites:
            interested = free & (state.tie[s] > NO_TIE) & (state.purchases[s] == 0)
            interested &= state.trust[s] >= purchase.interest_threshold
            pool = rng.permutation(np.flatnonzero(interested))
            invite = np.concatenate([invite, pool[: plan.invites - len(invite)]])
        state.in_group[s, invite] = True
        state.engaged[s, invite] = True
        state.aware[s, invite] = True
    members = np.flatnonzero(state.in_group[s])
    if len(members) and plan.group_posts > 0:
        x = rng.binomial(plan.group_posts, state.group_activity[s] * state.activity[members])
        day.group_seen[s, members] += x
        day.touched[s, members] |= x > 0
        day.saw_posts[s, members] |= x > 0
        return int(x.sum())
    return 0
