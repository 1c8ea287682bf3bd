"""The day: the only place the order of the rules is written (docs/model.md, "Process overview").

:func:`run_day` is one compiled call; each line below is one mechanism, whose equation, source
and code live in its own module of ``viralsim.model.rules``. Every rule draws from its own
stream per seller (``viralsim._jit.rule_stream``), seeded by the run's key, the day, the rule
and the seller (need arrivals and the purchase decision from the market's stream, seller -1;
the feed's reads from a counter per consumer), so the order of the lines fixes the model but
not the random numbers.

Order:
   1 plan          sellers draw today's integer actions from their strategies; big-Vs' brands devalue
                   with their commercial posts
   2 needs         needs arrive and lapse
   3 relax         trust relaxes, annoyance, ad memory and referral pull decay
   4 strangers     sellers add strangers as contacts
   5 kol seeding   KOL campaigns pick their seeds, big-Vs gather their audiences (first day only)
   6 feed          posts reach feeds; each consumer reads a limited number
   7 fold warning  opening a folded block shows the platform's warning
   8 messages      direct messages
   9 groups        group invitations, activity and posts; new members may follow the seller
  10 impulses      pushed days are counted (novelty, face); ads create wants for today
  11 content trust value content raises trust
  12 enquiries     consumers ask, sellers answer
  13 purchases     each consumer buys from at most one seller; decisions toward group-buy sellers open
                   group-buys, whose members invite their friends; filled groups sell, expired ones fail
  14 annoyance     exposures annoy, annoyance erodes trust, ad memory grows; consumers tire of the
                   pushes they read (ad fatigue)
  15 settlement    money, satisfaction, broken ties, cascades, resellers (the reseller who sold, her
                   uplines' commission, stock); satisfied buyers may follow the seller; then
                   recommendations (plain buyers, group members, KOL seeds), after which referred
                   consumers may follow her, and warnings by dissatisfied buyers; then resellers
                   whose stock has not moved for too long quit, loaded, and warn friends
  16 mute/block    annoyed contacts mute or block, blockers warn friends
  17 forward       consumers forward the posts they read today to their friends' feeds (read tomorrow)
  18 ties          the day's interactions strengthen contacts' ties, sales and pushes erode them
  19 activity      platform activity follows the feed's commercial share
  20 record        reach, action costs and end-of-day stocks
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, seller_streams, uniform
from viralsim.model import relations
from viralsim.model.outputs import BREAKDOWN, FLOW, STOCK
from viralsim.model.relations import find_row
from viralsim.model.rules import (
    annoyance,
    bigv,
    bonds,
    contacts,
    feed,
    follow,
    forward,
    needs,
    purchase,
    relax,
    resell,
    settle,
    ties,
    trust,
    wom,
)
from viralsim.model.rules.annoyance import add_annoyance
from viralsim.model.rules.bigv import devalue, gather_audience
from viralsim.model.rules.bonds import move_ties
from viralsim.model.rules.contacts import add_strangers, answer_enquiries, send_messages
from viralsim.model.rules.face import count_pushes
from viralsim.model.rules.feed import deliver_posts, update_activity
from viralsim.model.rules.follow import GROUP, PURCHASE, REFERRAL, contact_room, follow_seller
from viralsim.model.rules.forward import forward_posts
from viralsim.model.rules.groupbuy import run_group_buys
from viralsim.model.rules.groups import run_groups
from viralsim.model.rules.needs import arrive_needs, impulse_needs
from viralsim.model.rules.plan import plan_day
from viralsim.model.rules.purchase import make_purchases
from viralsim.model.rules.relax import relax as relax_stocks
from viralsim.model.rules.resell import unload
from viralsim.model.rules.settle import settle as settle_purchases
from viralsim.model.rules.ties import mute_and_block, tire
from viralsim.model.rules.trust import gain_from_content, platform_warning, purchase_outcome
from viralsim.model.rules.wom import recommend, seed_kols, warn
from viralsim.model.stocks import stock_table


class Params(NamedTuple):
    """Every rule's run constants (each rule's ``prepare(config)``)."""

    needs: needs.Params
    relax: relax.Params
    contacts: contacts.Params
    feed: feed.Params
    trust: trust.Params
    purchase: purchase.Params
    annoyance: annoyance.Params
    wom: wom.Params
    ties: ties.Params
    interest_threshold: float
    max_contacts: int
    follow: follow.Params
    bonds: bonds.Params
    settle: settle.Params
    forward: forward.Params


def prepare(config) -> Params:
    """The run constants of every rule, from a validated config."""
    return Params(needs.prepare(config), relax.prepare(config), contacts.prepare(config), feed.prepare(config),
                  trust.prepare(config), purchase.prepare(config), annoyance.prepare(config), wom.prepare(config),
                  ties.prepare(config), float(config.purchase.interest_threshold), int(config.platform.max_contacts),
                  follow.prepare(config), bonds.prepare(config), settle.prepare(config),
                  forward.prepare(config))


_F = FLOW
_B_WOM_SENT = BREAKDOWN.wom_sent_by_tie
_STREAM_WOM, _STREAM_SETTLE, _STREAM_TIES, _STREAM_KOL = wom.STREAM, settle.STREAM, 13, wom.STREAM_KOL
_STREAM_FOLLOW = follow.STREAM
_STREAM_RUPTURE = settle.STREAM_RUPTURE
_STREAM_RESELL = resell.STREAM
_STREAM_BIGV = bigv.STREAM


@kernel
def run_day(key, today, draw_plans, trace, par, graph, people, sellers, plans, rel, degree_order, flows, breakdowns,
            stocks, group_buys):
    """One day of the market (the order above). Returns (table, cascade links of the day).

    ``draw_plans`` False keeps the sellers' actions given in ``plans`` (verification).
    """
    n_s = sellers.node.shape[0]
    n = people.need.shape[0]
    relations.clear_day(rel)
    plan_day(key, today, sellers, plans, draw_plans)                                           # 1
    devalue(sellers, plans)
    for s in range(n_s):
        flows[_F.posts, s] = plans.posts[s].sum()
        flows[_F.posts_folded, s] = plans.folded[s].sum()
    arrive_needs(key, today, par.needs, people)                                      # 2
    relax_stocks(par.relax, rel)                                                     # 3
    rel = add_strangers(key, today, people, sellers, plans, rel, flows[_F.strangers_added],   # 4
                        par.max_contacts)
    kol_streams = seller_streams(key, today, _STREAM_KOL, n_s)
    kol_ptr = np.zeros(n_s + 1, np.int64)
    kol_nodes = np.empty(0, np.int64)
    if today == 0:                                                                   # 5
        for s in range(n_s):
            k = sellers.kol_seeds[s]
            rel, seeds = seed_kols(s, sellers.node[s], k, degree_order, people.degree, rel, kol_streams[s])
            kol_nodes = np.concatenate((kol_nodes, seeds))
            kol_ptr[s + 1] = kol_nodes.shape[0]
        if sellers.bv_on.any():
            bv_streams = seller_streams(key, today, _STREAM_BIGV, n_s)
            for s in range(n_s):
                if sellers.bv_on[s]:
                    rel, _ = gather_audience(s, graph, people, sellers, rel, par.max_contacts, bv_streams[s])
    rel = relations.with_views(rel)      # (no relation is made between here and the purchases)
    totals = np.zeros((n_s, 6))
    deliver_posts(key, today, par.feed, people, sellers, plans, rel, totals, breakdowns)   # 6
    platform_warning(par.trust, rel)                                                 # 7
    send_messages(key, today, people, sellers, plans, rel, flows[_F.messages_sent])  # 8
    group_read, joined_ptr, joined = run_groups(key, today, par.interest_threshold, people, sellers, plans, rel)  # 9
    # (no contact is made or lost from here to the end of step 15 but by following and by ties
    # broken in settlement, which only leave more room than ``room`` counts)
    room = contact_room(rel, n_s, par.max_contacts) if par.follow.on else np.zeros(n_s, np.int64)
    follow_streams = seller_streams(key, today, _STREAM_FOLLOW, n_s)
    for s in range(n_s):
        if joined_ptr[s + 1] > joined_ptr[s] and par.follow.group > 0:
            members = joined[joined_ptr[s]:joined_ptr[s + 1]]
            follow_seller(s, members, np.ones(members.shape[0], np.bool_), par.follow.group, GROUP, par.follow, rel,
                          room, follow_streams[s], flows, breakdowns)
    count_pushes(people, rel)                                                             # 10
    impulse_needs(key, today, par.needs, people, rel)
    gain_from_content(par.trust, rel)                                                # 11
    answer_enquiries(key, today, par.contacts, people, sellers, plans, rel,          # 12
                     flows[_F.enquiries], flows[_F.replies])
    buyer_rows = np.empty(n, np.int64)
    buyer_channels = np.empty(n, np.int64)
    group_buying = group_buys.count[0] > 0 or sellers.gb_on.any()
    need0 = people.need.copy() if group_buying else people.need     # (before the decisions: rules.groupbuy)
    sated0 = people.sated.copy() if group_buying else people.sated
    k = make_purchases(key, today, par.purchase, people, sellers, rel, buyer_rows, buyer_channels)   # 13
    if group_buying:
        rel, k = run_group_buys(key, today, par.purchase, graph, people, sellers, rel, group_buys, buyer_rows,
                                buyer_channels, k, need0, sated0, flows)
    add_annoyance(par.annoyance, people, rel)                                        # 14
    tire(par.ties, people, rel)                                                      #    ad fatigue
    # 15 settlement and word of mouth, seller by seller (the decision's buyers in consumer order,
    # then the members of filled group-buys, group by group)
    ptr, order = relations.seller_groups(rel, buyer_rows, k, n_s)
    settle_streams = seller_streams(key, today, _STREAM_SETTLE, n_s)
    rupture_streams = seller_streams(key, today, _STREAM_RUPTURE, n_s)
    wom_streams = seller_streams(key, today, _STREAM_WOM, n_s)
    resell_streams = seller_streams(key, today, _STREAM_RESELL, n_s)
    links = np.empty((4, k if trace else 0), np.int64)
    n_links = 0
    for s in range(n_s):
        m = ptr[s + 1] - ptr[s]
        if m == 0 and kol_ptr[s + 1] == kol_ptr[s]:
            continue                    # (no buyer and no KOL seed of hers today: nothing to settle or tell)
        rows = np.empty(m, np.int64)
        channels = np.empty(m, np.int64)
        for j in range(m):
            rows[j] = buyer_rows[order[ptr[s] + j]]
            channels[j] = buyer_channels[order[ptr[s] + j]]
        satisfied = np.zeros(m, np.bool_)
        if m > 0:
            rel, links, n_links = settle_purchases(
                s, rows, channels, satisfied, par.trust, par.settle, today, graph, people, sellers, rel,
                settle_streams[s], rupture_streams[s], resell_streams[s], flows, breakdowns,
                links if trace else np.empty((4, m), np.int64), n_links if trace else 0)
            if not trace:
                links, n_links = np.empty((4, 0), np.int64), 0
        follow_seller(s, rows, satisfied, par.follow.purchase, PURCHASE, par.follow, rel, room, follow_streams[s],
                      flows, breakdowns)
        rel = word_of_mouth(s, rows, satisfied, kol_nodes[kol_ptr[s]:kol_ptr[s + 1]], par, graph, people,
                            sellers, rel, wom_streams[s], kol_streams[s], flows, breakdowns, room, follow_streams[s])
    rel = unload(key, today, par.trust, par.wom, graph, people, sellers, rel, flows)   # loaded resellers quit
    # 16 mute and block, then warnings by blockers, seller by seller (each from her stream, after
    # her mute and block draws; a warning changes none of what muting and blocking read)
    tie_streams = seller_streams(key, today, _STREAM_TIES, n_s)
    nb, blockers = mute_and_block(par.ties, people, rel, tie_streams, np.empty(64, np.int64))
    if nb > 0:
        ptr, order = relations.seller_groups(rel, blockers, nb, n_s)
        for s in range(n_s):
            if ptr[s + 1] > ptr[s]:
                nodes = np.empty(ptr[s + 1] - ptr[s], np.int64)
                for j in range(nodes.shape[0]):
                    nodes[j] = rel.node[blockers[order[ptr[s] + j]]]
                rel, sent = warn(s, sellers.node[s], nodes, par.wom.block_warn_prob, par.wom, graph, people, rel,
                                 tie_streams[s])
                flows[_F.wom_negative, s] += sent
    rel = forward_posts(key, today, par.forward, par.purchase, graph, people, sellers, rel, flows)  # 17
    move_ties(key, today, par.bonds, rel, buyer_rows[:k], flows)                     # 18
    update_activity(par.feed, people)                                                # 19
    record(sellers, rel, totals, group_read, flows, par.interest_threshold, stocks)  # 20
    return rel, links[:, :n_links]


#: the columns of :func:`run_days`' ``market`` rows: sums over people at the end of each day
MARKET_SUMS = ("activity", "commercial_share", "needs")


@kernel
def run_days(key, first_day, n_days, draw_plans, trace, par, graph, people, sellers, plans, rel, degree_order,
             flows, breakdowns, stocks, market, group_buys):
    """Days ``first_day`` .. ``first_day + n_days - 1`` in one compiled call: :func:`run_day`
    for each, with day d's flows, breakdowns and stocks in ``flows[d]``, ``breakdowns[d]``,
    ``stocks[d]`` and the people's end-of-day sums (``MARKET_SUMS``) in ``market[d]``.

    The only way days are run (one day is ``n_days = 1``): a call takes the run's state as
    arguments, dozens of arrays that the compiled code type-checks on entry, which at 10,000
    people costs a third of a day's work. Batch runs make one call for many days. Returns
    (table, cascade links of the days)."""
    links = np.empty((4, 0), np.int64)
    for d in range(n_days):
        rel, day_links = run_day(key, first_day + d, draw_plans, trace, par, graph, people, sellers, plans, rel,
                                 degree_order, flows[d], breakdowns[d], stocks[d], group_buys)
        if day_links.shape[1] > 0:
            links = np.concatenate((links, day_links), axis=1)
        activity = 0.0
        share = 0.0
        needs = 0
        for i in range(people.need.shape[0]):
            activity += people.activity[i]
            share += people.commercial_share[i]
            needs += people.need[i]
        market[d, 0] = activity
        market[d, 1] = share
        market[d, 2] = needs
    return rel, links


@kernel
def word_of_mouth(s, rows, satisfied, kol_seeds, par, graph, people, sellers, rel, rs, kol_rs, flows,
                  breakdowns, room, follow_rs):
    """Recommendations by satisfied buyers (group members with the advocacy factor) and by the
    seller's KOL seeds on their first day, following by the consumers they reached
    (rules.follow), warnings by dissatisfied buyers (rules.wom)."""
    m = rows.shape[0]
    plain = np.empty(m, np.int64)
    fans = np.empty(m, np.int64)
    unhappy = np.empty(m, np.int64)
    n_plain = n_fans = n_unhappy = 0
    for j in range(m):
        i = rel.node[rows[j]]
        if not satisfied[j]:
            unhappy[n_unhappy] = i
            n_unhappy += 1
        elif rel.in_group[rows[j]]:
            fans[n_fans] = i
            n_fans += 1
        else:
            plain[n_plain] = i
            n_plain += 1
    own = sellers.node[s]
    rel, n_strong, n_weak, told = recommend(s, own, plain[:n_plain], sellers.p_rec[s], par.wom, graph, people, rel,
                                            rs)
    rel, fs, fw, told_fans = recommend(s, sellers.node[s], fans[:n_fans], sellers.p_fan[s], par.wom, graph, people,
                                       rel, rs)
    if told_fans.shape[0] > 0:
        told = np.concatenate((told, told_fans))
    n_strong += fs
    n_weak += fw
    if kol_seeds.shape[0] > 0:
        # The seeds were given the product: their trust moves as after a purchase (judged against
        # the promise alone, as nothing was paid: rules.settle), and the happy ones tell each
        # friend with probability kol_reach.
        happy = np.empty(kol_seeds.shape[0], np.int64)
        n_happy = 0
        for v in kol_seeds:
            good = uniform(kol_rs) < sellers.quality[s] - sellers.hype[s]
            r = find_row(rel.index, rel.meta, s, v)
            rel.trust[r] = purchase_outcome(par.trust, rel.trust[r], good)
            if good:
                happy[n_happy] = v
                n_happy += 1
        rel, ks, kw, told_kol = recommend(s, own, happy[:n_happy], sellers.kol_reach[s], par.wom, graph, people, rel,
                                          kol_rs)
        if told_kol.shape[0] > 0:
            told = np.concatenate((told, told_kol))
        n_strong += ks
        n_weak += kw
        flows[_F.cost, s] += kol_seeds.shape[0] * (sellers.cost_kol[s] + sellers.unit_cost[s])
    breakdowns[s, _B_WOM_SENT] += n_weak
    breakdowns[s, _B_WOM_SENT + 1] += n_strong
    flows[_F.wom_positive, s] += n_strong + n_weak
    if told.shape[0] > 0 and par.follow.referral > 0:
        follow_seller(s, told, np.ones(told.shape[0], np.bool_), par.follow.referral, REFERRAL, par.follow, rel,
                      room, follow_rs, flows, breakdowns)
    rel, sent = warn(s, sellers.node[s], unhappy[:n_unhappy], par.wom.warn_prob, par.wom, graph, people, rel, rs)
    flows[_F.wom_negative, s] += sent
    return rel


@kernel
def record(sellers, rel, totals, group_read, flows, threshold, stocks):
    """The day's exposures, reach and action costs per seller, and the end-of-day stocks."""
    n_s = sellers.node.shape[0]
    reach = stock_table(rel, n_s, threshold, sellers.brand, stocks)    # (one pass over the relations)
    for s in range(n_s):
        flows[_F.exposures_ad, s] = totals[s, 0]
        flows[_F.exposures_value, s] = totals[s, 1] + group_read[s]
        flows[_F.exposures_life, s] = totals[s, 2]
        flows[_F.exposures_prize, s] = totals[s, 3]
        flows[_F.exposures_reseller, s] = totals[s, 4]
        flows[_F.forwards_read, s] = totals[s, 5]
        flows[_F.reach, s] = reach[s]
        members = stocks[s, STOCK.group_members]
        n_groups = np.ceil(members / sellers.group_size[s]) if sellers.groups_on[s] else 0.0
        flows[_F.cost, s] += (flows[_F.posts, s] * sellers.cost_post[s]
                              + flows[_F.messages_sent, s] * sellers.cost_message[s]
                              + flows[_F.strangers_added, s] * sellers.cost_stranger[s]
                              + flows[_F.replies, s] * sellers.cost_reply[s]
                              + n_groups * sellers.cost_group_day[s])
