"""Tie dynamics: interaction and service strengthen ties, selling and hard pushes erode them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, powi, seller_streams, uniform
from viralsim.model.outputs import FLOW
from viralsim.model.relations import NO_TIE, STRANGER, STRONG, WEAK

STREAM = 15
_F_UP, _F_DOWN = FLOW.ties_strengthened, FLOW.ties_weakened


class Params(NamedTuple):
    on: bool                # some rate is positive
    g_talk: float           # g_i: per two-way interaction
    g_content: float        # g_c: per value or group post read
    f_strong: float         # factor on both gains, weak -> strong
    l_sale: float           # l_s: per purchase on the tie
    l_push: float           # l_p: per hard push
    prior: np.ndarray       # trust prior of each tie code (the new baseline)


def prepare(config) -> Params:
    t, tr = config.ties, config.trust
    on = (t.bond_per_interaction > 0 or t.bond_per_content > 0 or t.erode_per_sale > 0 or t.erode_per_push > 0)
    prior = np.array([tr.prior_stranger, tr.prior_stranger, tr.prior_weak, tr.prior_strong])
    return Params(bool(on), float(t.bond_per_interaction), float(t.bond_per_content), float(t.strong_bond_factor),
                  float(t.erode_per_sale), float(t.erode_per_push), prior)


@kernel
def move_ties(key, today, par, rel, buyer_rows, flows):
    """Today's interactions move contacts' ties up a step; today's sales and pushes move them down.

    For a contact (tie > none, not blocked) of seller s, with today's counts
        I = answered enquiry (0/1) + messages that answered her need       (two-way interaction)
        C = value posts read in the feed + posts read in the seller's groups  (one-way content)
        B = purchases from s today (0/1)                                     (a sale on the tie)
        P = ad and prize posts read + unsolicited messages                   (hard pushes)
    the daily chances of a step up and a step down are
        P_up   = 1 - (1 - f g_i)^I (1 - f g_c)^C      f = 1 for a stranger contact (to weak),
                                                      f = f_strong for a weak tie (to strong), 0 for strong
        P_down = 1 - (1 - l_s)^B (1 - l_p)^P          for a weak tie (to stranger contact) or a
                                                      strong one (to weak), 0 for a stranger contact
    Operators turn weak ties into strong ones by attracting, maintaining (quality content),
    screening and guiding (吸维筛引, seed 002 L337); FCCT's cultivate step strengthens weak ties
    through interaction (seed 002 L367); interaction makes strong relations (seed 003 L19), at a
    labour cost (seed 003 L303, L335, L339: the replies and groups the seller pays for). A
    transaction between friends makes the relation stiff, even estranged (seed 000 L455), and
    commercial intensity erodes ties (seed 000 L461, fact 6). A weak tie can drop to a stranger
    contact (陌生, "estranged", L455) but never below: losing the contact altogether is blocking
    (rules.ties). Rates are events-driven (a per-event chance, not a stock), so ties only move on
    days something happened between the two.

    One uniform u per contact with P_up + P_down > 0, in the seller's row order, from the rule's
    own stream: down if u < P_down, else up if u < P_down + (1 - P_down) P_up (both can happen
    only to a weak tie; a sale and an answered enquiry on one day leave her where she was more
    often than not). A tie that moves gets the new tie's trust prior as its baseline; trust keeps
    its value and relaxes toward the new baseline from tomorrow (rules.relax). Runs after mute and
    block: a consumer who blocked the seller today is gone, and today's block hazard used the tie
    the day's exposures met. Adds to the ``ties_strengthened`` and ``ties_weakened`` flows.
    """
    if not par.on:
        return
    m = rel.meta[0]
    n_s = flows.shape[1]
    bought = np.zeros(m, np.bool_)
    for j in range(buyer_rows.shape[0]):
        bought[buyer_rows[j]] = True
    streams = seller_streams(key, today, STREAM, n_s)
    g_i, g_c, l_s, l_p = par.g_talk, par.g_content, par.l_sale, par.l_push
    for r in range(m):              # (row order: each seller's rows in the order she met them)
        tie = rel.tie[r]
        if tie == NO_TIE or rel.blocked[r]:
            continue
        sol = rel.solicited[r]
        p_up = 0.0
        if tie != STRONG:
            f = 1.0 if tie == STRANGER else par.f_strong
            talks = np.int64(rel.replied[r]) + (np.int64(rel.messages[r]) if sol else 0)
            content = np.int64(rel.seen_value[r]) + np.int64(rel.group_seen[r])
            if talks > 0 or content > 0:
                p_up = 1.0 - powi(1.0 - f * g_i, talks) * powi(1.0 - f * g_c, content)
        p_down = 0.0
        if tie != STRANGER:
            pushes = np.int64(rel.seen_ad[r]) + np.int64(rel.seen_prize[r]) + (0 if sol else np.int64(rel.messages[r]))
            if pushes > 0 or bought[r]:
                p_down = 1.0 - powi(1.0 - l_s, np.int64(bought[r])) * powi(1.0 - l_p, pushes)
        if p_up <= 0.0 and p_down <= 0.0:
            continue
        s = rel.seller[r]
        u = uniform(streams[s])
        if u < p_down:
            tie = WEAK if tie == STRONG else STRANGER
            flows[_F_DOWN, s] += 1
        elif u < p_down + (1.0 - p_down) * p_up:
            tie = WEAK if tie == STRANGER else STRONG
            flows[_F_UP, s] += 1
        else:
            continue
        rel.tie[r] = tie
        rel.baseline[r] = par.prior[tie]
