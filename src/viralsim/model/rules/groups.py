"""社群: small groups of customers and interested friends, alive only with value content."""

from __future__ import annotations

import numpy as np

from viralsim._jit import binomial, kernel, seller_streams, uniform
from viralsim.model.relations import NO_TIE
from viralsim.model.rules._util import half_life_factor, shuffle_prefix

STREAM = 8


def activity_target(groups) -> tuple[float, float]:
    """(a*, f): the level group activity moves toward, min(1, posts / sustain), and its daily
    factor 2^(-1/h); (0, 0) for a seller without groups."""
    if not groups.enabled:
        return 0.0, 0.0
    return min(1.0, groups.posts_per_day / groups.sustain_posts_per_day), half_life_factor(groups.half_life)
#: group posts per day up to which the members' reading uses :func:`_few_trials_binomial`
_FEW = 16


@kernel
def run_groups(key, today, interest_threshold, people, sellers, plans, rel):
    """Let group activity decay or be refreshed, invite members, deliver group value posts.

    Activity a in [0, 1]: a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = min(1, posts / sustain);
    groups start hot and die unless the owner keeps delivering value (seed 002 L371).
    Invitations go first to customers (post-purchase communities, seed 002 L369), then to
    contacts whose trust reached the interest threshold, each a uniform subset; muted or blocked
    consumers are never invited (they left). Each member reads X ~ Binomial(group posts, a x
    activity) value posts. Returns the group posts read per seller and the day's invitees:
    seller s's new members are the relation rows ``joined[joined_ptr[s]:joined_ptr[s + 1]]``, in
    the order they were invited (who of them follows the seller: rules.follow).
    """
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM, n_s)
    seg, rows = rel.seller_seg, rel.seller_pool
    read = np.zeros(n_s)
    joined_ptr = np.zeros(n_s + 1, np.int64)
    joined = np.empty(max(plans.invites.sum(), 0), np.int64)
    n_joined = 0
    members = np.empty(0, np.int64)
    pools = np.empty((2, 0), np.int64)
    for s in range(n_s):
        joined_ptr[s] = n_joined
        if not sellers.groups_on[s]:
            continue
        target = sellers.group_target[s]
        a = target + (sellers.group_activity[s] - target) * sellers.group_factor[s]
        sellers.group_activity[s] = a
        invites, group_posts = plans.invites[s], plans.group_posts[s]
        if invites <= 0 and group_posts <= 0:
            continue
        rs = streams[s]
        size = seg[1, s]
        if members.shape[0] < size:
            members = np.empty(size, np.int64)
            pools = np.empty((2, size), np.int64)
        n_members = 0
        sizes = np.zeros(2, np.int64)
        for j in range(seg[0, s], seg[0, s] + seg[1, s]):
            r = rows[j]
            if rel.in_group[r]:
                members[n_members] = r
                n_members += 1
            elif invites > 0 and not rel.blocked[r] and not rel.muted[r] and people.is_consumer[rel.node[r]]:
                if rel.purchases[r] > 0:
                    pools[0, sizes[0]] = r
                    sizes[0] += 1
                elif rel.tie[r] > NO_TIE and rel.trust[r] >= interest_threshold:
                    pools[1, sizes[1]] = r
                    sizes[1] += 1
        left = invites
        for p in range(2):
            k = min(left, sizes[p])
            shuffle_prefix(pools[p], sizes[p], k, rs)
            for j in range(k):
                r = pools[p, j]
                rel.in_group[r] = True
                rel.engaged[r] = True
                rel.aware[r] = True
                members[n_members] = r          # invitees read today's posts too
                n_members += 1
                joined[n_joined] = r
                n_joined += 1
            left -= k
        if group_posts <= 0:
            continue
        for j in range(n_members):
            r = members[j]
            p = a * people.activity[rel.node[r]]
            x = _few_trials_binomial(group_posts, p, rs) if group_posts <= _FEW else binomial(group_posts, p, rs)
            if x > 0:
                rel.group_seen[r] += x
                rel.touched[r] = True
                rel.saw_posts[r] = True
                read[s] += x
    joined_ptr[n_s] = n_joined
    return read, joined_ptr, joined[:n_joined]


@kernel
def _few_trials_binomial(n, p, s):
    """One Binomial(n, p) draw for a few trials (n <= 16) from one uniform: inversion from 0 with
    P(X = 0) = q^n by products (no exp, log or lgamma), counting the failures instead when
    p > 1/2 (members of a lively group read nearly every post), so the walk is short. Exact."""
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
