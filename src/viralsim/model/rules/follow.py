"""Following (关注/加好友): buyers, referred friends and group members add the seller as a contact."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, uniform
from viralsim.model.outputs import BREAKDOWN, FLOW
from viralsim.model.relations import NO_TIE, STRANGER
from viralsim.model.rules._util import trust_gate

STREAM = 14
#: the moments a consumer may follow, the columns of the ``new_followers_by_channel`` breakdown
PURCHASE, REFERRAL, GROUP = 0, 1, 2
_F_NEW, _B_NEW = FLOW.new_followers, BREAKDOWN.new_followers_by_channel


class Params(NamedTuple):
    on: bool                # some probability is positive
    purchase: float         # f_buy
    referral: float         # f_ref
    group: float            # f_group
    gated: bool
    steepness: float
    half_h: float


def prepare(config) -> Params:
    f, p, t = config.follow, config.purchase, config.trust
    h = p.trust_steepness
    return Params(bool(f.after_purchase > 0 or f.after_referral > 0 or f.in_group > 0), float(f.after_purchase),
                  float(f.after_referral), float(f.in_group), bool(t.enabled and p.trust_gating), float(h),
                  float(p.trust_half ** h))


@kernel
def contact_room(rel, n_sellers, max_contacts):
    """Per seller, the contacts she can still gain: ``max_contacts`` minus her contacts (tie > 0,
    not blocked), at least 0 (WeChat's 5,000 friends, as for strangers: rules.contacts)."""
    room = np.full(n_sellers, max_contacts, np.int64)
    tie, blocked, seller = rel.tie, rel.blocked, rel.seller
    for r in range(rel.meta[0]):
        if tie[r] > NO_TIE and not blocked[r]:
            room[seller[r]] -= 1
    for s in range(n_sellers):
        room[s] = max(room[s], 0)
    return room


@kernel
def follow_seller(s, rows, ok, f, channel, par, rel, room, rs, flows, breakdowns):
    """Consumers ``rows`` without a tie to seller ``s`` may add her as a contact.

    Each row with ``ok`` true whose consumer has no tie (so has not blocked her either) follows
    with probability

        P(follow) = f x G_T(T)        G_T(T) = T^h / (T^h + T_half^h)   (the purchase gate)

    with f = ``follow.after_purchase`` (a satisfied buyer, after her purchase: ``ok`` is the
    satisfaction), ``follow.after_referral`` (per recommendation received) or ``follow.in_group``
    (on joining the seller's group), and T her trust at that moment. Buyers and referred users
    follow the seller (seed 000 L161-183: prize-for-follow, recommending the account, snowball
    fans; seed 002 L277), service turns non-followers into fans (seed 001 L34) and post-purchase
    communities turn customers into fans (seed 002 L369); the trust gate: follows need trust as
    purchases do (seed 001 L34, seed 004 L17). Without trust gating G_T = 1.

    A follower gets the stranger tie: a contact without a friendship, the tie a seller's own
    adds get (rules.contacts); her trust keeps its value and keeps relaxing to the stranger
    prior, which a consumer without a tie already had. From then on she sees the seller's
    Moments, may get her messages, be invited to her groups as a contact, count as a follower,
    and mute or block her. No seller holds more than ``max_contacts`` contacts: ``room[s]`` is
    what she can still gain, and is used up here. One uniform draw per candidate, in the order
    of ``rows``; nothing is drawn when f is 0. Returns the number of new followers (added to
    the ``new_followers`` flow and to its ``channel`` column of the breakdown).
    """
    if f <= 0.0:
        return 0
    added = 0
    for j in range(rows.shape[0]):
        if room[s] <= 0:
            break
        r = rows[j]
        if not ok[j] or rel.tie[r] != NO_TIE:
            continue
        p = f * trust_gate(rel.trust[r], par.steepness, par.half_h) if par.gated else f
        if uniform(rs) < p:
            rel.tie[r] = STRANGER
            rel.aware[r] = True
            room[s] -= 1
            added += 1
    flows[_F_NEW, s] += added
    breakdowns[s, _B_NEW + channel] += added
    return added
