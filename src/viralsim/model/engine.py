"""Initial state and the daily pipeline: the only place the order of the rules is written.

No Mesa here: ``mesa_model.ViralModel`` wraps these functions, and tests or a future engine can
call them directly. One call of :func:`step` is one day (docs/model.md, "Process overview").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from viralsim.config.schema import RunConfig, SellerSpec, Strategy
from viralsim.model.plan import DayPlan
from viralsim.model.rules import annoyance, contacts, feed, groups, needs, purchase, relax, settle, ties, trust, wom
from viralsim.model.state import CHANNELS, NO_TIE, REFERRAL, STRONG, WEAK, Day, State
from viralsim.network import Topology

#: per-seller flows counted by :func:`step` (stocks are read off the state by metrics)
FLOW_KEYS = (
    "posts", "exposures_ad", "exposures_value", "exposures_life", "exposures_prize",
    "exposures_reseller", "messages_sent", "reach", "purchases", "purchases_wom", "revenue", "cost",
    "wom_positive", "wom_negative", "enquiries", "replies", "strangers_added",
)


def place_sellers(topo: Topology, specs: Sequence[SellerSpec], *, rng: np.random.Generator) -> np.ndarray:
    """Node id of each seller: a random person, the best-connected one, or a typical one.

    ``median`` picks a person of median degree (an ordinary 微商 selling to her own circle,
    seed 001 L82); ``hub`` the highest-degree person (a big-V, seed 000 L467). Sellers are
    distinct; ties are broken at random.
    """
    if len(specs) >= topo.n:
        # Each seller is a person of the network; a market without consumers has no means to
        # report (mean activity over nobody), so it is refused rather than run to NaN.
        raise ValueError(f"network: {topo.n} node(s) cannot hold {len(specs)} seller(s) and a consumer; "
                         f"at least {len(specs) + 1} are needed")
    deg = topo.degree.astype(float)
    taken: list[int] = []
    jitter = rng.random(topo.n)
    for spec in specs:
        free = np.ones(topo.n, dtype=bool)
        free[taken] = False
        cand = np.flatnonzero(free)
        if spec.placement == "random":
            node = int(rng.choice(cand))
        elif spec.placement == "hub":
            node = int(cand[np.lexsort((jitter[cand], -deg[cand]))[0]])
        else:
            med = np.median(deg[cand])
            node = int(cand[np.lexsort((jitter[cand], np.abs(deg[cand] - med)))[0]])
        taken.append(node)
    return np.array(taken, dtype=np.int64)


def init_state(config: RunConfig, topo: Topology, seller_nodes: np.ndarray,
               *, rng: np.random.Generator) -> State:
    """Consumers with full activity, no needs; each seller tied to her own circle.

    A seller's contacts are her graph friends (strong or weak by the edge's tie type) topped up
    to ``circle_size`` with random acquaintances as weak ties (WeChat contacts are mostly people
    met offline, seed 000 L113). Initial trust is the tie prior, which is also the baseline
    trust relaxes to (strong > weak > stranger, seed 000 L113, L209; seed 003 L19). Needs
    start at their stationary share, so day 1 is an ordinary day, not a cold start.
    """
    n, n_s = topo.n, len(seller_nodes)
    is_consumer = np.ones(n, dtype=bool)
    is_consumer[seller_nodes] = False
    degree = topo.degree.astype(float)
    tie = np.zeros((n_s, n), dtype=np.int8)
    for s, (node, spec) in enumerate(zip(seller_nodes, config.sellers.values())):
        if topo.complete:
            tie[s] = STRONG
        else:
            nb = topo.indices[topo.indptr[node]:topo.indptr[node + 1]]
            st = topo.strong[topo.indptr[node]:topo.indptr[node + 1]]
            tie[s, nb] = np.where(st, STRONG, WEAK)
        tie[s, ~is_consumer] = NO_TIE
        missing = spec.circle_size - int(np.count_nonzero(tie[s]))
        if missing > 0:
            pool = np.flatnonzero(is_consumer & (tie[s] == NO_TIE))
            extra = rng.choice(pool, size=min(missing, len(pool)), replace=False)
            tie[s, extra] = WEAK
    t = config.trust
    prior = np.array([t.prior_stranger, t.prior_stranger, t.prior_weak, t.prior_strong])
    baseline = prior[tie]
    full = lambda value, dt: np.full((n_s, n), value, dtype=dt)  # noqa: E731
    activity = is_consumer.astype(float)
    return State(
        topo=topo, seller_nodes=np.asarray(seller_nodes, dtype=np.int64), is_consumer=is_consumer,
        degree=degree, organic=feed.organic_load(degree, config.feed),
        need=needs.initial_needs(is_consumer, config.purchase, rng=rng),
        tolerant=is_consumer & (rng.random(n) < config.ties.tolerant_share), activity=activity, commercial_share=np.zeros(n),
        tie=tie, trust=baseline.copy(), baseline=baseline, annoyance=full(0.0, float),
        memory=full(0.0, float), referral=full(0.0, float), referrer=full(-1, np.int32),
        referrer_strong=full(False, bool), root=full(-1, np.int32), purchases=full(0, np.int32),
        bought_friends=full(0, np.int32), reseller_friends=full(0, np.int32),
        trace_cascades=config.trace_cascades,
        aware=tie > NO_TIE, muted=full(False, bool), blocked=full(False, bool),
        in_group=full(False, bool), engaged=full(False, bool), reseller=full(False, bool),
        # Groups start hot (热火朝天) and cool unless fed with value content (seed 002 L371).
        group_activity=np.array([1.0 if spec_groups_enabled(spec) else 0.0 for spec in config.sellers.values()]),
    )


def spec_groups_enabled(spec: SellerSpec) -> bool:
    """Whether the seller's resolved strategy runs groups."""
    return spec.resolved.groups.enabled


def step(state: State, plans: Sequence[DayPlan], config: RunConfig, *, rng: np.random.Generator) -> dict:
    """Advance the market by one day; returns the day's flows (see FLOW_KEYS) and breakdowns.

    ``flows[k]`` is flow k per seller (a row of ``flows["table"]``, the (len(FLOW_KEYS), S) block
    of them all); the breakdowns are (S, m) arrays; ``commercial_load`` is per node.

    Order (docs/model.md, "Process overview and scheduling"):
      1 needs arrive/lapse  2 trust relaxes, annoyance/memory/referral decay
      3 sellers add strangers  4 KOL seeding (first day)  5 feeds deliver posts (and the
      platform's harassment warning)
      6 direct messages  7 groups  8 needs created by ads  9 trust from value content
      10 enquiries and service  11 purchases  12 annoyance (+ trust erosion, wear-out memory)
      13 settlement
      14 word of mouth (recommendations, warnings)  15 mute/block (+ warnings by blockers)
      16 platform activity
    """
    c = config
    n_s = state.n_sellers
    table = np.zeros((len(FLOW_KEYS), n_s))
    flows = dict(zip(FLOW_KEYS, table))        # rows of one block, also returned whole as "table"
    flows["table"] = table
    flows["channels"] = np.zeros((n_s, len(CHANNELS)))
    flows["exposures_by_tie"] = np.zeros((n_s, 4))
    flows["seller_conversions_by_tie"] = np.zeros((n_s, 4))
    flows["wom_sent_by_tie"] = np.zeros((n_s, 2))          # (weak, strong)
    flows["wom_conversions_by_tie"] = np.zeros((n_s, 2))
    day = Day.for_state(state)

    needs.arrive_needs(state, c.purchase, rng=rng)
    relax.relax_trust(state, c.trust)
    relax.decay_stocks(state, c.annoyance, c.wom)
    for plan in plans:
        flows["strangers_added"][plan.index] = contacts.add_strangers(state, plan, rng=rng)
        flows["posts"][plan.index] = plan.posts.sum()
    kol_seeds = {}
    if state.day == 0:
        for plan in plans:
            if plan.strategy.kol_seeds > 0:
                kol_seeds[plan.index] = wom.seed_kols(state, plan.index, plan.strategy.kol_seeds, rng=rng)
    by_tie, seen, fold_opened = feed.deliver_posts(state, day, plans, c.feed, rng=rng)
    flows["exposures_by_tie"] += by_tie
    for plan in plans:
        trust.platform_warning(state, plan.index, fold_opened[plan.index], c.trust)
    group_seen = np.zeros(n_s)
    for plan in plans:
        flows["messages_sent"][plan.index] = contacts.send_messages(state, day, plan, rng=rng)
        group_seen[plan.index] = groups.run_groups(state, day, plan, c.purchase, c.trust, rng=rng)
    needs.impulse_needs(state, day, c.purchase, c.annoyance, rng=rng)
    trust.gain_from_content(state, day, c.trust)
    for plan in plans:
        e, r = contacts.answer_enquiries(state, day, plan, c.purchase, c.trust, rng=rng)
        flows["enquiries"][plan.index], flows["replies"][plan.index] = e, r

    bought = purchase.make_purchases(state, day, plans, c.purchase, c.trust, c.annoyance, rng=rng)
    annoyance.add_annoyance(state, day, c.annoyance, c.trust)
    for plan, b in zip(plans, bought):
        s = plan.index
        done = settle.settle_purchases(state, plan, b, c.purchase, c.trust, rng=rng)
        flows["purchases"][s] = len(done.buyers)
        flows["revenue"][s] = done.revenue
        flows["cost"][s] = done.cost
        flows["channels"][s] = done.by_channel
        flows["purchases_wom"][s] = done.by_channel[REFERRAL]
        flows["wom_conversions_by_tie"][s] += done.wom_by_tie
        flows["seller_conversions_by_tie"][s] += done.seller_made_by_tie
        p_rec = wom.recommendation_prob(c.wom, plan.strategy.referral_reward)
        happy = done.buyers[done.satisfied]
        fans = state.in_group[s, happy]
        strong, weak = wom.recommend(state, s, happy[~fans], p_rec, c.wom, c.trust, rng=rng)
        if fans.any():
            p_fan = min(1.0, p_rec * plan.strategy.groups.advocacy)
            fs, fw = wom.recommend(state, s, happy[fans], p_fan, c.wom, c.trust, rng=rng)
            strong, weak = strong + fs, weak + fw
        if s in kol_seeds:
            happy_seeds = rng.random(len(kol_seeds[s])) < plan.product.quality
            state.trust[s, kol_seeds[s]] = trust.purchase_outcome(state.trust[s, kol_seeds[s]], happy_seeds, c.trust)
            seeds = kol_seeds[s][happy_seeds]
            ks, kw = wom.recommend(state, s, seeds, plan.strategy.kol_reach, c.wom, c.trust, rng=rng)
            strong, weak = strong + ks, weak + kw
            flows["cost"][s] += len(kol_seeds[s]) * (plan.strategy.cost_per_kol + plan.product.unit_cost)
        flows["wom_sent_by_tie"][s] += (weak, strong)
        flows["wom_positive"][s] = strong + weak
        unhappy = done.buyers[~done.satisfied]
        flows["wom_negative"][s] = wom.warn(state, s, unhappy, c.wom.warn_prob, c.wom, c.trust, rng=rng)

    for plan in plans:
        s = plan.index
        _, blocked = ties.mute_and_block(state, s, c.ties, rng=rng)
        flows["wom_negative"][s] += wom.warn(state, s, blocked, c.wom.block_warn_prob, c.wom, c.trust, rng=rng)
    feed.update_activity(state, c.feed)

    for plan in plans:
        s = plan.index
        flows["exposures_ad"][s] = seen[s, 0]
        flows["exposures_value"][s] = seen[s, 1] + group_seen[s]
        flows["exposures_life"][s] = seen[s, 2]
        flows["exposures_prize"][s] = seen[s, 3]
        flows["exposures_reseller"][s] = seen[s, 4]
        flows["reach"][s] = day.reach(s)
        flows["cost"][s] += action_cost(plan, flows, s, int(np.count_nonzero(state.in_group[s])))
    flows["commercial_load"] = day.commercial_load.copy()   # the buffer is reused tomorrow
    state.day += 1
    return flows


def action_cost(plan: DayPlan, flows: dict, s: int, members: int) -> float:
    """Cost of the seller's own actions today (posts, messages, strangers, replies, groups)."""
    st: Strategy = plan.strategy
    n_groups = int(np.ceil(members / st.groups.size)) if st.groups.enabled else 0
    return float(flows["posts"][s] * st.cost_per_post + flows["messages_sent"][s] * st.cost_per_message
                 + flows["strangers_added"][s] * st.cost_per_stranger + flows["replies"][s] * st.cost_per_reply
                 + n_groups * st.cost_group_per_day)
