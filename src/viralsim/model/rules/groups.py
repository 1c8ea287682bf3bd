"""社群: small groups of customers and interested friends, alive only with value content."""

from __future__ import annotations

import numpy as np

from viralsim._jit import below, binomial, kernel, seeded, stream, true_indices, uniform
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
    """Branch-free scans collect the members and, if there are invitations, the free customers
    and free interested contacts; then invitations (customers first, uniform subsets) and the
    members' binomial reading."""
    rs = seeded(words)
    n = is_consumer.shape[0]
    members = np.empty(n, np.int32)
    n_members = true_indices(in_group[s], members)
    left = invites
    if invites > 0:
        # A vectorised pass flags the free consumers who bought or are contacts (few, once the
        # owner has invited them); a branch-free scan collects them; a loop over those sorts
        # them into free customers and free interested contacts, in index order.
        group_s, blocked_s, muted_s, bought, tie_s = in_group[s], blocked[s], muted[s], purchases[s], tie[s]
        maybe = np.empty(n, np.bool_)
        for i in range(n):
            maybe[i] = (is_consumer[i] & ((group_s[i] | blocked_s[i] | muted_s[i]) == False)
                        & ((bought[i] > 0) | (tie_s[i] > NO_TIE)))
        found = np.empty(n, np.int32)
        n_found = true_indices(maybe, found)
        pools = np.empty((2, n_found), np.int32)
        sizes = np.zeros(2, np.int64)
        for j in range(n_found):
            i = found[j]
            if bought[i] > 0:
                pools[0, sizes[0]] = i
                sizes[0] += 1
            elif trust[s, i] >= interest_threshold:
                pools[1, sizes[1]] = i
                sizes[1] += 1
        for p in range(2):
            pool, m = pools[p], sizes[p]
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
    # Two copies of the reading loop on purpose: with both draws in one loop Numba inlines the
    # general binomial into it, and the common few-posts loop ran about 3x slower (measured).
    if 0 < group_posts <= _FEW:
        for j in range(n_members):
            i = members[j]
            x = _few_trials_binomial(group_posts, group_activity * activity[i], rs)
            if x > 0:
                group_seen[s, i] += x
                touched[s, i] = True
                saw_posts[s, i] = True
                read += x
    elif group_posts > _FEW:
        for j in range(n_members):
            i = members[j]
            x = binomial(group_posts, group_activity * activity[i], rs)
            if x > 0:
                group_seen[s, i] += x
                touched[s, i] = True
                saw_posts[s, i] = True
                read += x
    return read


#: group posts per day up to which the members' reading uses :func:`_few_trials_binomial`
_FEW = 16


@kernel
def _few_trials_binomial(n, p, s):
    """One Binomial(n, p) draw for a few trials (n <= 16) from one uniform, as
    :func:`viralsim._jit.binomial` draws it but cheaper: inversion from 0 with P(X = 0) = q^n by
    products (no exp, log or lgamma), counting the failures instead when p > 1/2 (members of a
    lively group read nearly every post: p is often close to 1), so q >= 1/2 and the walk is
    short. Exact, like the inversion in ``binomial``. (Kept apart from ``binomial``, whose
    inlined code would slow this loop down threefold.)"""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    u = uniform(s)
    flip = p > 0.5
    if flip:
        p = 1.0 - p                     # the number of posts not read is Binomial(n, 1 - p)
    q = 1.0 - p
    pk = q
    for _ in range(n - 1):
        pk *= q                         # P(0) = q^n
    x = 0
    if u > pk:
        ratio = p / q
        while u > pk and x < n:
            u -= pk
            pk *= ratio * (n - x) / (x + 1)
            x += 1
    return n - x if flip else x
