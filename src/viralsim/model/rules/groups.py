"""社群: small groups of customers and interested friends, alive only with value content."""

from __future__ import annotations

import numpy as np

from viralsim._jit import below, binomial, kernel, seeded, stream
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
    ``state.engaged``, ``state.aware``, ``day.group_seen``, ``day.touched``, ``day.saw_posts``.
    """
    g = plan.strategy.groups
    s = plan.index
    if not g.enabled:
        return 0
    target = min(1.0, g.posts_per_day / g.sustain_posts_per_day)
    f = half_life_factor(g.half_life)
    state.group_activity[s] = target + (state.group_activity[s] - target) * f
    if plan.invites <= 0 and plan.group_posts <= 0:
        return 0
    return int(_run_groups_kernel(
        state.in_group, state.blocked, state.muted, state.is_consumer, state.purchases, state.tie,
        state.trust, state.activity, s, plan.invites, purchase.interest_threshold,
        plan.group_posts, state.group_activity[s], state.engaged, state.aware, day.group_seen,
        day.touched, day.saw_posts, stream(rng)))


@kernel
def _run_groups_kernel(in_group, blocked, muted, is_consumer, purchases, tie, trust, activity, s,
                       invites, interest_threshold, group_posts, group_activity, engaged, aware,
                       group_seen, touched, saw_posts, words):
    """One pass sorts consumers into members, free customers and free interested contacts; then
    invitations (customers first, uniform subsets) and the members' binomial reading."""
    rs = seeded(words)
    n = is_consumer.shape[0]
    members = np.empty(n, np.int64)
    customers = np.empty(n, np.int64)
    interested = np.empty(n, np.int64)
    n_members = n_customers = n_interested = 0
    for i in range(n):
        if in_group[s, i]:
            members[n_members] = i
            n_members += 1
        elif invites > 0 and is_consumer[i] and not blocked[s, i] and not muted[s, i]:
            if purchases[s, i] > 0:
                customers[n_customers] = i
                n_customers += 1
            elif tie[s, i] > NO_TIE and trust[s, i] >= interest_threshold:
                interested[n_interested] = i
                n_interested += 1
    left = invites
    for pool, m in ((customers, n_customers), (interested, n_interested)):
        for j in range(min(left, m)):
            r = j + below(m - j, rs)        # partial Fisher-Yates: a uniform subset is invited
            pool[j], pool[r] = pool[r], pool[j]
            i = pool[j]
            in_group[s, i] = True
            engaged[s, i] = True
            aware[s, i] = True
            members[n_members] = i          # invitees read today's posts too
            n_members += 1
        left -= min(left, m)
    read = 0
    if group_posts > 0:
        for j in range(n_members):
            i = members[j]
            x = binomial(group_posts, group_activity * activity[i], rs)
            if x > 0:
                group_seen[s, i] += x
                touched[s, i] = True
                saw_posts[s, i] = True
                read += x
    return read
