"""Seller-initiated contact: adding strangers, direct messages, answering enquiries."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import below, kernel, seller_streams, uniform
from viralsim.model.relations import NO_TIE, STRANGER, add_row, find_row, grown, reserve, seller_groups, viewed
from viralsim.model.rules._util import shuffle_prefix, trust_gate

STREAM_STRANGERS = 4
STREAM_MESSAGES = 5
STREAM_ENQUIRIES = 6


class Params(NamedTuple):
    enquiry_prob: float
    gated: bool
    steepness: float
    half_h: float
    trust_on: bool
    gain_reply: float
    loss_unanswered: float


def prepare(config) -> Params:
    p, t = config.purchase, config.trust
    h = p.trust_steepness
    return Params(float(p.enquiry_prob), bool(t.enabled and p.trust_gating), float(h), float(p.trust_half ** h),
                  bool(t.enabled), float(t.gain_reply), float(t.loss_unanswered))


@kernel
def add_strangers(key, today, people, sellers, plans, rel, flows_row, max_contacts):
    """Each seller adds ``plans.strangers`` random non-contacts as stranger contacts (海量添加好友),
    up to ``max_contacts`` contacts (not counting those who blocked her; WeChat's 5,000 friends).

    New contacts get the stranger tie: their trust baseline is the stranger prior (seed 000
    L113: friends are trusted far more than strangers) and they now see the seller's Moments.
    Mass adding inflates followers without buyers (seed 000 L137, L245). Candidates are drawn by
    rejection sampling (up to 20 rounds), so the cost does not grow with the population; the
    first k distinct eligible draws are a uniform k-subset of the eligible consumers. When the
    eligible consumers are too few for rejection sampling (a seller who has added nearly
    everyone), the rest are drawn from a scan of the population (partial Fisher-Yates), so a
    seller always adds min(k, eligible) people, as the rule says: given the draws so far, the
    rest is again a uniform subset of the remaining eligible consumers.
    Returns the table (grown if needed); ``flows_row[s]`` gets the number added.
    """
    n_s = sellers.node.shape[0]
    n = people.is_consumer.shape[0]
    streams = seller_streams(key, today, STREAM_STRANGERS, n_s)
    contacts = np.zeros(n_s, np.int64)
    if plans.strangers.max() > 0:
        tie, blocked, seller = rel.tie, rel.blocked, rel.seller
        for r in range(rel.meta[0]):
            contacts[seller[r]] += tie[r] > NO_TIE and not blocked[r]
    wanted = np.zeros(n_s, np.int64)
    for s in range(n_s):
        wanted[s] = max(0, min(plans.strangers[s], max_contacts - contacts[s]))
    rel = reserve(rel, wanted.sum())        # (once: see rules._util.most_reached)
    for s in range(n_s):
        k = wanted[s]
        flows_row[s] = 0
        if k <= 0:
            continue
        rs = streams[s]
        added = 0
        for _ in range(20):
            for _ in range(2 * (k - added) + 8):
                i = below(n, rs)
                if not people.is_consumer[i] or i == sellers.node[s]:
                    continue
                r = find_row(rel.index, rel.meta, s, i)
                if r >= 0 and rel.tie[r] != NO_TIE:
                    continue
                r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, i)
                rel.tie[r] = STRANGER
                rel.aware[r] = True
                added += 1
                if added == k:
                    break
            if added == k:
                break
        if added < k:
            # (rare: O(population), only once nearly every consumer has a tie to the seller)
            pool = np.empty(n, np.int64)
            m = 0
            for i in range(n):
                if people.is_consumer[i] and i != sellers.node[s]:
                    r = find_row(rel.index, rel.meta, s, i)
                    if r < 0 or rel.tie[r] == NO_TIE:
                        pool[m] = i
                        m += 1
            take = min(k - added, m)
            shuffle_prefix(pool, m, take, rs)
            for j in range(take):
                r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, pool[j])
                rel.tie[r] = STRANGER
                rel.aware[r] = True
            added += take
        flows_row[s] = added
    return rel


@kernel
def send_messages(key, today, people, sellers, plans, rel, flows_row):
    """Direct sales messages to contacts: to anyone (push) or only to those with a need.

    Push-to-all treats the contact list as a broadcast list (seed 001 L23, L54); need-triggered
    contact answers a need the consumer has shown (seed 001 L23, L30; seed 003 L187). Messages
    arrive even when the Moments are muted (muting hides posts, not chats). Need-triggered
    messages are marked ``solicited``: they annoy less (rules.annoyance). The k recipients are
    a uniform subset of the pool (partial Fisher-Yates).
    """
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM_MESSAGES, n_s)
    seg, rows = rel.seller_seg, rel.seller_pool
    pool = np.empty(0, np.int64)
    for s in range(n_s):
        k = plans.messages[s]
        if k <= 0:
            continue
        need_triggered = sellers.need_triggered[s]
        if pool.shape[0] < seg[1, s]:
            pool = np.empty(seg[1, s], np.int64)
        m = 0
        for j in range(seg[0, s], seg[0, s] + seg[1, s]):
            r = rows[j]
            if rel.tie[r] > NO_TIE and not rel.blocked[r] and (people.need[rel.node[r]] or not need_triggered):
                pool[m] = r
                m += 1
        k = min(k, m)
        shuffle_prefix(pool, m, k, streams[s])
        for j in range(k):
            r = pool[j]
            rel.messages[r] += 1
            rel.solicited[r] = need_triggered
            rel.touched[r] = True
            rel.aware[r] = True
        flows_row[s] = k


@kernel
def _ask(par, people, rel, streams, asked, k, start):
    """The enquiry draws of rows ``start`` .. of the viewed table, the askers' rows added to
    ``asked[k:]`` until it is full. Returns (askers in ``asked``, the first row not drawn for).
    (A loop of its own, apart from the buffer's growth: the same loop with the buffer replaced
    inside it took 28 ms a day at day 150 of the 1,000-seller market, with the draws made
    unreachable, against 8 ms for this whole rule.)"""
    saw_posts, solicited, blocked, node, need = rel.saw_posts, rel.solicited, rel.blocked, rel.node, people.need
    m = viewed(rel)
    for j in range(m - start):
        r = np.uint64(start + j)        # (unsigned: no wraparound test per load, stocks.stock_table)
        # (the row's own flags first: most rows fail them, and the need is a second, dependent
        # random load)
        if (saw_posts[r] or solicited[r]) and not blocked[r] and need[node[r]]:
            p = par.enquiry_prob
            if par.gated:
                p *= trust_gate(rel.trust[r], par.steepness, par.half_h)
            if uniform(streams[rel.seller[r]]) < p:
                asked[k] = r
                k += 1
                if k == asked.shape[0]:
                    return k, start + j + 1
    return k, m


@kernel
def answer_enquiries(key, today, par, people, sellers, plans, rel, asked_row, answered_row):
    """Consumers with a need who saw the seller's content today ask; the seller answers some.

    P(enquire) = enquiry_prob x G_T(T) (trust gates engagement, seed 004 L17; G_T as for
    purchases, rules.purchase). The seller answers up to her capacity of the day, a uniform
    subset of the askers (seed 001 L32: one-to-one replies; seed 002 L283: service that cannot
    keep up). Answered: T + g_reply (1 - T), and the answer is a strong purchase stimulus (seed
    001 L30). Unanswered: T (1 - l_unanswered). An unsolicited pitch is mostly discarded unread
    (seed 001 L24) and a personal-life post is not about the product, so neither prompts a
    question; product posts, group posts and a solicited message do.
    """
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM_ENQUIRIES, n_s)
    # The askers, in one pass over the table in row order: a seller's rows come in the order of
    # her by-seller view (rows in the order they were made), the order her stream meets them,
    # and the columns are read in sequence (a pass seller by seller through her view read them
    # at random: 12.4 ms a day at day 150 of the 1,000-seller market, against 7.8 ms).
    asked = np.empty(1024, np.int64)
    k, r = 0, 0
    while True:
        k, r = _ask(par, people, rel, streams, asked, k, r)
        if r == viewed(rel):
            break
        asked = grown(asked, 2 * k)
    ptr, order = seller_groups(rel, asked, k, n_s)        # (stable: each seller's askers in row order)
    grouped = asked[order]
    for s in range(n_s):
        m = ptr[s + 1] - ptr[s]
        asking = grouped[ptr[s]:ptr[s + 1]]
        answered = min(plans.capacity[s], m)
        shuffle_prefix(asking, m, answered, streams[s])
        for j in range(answered):
            rel.replied[asking[j]] = True
        if par.trust_on:
            for j in range(answered):
                r = asking[j]
                rel.trust[r] = 1.0 - (1.0 - rel.trust[r]) * (1.0 - par.gain_reply)
            for j in range(answered, m):
                r = asking[j]
                rel.trust[r] = rel.trust[r] * (1.0 - par.loss_unanswered)
        asked_row[s] = m
        answered_row[s] = answered
