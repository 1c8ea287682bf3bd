"""rules.contacts (strangers, messages, enquiries) and rules.groups (activity, invitations, posts)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model.outputs import FLOW
from viralsim.model.relations import NO_TIE, STRANGER, STRONG, WEAK
from viralsim.model.rules import contacts, groups


def _fill(w, name: str, s: int, value, nodes=None) -> None:
    """Relation column ``name`` := ``value`` on seller ``s``'s existing relations (all of them, or
    those with ``nodes``): the bulk form of ``World.set`` for markets of thousands of contacts."""
    rel, m = w.rel, w.state.n_relations
    rows = np.flatnonzero(rel.seller[:m] == s)
    if nodes is not None:
        at = np.full(w.state.n, -1, dtype=np.int64)
        at[rel.node[rows]] = rows
        rows = at[np.asarray(nodes)]
        assert np.all(rows >= 0), "a node without a relation"
    getattr(rel, name)[rows] = value


# ------------------------------------------------------------------------------ add_strangers


def _add_strangers(w) -> int:
    """rules.contacts.add_strangers as the day calls it; the number seller 0 added."""
    row = w.flows[FLOW.strangers_added]
    w.keep(contacts.add_strangers(w.key, w.today, w.people, w.sellers, w.plans, w.rel, row, w.params.max_contacts))
    return int(row[0])


def test_add_strangers_stops_at_the_contact_limit(kit):
    """WeChat's limit (platform.max_contacts): a seller with 10 contacts and room for 13 adds 3,
    whatever she planned; those who blocked her do not count; a full account adds none."""
    cfg = kit.config(n_sellers=1, platform={"max_contacts": 13})
    w = kit.world(cfg, kit.empty(200), sellers=(0,))
    w.set("tie", 0, range(1, 12), WEAK)
    w.set("blocked", 0, 11, True)           # 11 tied, 1 of them blocked her: 10 contacts
    w.set_plan(0, strangers=50)
    assert _add_strangers(w) == 3
    tie, blocked = w.get("tie"), w.get("blocked")
    assert int(((tie[0] > 0) & ~blocked[0]).sum()) == 13
    assert _add_strangers(w) == 0


def test_circles_are_cut_to_the_contact_limit(kit):
    """A hub with more friends than the limit keeps a random subset of them; a circle_size above
    the limit tops up only to it."""
    cfg = kit.config(n_sellers=2, circle_size=60, platform={"max_contacts": 25})
    w = kit.world(cfg, kit.star(100), sellers=(0, 50))
    tie = w.get("tie")
    assert int((tie[0] > 0).sum()) == 25 and int((tie[1] > 0).sum()) == 25


@pytest.mark.parametrize("seed", range(5))
def test_add_strangers_adds_exactly_k_new_stranger_ties(kit, seed):
    """k new STRANGER ties, all previously untied consumers; existing ties and the seller's own node untouched."""
    cfg = kit.config(n_sellers=2)
    w = kit.world(cfg, kit.path(40), sellers=(0, 20), seed=seed)
    w.set("tie", 0, [5, 6, 7], WEAK)
    w.set("blocked", 0, 7, True)       # a blocker keeps the tie: she is not a stranger to add
    before = w.get("tie")
    w.set_plan(0, strangers=9)
    assert _add_strangers(w) == 9
    after = w.get("tie")
    new = np.flatnonzero(after[0] != before[0])
    assert len(new) == 9
    assert np.all(before[0, new] == NO_TIE) and np.all(after[0, new] == STRANGER)
    assert 0 not in new, "the seller was added as her own contact"
    assert w.get("aware")[0, new].all()
    np.testing.assert_array_equal(after[1], before[1])
    assert after[0, 1] == STRONG and np.all(after[0, [5, 6, 7]] == WEAK)
    w.state.check_invariants()


@pytest.mark.parametrize("seed", range(5))
def test_add_strangers_adds_the_last_few_eligible_consumers(kit, seed):
    """A seller who has added nearly everyone still adds min(k, eligible) people: 3 of 400
    consumers left, 20 planned, all 3 added (rejection sampling alone gives up before finding
    them: this was a difference from the reference engine at saturation); then none is left."""
    cfg = kit.config(n_sellers=1)
    w = kit.world(cfg, kit.empty(400), sellers=(0,), seed=seed)
    left = [17, 211, 398]
    w.set("tie", 0, [i for i in range(1, 400) if i not in left], STRANGER)
    w.set_plan(0, strangers=20)
    assert _add_strangers(w) == 3
    assert np.all(w.get("tie")[0, left] == STRANGER)
    assert _add_strangers(w) == 0
    w.state.check_invariants()


def test_add_strangers_picks_a_uniform_subset(kit):
    """Every untied consumer is equally likely to be added: P = k / eligible (statistical)."""
    cfg = kit.config()
    base = kit.world(cfg, kit.path(30))            # seller 0 tied to node 1: 28 eligible
    counts = np.zeros(30)
    reps = 3000
    for seed in range(reps):
        w = kit.world(cfg, kit.path(30), seed=seed)
        w.set_plan(0, strangers=4)
        _add_strangers(w)
        counts += w.get("tie")[0] == STRANGER
    assert counts[0] == 0 and counts[1] == 0 and base.get("tie")[0, 1] != NO_TIE
    freq = counts[2:] / reps
    kit.within(freq.max(), 4 / 28, kit.binom_sd(4 / 28, reps))
    kit.within(freq.min(), 4 / 28, kit.binom_sd(4 / 28, reps))


def test_add_strangers_stops_when_nobody_is_left(kit):
    """Asking for more strangers than untied consumers adds all of them, and returns that number."""
    cfg = kit.config()
    w = kit.world(cfg, kit.path(10))         # seller 0 tied to node 1 only
    w.set_plan(0, strangers=100)
    assert _add_strangers(w) == 8
    tie = w.get("tie")
    assert np.all(tie[0, 2:] == STRANGER) and tie[0, 0] == NO_TIE
    w.set_plan(0, strangers=5)
    assert _add_strangers(w) == 0


def test_add_strangers_zero(kit):
    cfg = kit.config()
    w = kit.world(cfg, kit.path(10))
    before = w.get("tie")
    w.set_plan(0, strangers=0)
    assert _add_strangers(w) == 0
    np.testing.assert_array_equal(w.get("tie"), before)


def test_strangers_keep_the_stranger_baseline(kit):
    """New strangers relax toward the stranger prior (their baseline is prior_stranger)."""
    cfg = kit.config(trust={"prior_stranger": 0.13})
    w = kit.world(cfg, kit.path(10))
    w.set_plan(0, strangers=3)
    _add_strangers(w)
    new = np.flatnonzero(w.get("tie")[0] == STRANGER)
    assert len(new) == 3
    assert np.all(w.get("baseline")[0, new] == 0.13)


# ------------------------------------------------------------------------------ send_messages


def _contacts_world(kit, n=12, seed=0):
    cfg = kit.config(circle_size=n - 1)
    w = kit.world(cfg, kit.empty(n), seed=seed)       # every other node a weak contact
    w.set_strategy(0)        # the default strategy (push), not the default seller's preset
    return cfg, w


def _send_messages(w) -> int:
    """rules.contacts.send_messages as the day calls it (views rebuilt first); seller 0's sent count."""
    w.views()
    row = w.flows[FLOW.messages_sent]
    contacts.send_messages(w.key, w.today, w.people, w.sellers, w.plans, w.rel, row)
    return int(row[0])


@pytest.mark.parametrize("seed", range(3))
def test_push_messages_go_to_k_distinct_unblocked_contacts(kit, seed):
    """Push: k distinct recipients among contacts (muted included, blocked and non-contacts not)."""
    _cfg, w = _contacts_world(kit, seed=seed)
    w.set("blocked", 0, [1, 2], True)
    w.set("tie", 0, 3, NO_TIE)
    w.set("muted", 0, 4, True)
    w.set_strategy(0, contact="push")
    w.set_plan(0, messages=8)
    assert _send_messages(w) == 8                        # pool: 4..11 -> exactly 8 contacts
    messages = w.get("messages")
    to = np.flatnonzero(messages[0])
    np.testing.assert_array_equal(to, np.arange(4, 12))
    assert np.all(messages[0, to] == 1) and not w.get("solicited")[0].any()
    assert w.get("touched")[0, to].all() and w.get("aware")[0, to].all()


def test_push_messages_sample_without_replacement(kit):
    _cfg, w = _contacts_world(kit, n=50)
    w.set_plan(0, messages=10)
    assert _send_messages(w) == 10
    messages = w.get("messages")[0]
    assert messages.sum() == 10 and messages.max() == 1


def test_push_messages_pick_a_uniform_subset_of_the_pool(kit):
    """Each contact of the pool gets a message with probability k / pool (statistical)."""
    counts = np.zeros(12)
    reps = 3000
    for seed in range(reps):
        _cfg, w = _contacts_world(kit, seed=seed)
        w.set("blocked", 0, 1, True)                     # pool: 2..11 (10 contacts)
        w.set_plan(0, messages=3)
        _send_messages(w)
        counts += w.get("messages")[0]
    assert counts[:2].sum() == 0
    freq = counts[2:] / reps
    kit.within(freq.max(), 0.3, kit.binom_sd(0.3, reps))
    kit.within(freq.min(), 0.3, kit.binom_sd(0.3, reps))


def test_need_triggered_messages_go_only_to_needy_and_are_solicited(kit):
    """contact = need: only contacts with a need receive, and their messages are marked solicited."""
    _cfg, w = _contacts_world(kit)
    w.state.need[[2, 5, 7, 9]] = True
    w.set("blocked", 0, 9, True)
    w.set_strategy(0, contact="need")
    w.set_plan(0, messages=10)
    assert _send_messages(w) == 3
    np.testing.assert_array_equal(np.flatnonzero(w.get("messages")[0]), [2, 5, 7])
    np.testing.assert_array_equal(np.flatnonzero(w.get("solicited")[0]), [2, 5, 7])


def test_need_triggered_messages_capped_by_k(kit):
    _cfg, w = _contacts_world(kit, n=40)
    w.state.need[1:] = True
    w.set_strategy(0, contact="need")
    w.set_plan(0, messages=4)
    assert _send_messages(w) == 4
    assert w.get("messages")[0].sum() == 4 and w.get("solicited")[0].sum() == 4


# ---------------------------------------------------------------------------- answer_enquiries

# trust_half = 0 makes the trust gate exactly 1 for any positive trust: enquiries are then
# deterministic with enquiry_prob = 1.
SURE = {"enquiry_prob": 1.0, "trust_half": 0.0}
#: the default service capacity (Strategy.service_capacity), the old plans' capacity of the day
CAPACITY = 10


def _enquiry_world(kit, n=16, purchase=None, trust=None, seed=0):
    cfg = kit.config(circle_size=n - 1, purchase={**SURE, **(purchase or {})},
                     trust={"gain_reply": 0.1, "loss_unanswered": 0.03, **(trust or {})})
    return cfg, kit.world(cfg, kit.empty(n), seed=seed)


def _answer_enquiries(w, capacity=CAPACITY) -> tuple[int, int]:
    """rules.contacts.answer_enquiries as the day calls it; seller 0's (enquiries, replies)."""
    w.plans.capacity[0] = capacity
    w.views()
    asked, answered = w.flows[FLOW.enquiries], w.flows[FLOW.replies]
    contacts.answer_enquiries(w.key, w.today, w.params.contacts, w.people, w.sellers, w.plans, w.rel, asked,
                              answered)
    return int(asked[0]), int(answered[0])


def test_answer_enquiries_respects_capacity_and_moves_trust(kit):
    """Capacity c answers c of the askers: T + g_reply (1 - T); the others lose: T (1 - l_unanswered)."""
    _cfg, w = _enquiry_world(kit)
    ask = np.arange(1, 11)
    w.state.need[ask] = True
    w.set("saw_posts", 0, ask, True)
    _fill(w, "trust", 0, 0.4)
    assert _answer_enquiries(w, capacity=3) == (10, 3)
    answered = np.flatnonzero(w.get("replied")[0])
    assert len(answered) == 3 and np.isin(answered, ask).all()
    ignored = np.setdiff1d(ask, answered)
    trust = w.get("trust")
    np.testing.assert_allclose(trust[0, answered], 0.4 + 0.1 * 0.6, rtol=1e-15)
    np.testing.assert_allclose(trust[0, ignored], 0.4 * 0.97, rtol=1e-15)
    rest = np.setdiff1d(np.arange(1, w.state.n), ask)      # (node 0 is the seller herself)
    assert np.all(trust[0, rest] == 0.4)


def test_answer_enquiries_ample_capacity_answers_all(kit):
    _cfg, w = _enquiry_world(kit)
    w.state.need[1:6] = True
    w.set("saw_posts", 0, range(1, 6), True)
    assert _answer_enquiries(w, capacity=100) == (5, 5)
    assert w.get("replied")[0, 1:6].all()


def test_who_can_enquire(kit):
    """Candidates: need & (saw a product post or got a solicited message) & not blocked.
    An unsolicited pitch alone, a life post, or no need does not prompt a question."""
    _cfg, w = _enquiry_world(kit)
    w.state.need[1:8] = True
    w.set("saw_posts", 0, 1, True)          # saw a product post      -> asks
    w.set("messages", 0, 2, 1)              # solicited message       -> asks
    w.set("solicited", 0, 2, True)
    w.set("messages", 0, 3, 1)              # unsolicited pitch only  -> no
    w.set("touched", 0, [2, 3, 4], True)
    w.set("seen_life", 0, 4, 3)             # life post only          -> no
    w.set("saw_posts", 0, 5, True)          # blocked                 -> no
    w.set("blocked", 0, 5, True)
    w.set("saw_posts", 0, 9, True)          # no need                 -> no
    assert _answer_enquiries(w) == (2, 2)
    np.testing.assert_array_equal(np.flatnonzero(w.get("replied")[0]), [1, 2])


def test_enquiry_rate_is_prob_times_trust_gate(kit):
    """P(enquire) = enquiry_prob x G_T(T) (statistical; T = 0.3, T_half = 0.5, h = 2)."""
    n = 40_001
    _cfg, w = _enquiry_world(kit, n=n, purchase={"enquiry_prob": 0.4, "trust_half": 0.5, "trust_steepness": 2.0},
                             seed=7)
    w.state.need[1:] = True
    _fill(w, "saw_posts", 0, True)
    _fill(w, "trust", 0, 0.3)
    assert w.state.n_relations == n - 1
    e, r = _answer_enquiries(w, capacity=10**6)
    p = 0.4 * 0.09 / (0.09 + 0.25)
    kit.within(e / (n - 1), p, kit.binom_sd(p, n - 1))
    assert r == e


def test_enquiry_gate_at_zero_trust_and_zero_half_point(kit):
    """T = T_half = 0 leaves G_T = 0/0 undefined: nobody asks (and nothing raises)."""
    _cfg, w = _enquiry_world(kit)
    w.state.need[1:6] = True
    w.set("saw_posts", 0, range(1, 6), True)
    w.set("trust", 0, [1, 2], 0.0)
    w.set("trust", 0, [3, 4, 5], 0.5)
    assert _answer_enquiries(w) == (3, 3)
    np.testing.assert_array_equal(np.flatnonzero(w.get("replied")[0]), [3, 4, 5])


def test_answer_enquiries_without_trust_leaves_trust(kit):
    """trust.enabled = False: P = enquiry_prob, replies still recorded, trust unchanged."""
    _cfg, w = _enquiry_world(kit, trust={"enabled": False})
    w.state.need[1:6] = True
    w.set("saw_posts", 0, range(1, 6), True)
    _fill(w, "trust", 0, 0.0)         # a gate would block everything at T = 0
    assert _answer_enquiries(w, capacity=2) == (5, 2)
    assert np.all(w.get("trust")[0, 1:] == 0.0)


def test_enquiries_not_trust_gated_when_gating_is_off(kit):
    """trust_gating = False: G_T = 1 for enquiries as for purchases, so T = 0 still asks."""
    _cfg, w = _enquiry_world(kit, purchase={"trust_gating": False, "trust_half": 0.5})
    w.state.need[1:6] = True
    w.set("saw_posts", 0, range(1, 6), True)
    _fill(w, "trust", 0, 0.0)
    assert _answer_enquiries(w) == (5, 5)
    np.testing.assert_allclose(w.get("trust")[0, 1:6], 0.1, rtol=1e-15)


# ------------------------------------------------------------------------------------- groups

GROUPS = {"enabled": True, "posts_per_day": 1.0, "sustain_posts_per_day": 2.0, "half_life": 10.0,
          "invites_per_day": 0.0}


def _group_world(kit, n=20, seed=0):
    cfg = kit.config(circle_size=n - 1, purchase={"interest_threshold": 0.5})
    return cfg, kit.world(cfg, kit.empty(n), seed=seed)


def _run_groups(w, invites=0, group_posts=0) -> float:
    """rules.groups.run_groups as the day calls it (views rebuilt first); group posts read for seller 0."""
    w.set_plan(0, invites=invites, group_posts=group_posts)
    w.views()
    read, _ptr, _joined = groups.run_groups(w.key, w.today, w.params.interest_threshold, w.people, w.sellers,
                                            w.plans, w.rel)
    return float(read[0])


def _next_day(w) -> None:
    w.state.day += 1
    w.clear_day()


def test_group_activity_relaxes_toward_posts_over_sustain(kit):
    """a(t) = a* + (a0 - a*) 2^(-t/h), a* = min(1, posts / sustain) (exact over 25 days)."""
    _cfg, w = _group_world(kit)
    w.set_strategy(0, groups=GROUPS)
    w.sellers.group_activity[0] = 0.9
    for _ in range(25):
        _run_groups(w)
        _next_day(w)
    assert w.sellers.group_activity[0] == pytest.approx(0.5 + 0.4 * 2 ** (-25 / 10), rel=1e-12)
    # posts above the sustain rate: the target is capped at 1
    w.set_strategy(0, groups={**GROUPS, "posts_per_day": 5.0})
    w.sellers.group_activity[0] = 0.0
    _run_groups(w)
    assert w.sellers.group_activity[0] == pytest.approx(1 - 2 ** (-1 / 10), rel=1e-12)


def test_groups_disabled_do_nothing(kit):
    _cfg, w = _group_world(kit)
    w.set_strategy(0, groups={"enabled": False})
    w.sellers.group_activity[0] = 0.7
    w.set("purchases", 0, range(1, 5), 1)
    assert _run_groups(w, invites=5, group_posts=3) == 0
    assert w.sellers.group_activity[0] == 0.7 and not w.get("in_group").any()


def test_invitations_go_to_customers_first(kit):
    """Customers are invited before interested contacts; muted, blocked, uninterested never."""
    _cfg, w = _group_world(kit)
    w.set_strategy(0, groups=GROUPS)
    customers = np.array([1, 2, 3])
    w.set("purchases", 0, customers, 1)
    w.set("purchases", 0, [4, 5], 2)
    w.set("muted", 0, 4, True)          # muted customer: left, never invited
    w.set("blocked", 0, 5, True)        # blocked customer: never invited
    _fill(w, "trust", 0, 0.2)
    interested = np.array([10, 11, 12])
    w.set("trust", 0, interested, 0.6)
    w.set("trust", 0, [13, 14], 0.9)
    w.set("muted", 0, 13, True)
    w.set("blocked", 0, 14, True)
    _run_groups(w, invites=2)
    members = np.flatnonzero(w.get("in_group")[0])
    assert len(members) == 2 and np.isin(members, customers).all()
    _next_day(w)
    _run_groups(w, invites=3)
    members = np.flatnonzero(w.get("in_group")[0])
    assert len(members) == 5
    assert np.isin(customers, members).all(), "the last customer is invited before any friend"
    assert np.isin(np.setdiff1d(members, customers), interested).all()
    _next_day(w)
    _run_groups(w, invites=50)
    np.testing.assert_array_equal(np.flatnonzero(w.get("in_group")[0]), [1, 2, 3, 10, 11, 12])
    assert w.get("aware")[0, [1, 2, 3, 10, 11, 12]].all()


def test_groups_start_hot_only_for_group_sellers(kit):
    """init_state: group activity starts at 1 for a seller running groups, 0 otherwise."""
    cfg = kit.config(sellers={"s0": {"groups": {"enabled": True}}, "s1": {"groups": {"enabled": False}}})
    w = kit.world(cfg, kit.empty(10), sellers=(0, 1))
    np.testing.assert_array_equal(w.sellers.group_activity, [1.0, 0.0])


def test_invitees_become_engaged(kit):
    _cfg, w = _group_world(kit)
    w.set_strategy(0, groups=GROUPS)
    w.set("purchases", 0, [1, 2], 1)
    _run_groups(w, invites=2)
    assert w.get("engaged")[0, [1, 2]].all() and w.get("in_group")[0, [1, 2]].all()


def test_group_members_read_binomial_posts(kit):
    """Each member reads X ~ Binomial(group posts, a x activity): exactly all at a = activity = 1."""
    _cfg, w = _group_world(kit)
    w.set_strategy(0, groups={**GROUPS, "posts_per_day": 2.0})
    w.sellers.group_activity[0] = 1.0
    w.set("in_group", 0, [2, 3, 4], True)
    w.set("engaged", 0, [2, 3, 4], True)
    assert _run_groups(w, group_posts=4) == 12
    seen = w.get("group_seen")
    np.testing.assert_array_equal(np.flatnonzero(seen[0]), [2, 3, 4])
    assert np.all(seen[0, [2, 3, 4]] == 4)
    assert w.get("touched")[0, [2, 3, 4]].all() and w.get("saw_posts")[0, [2, 3, 4]].all()


def test_invitees_read_todays_group_posts(kit):
    """New members read the group posts of the day they join (a = activity = 1: all of them)."""
    _cfg, w = _group_world(kit)
    w.set_strategy(0, groups={**GROUPS, "posts_per_day": 2.0})
    w.sellers.group_activity[0] = 1.0
    w.set("purchases", 0, [1, 2], 1)
    w.set("in_group", 0, 5, True)
    w.set("engaged", 0, 5, True)
    assert _run_groups(w, invites=2, group_posts=3) == 9
    np.testing.assert_array_equal(np.flatnonzero(w.get("group_seen")[0]), [1, 2, 5])
    assert w.get("saw_posts")[0, [1, 2, 5]].all() and w.get("touched")[0, [1, 2, 5]].all()


def test_group_reading_rate_statistical(kit):
    """E[X] = posts x a x activity with a = 0.5 (posts/sustain, already at target), activity 0.6."""
    n = 20_001
    _cfg, w = _group_world(kit, n=n, seed=3)
    w.set_strategy(0, groups=GROUPS)
    w.sellers.group_activity[0] = 0.5
    _fill(w, "in_group", 0, True)
    _fill(w, "engaged", 0, True)
    assert w.state.n_relations == n - 1
    w.state.activity[1:] = 0.6
    read = _run_groups(w, group_posts=5)
    q = 0.5 * 0.6
    kit.within(read / (n - 1), 5 * q, np.sqrt(5 * q * (1 - q) / (n - 1)))


@pytest.mark.parametrize("n, p", [(1, 0.3), (2, 0.05), (2, 0.5), (2, 0.97), (3, 0.999), (5, 0.7),
                                  (16, 0.2), (16, 0.93)])
def test_few_trials_binomial_matches_the_pmf(n, p):
    """The members' reading draw (inversion from 0 with q^n by products, failures counted when
    p > 1/2) follows Binomial(n, p) exactly: chi-square against the pmf on 100,000 draws."""
    from numba import njit
    from scipy import stats

    from viralsim._jit import seeded, stream

    @njit
    def draws(words, n, p, k):
        s = seeded(words)
        out = np.empty(k, np.int64)
        for j in range(k):
            out[j] = groups._few_trials_binomial(n, p, s)
        return out

    k = 100_000
    x = draws(stream(np.random.default_rng(n)), n, p, k)
    assert x.min() >= 0 and x.max() <= n
    expected = stats.binom.pmf(np.arange(n + 1), n, p) * k
    observed = np.bincount(x, minlength=n + 1)
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    rest_obs, rest_exp = observed[~keep].sum(), expected[~keep].sum()
    dof = keep.sum() - 1
    if rest_exp > 5:
        chi2 += (rest_obs - rest_exp) ** 2 / rest_exp
        dof += 1
    assert dof == 0 or stats.chi2.sf(chi2, dof) > 1e-4, (n, p, x.mean())
    assert rest_obs <= 10 * max(rest_exp, 1.0), "draws where the pmf has next to no mass"
