"""rules.contacts (strangers, messages, enquiries) and rules.groups (activity, invitations, posts)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model.rules import contacts, groups
from viralsim.model.state import NO_TIE, STRANGER, STRONG, WEAK

# ------------------------------------------------------------------------------ add_strangers


@pytest.mark.parametrize("seed", range(5))
def test_add_strangers_adds_exactly_k_new_stranger_ties(kit, seed):
    """k new STRANGER ties, all previously untied consumers; existing ties and seller nodes untouched."""
    cfg = kit.config(n_sellers=2)
    st = kit.state(cfg, kit.path(40), sellers=(0, 20), seed=seed)
    st.tie[0, [5, 6, 7]] = WEAK
    st.blocked[0, 7] = True            # a blocker keeps the tie: she is not a stranger to add
    before = st.tie.copy()
    added = contacts.add_strangers(st, kit.plan(0, strangers=9), rng=np.random.default_rng(seed))
    assert added == 9
    new = np.flatnonzero(st.tie[0] != before[0])
    assert len(new) == 9
    assert np.all(before[0, new] == NO_TIE) and np.all(st.tie[0, new] == STRANGER)
    assert st.is_consumer[new].all(), "a seller node was added as a contact"
    assert st.aware[0, new].all()
    np.testing.assert_array_equal(st.tie[1], before[1])
    assert st.tie[0, 1] == STRONG and np.all(st.tie[0, [5, 6, 7]] == WEAK)


def test_add_strangers_picks_a_uniform_subset(kit):
    """Every untied consumer is equally likely to be added: P = k / eligible (statistical)."""
    cfg = kit.config()
    base = kit.state(cfg, kit.path(30))            # seller 0 tied to node 1: 28 eligible
    counts = np.zeros(30)
    reps = 3000
    for seed in range(reps):
        st = kit.state(cfg, kit.path(30))
        contacts.add_strangers(st, kit.plan(0, strangers=4), rng=np.random.default_rng(seed))
        counts += st.tie[0] == STRANGER
    assert counts[0] == 0 and counts[1] == 0 and base.tie[0, 1] != NO_TIE
    freq = counts[2:] / reps
    kit.within(freq.max(), 4 / 28, kit.binom_sd(4 / 28, reps))
    kit.within(freq.min(), 4 / 28, kit.binom_sd(4 / 28, reps))


def test_add_strangers_stops_when_nobody_is_left(kit):
    """Asking for more strangers than untied consumers adds all of them, and returns that number."""
    cfg = kit.config()
    st = kit.state(cfg, kit.path(10))         # seller 0 tied to node 1 only
    added = contacts.add_strangers(st, kit.plan(0, strangers=100), rng=np.random.default_rng(0))
    assert added == 8
    assert np.all(st.tie[0, 2:] == STRANGER) and st.tie[0, 0] == NO_TIE
    assert contacts.add_strangers(st, kit.plan(0, strangers=5), rng=np.random.default_rng(1)) == 0


def test_add_strangers_zero(kit):
    cfg = kit.config()
    st = kit.state(cfg, kit.path(10))
    before = st.tie.copy()
    assert contacts.add_strangers(st, kit.plan(0, strangers=0), rng=np.random.default_rng(0)) == 0
    np.testing.assert_array_equal(st.tie, before)


def test_strangers_keep_the_stranger_baseline(kit):
    """New strangers relax toward the stranger prior (their baseline is prior_stranger)."""
    cfg = kit.config(trust={"prior_stranger": 0.13})
    st = kit.state(cfg, kit.path(10))
    contacts.add_strangers(st, kit.plan(0, strangers=3), rng=np.random.default_rng(0))
    new = np.flatnonzero(st.tie[0] == STRANGER)
    assert np.all(st.baseline[0, new] == 0.13)


# ------------------------------------------------------------------------------ send_messages


def _contacts_world(kit, n=12):
    cfg = kit.config(circle_size=n - 1)
    st = kit.state(cfg, kit.empty(n))       # every consumer a weak contact
    return cfg, st, kit.day(st)


@pytest.mark.parametrize("seed", range(3))
def test_push_messages_go_to_k_distinct_unblocked_contacts(kit, seed):
    """Push: k distinct recipients among contacts (muted included, blocked and non-contacts not)."""
    _cfg, st, d = _contacts_world(kit)
    st.blocked[0, [1, 2]] = True
    st.tie[0, 3] = NO_TIE
    st.muted[0, 4] = True
    plan = kit.plan(0, strategy_fields={"contact": "push"}, messages=8)
    sent = contacts.send_messages(st, d, plan, rng=np.random.default_rng(seed))
    assert sent == 8                                     # pool: 4..11 -> exactly 8 contacts
    to = np.flatnonzero(d.messages[0])
    np.testing.assert_array_equal(to, np.arange(4, 12))
    assert np.all(d.messages[0, to] == 1) and not d.solicited[0].any()
    assert d.touched[0, to].all() and st.aware[0, to].all()


def test_push_messages_sample_without_replacement(kit):
    _cfg, st, d = _contacts_world(kit, n=50)
    sent = contacts.send_messages(st, d, kit.plan(0, messages=10), rng=np.random.default_rng(0))
    assert sent == 10 and d.messages[0].sum() == 10 and d.messages[0].max() == 1


def test_push_messages_pick_a_uniform_subset_of_the_pool(kit):
    """Each contact of the pool gets a message with probability k / pool (statistical)."""
    counts = np.zeros(12)
    reps = 3000
    for seed in range(reps):
        _cfg, st, d = _contacts_world(kit)
        st.blocked[0, 1] = True                          # pool: 2..11 (10 contacts)
        contacts.send_messages(st, d, kit.plan(0, messages=3), rng=np.random.default_rng(seed))
        counts += d.messages[0]
    assert counts[:2].sum() == 0
    freq = counts[2:] / reps
    kit.within(freq.max(), 0.3, kit.binom_sd(0.3, reps))
    kit.within(freq.min(), 0.3, kit.binom_sd(0.3, reps))


def test_need_triggered_messages_go_only_to_needy_and_are_solicited(kit):
    """contact = need: only contacts with a need receive, and their messages are marked solicited."""
    _cfg, st, d = _contacts_world(kit)
    st.need[[2, 5, 7, 9]] = True
    st.blocked[0, 9] = True
    plan = kit.plan(0, strategy_fields={"contact": "need"}, messages=10)
    sent = contacts.send_messages(st, d, plan, rng=np.random.default_rng(0))
    assert sent == 3
    np.testing.assert_array_equal(np.flatnonzero(d.messages[0]), [2, 5, 7])
    np.testing.assert_array_equal(np.flatnonzero(d.solicited[0]), [2, 5, 7])


def test_need_triggered_messages_capped_by_k(kit):
    _cfg, st, d = _contacts_world(kit, n=40)
    st.need[1:] = True
    sent = contacts.send_messages(st, d, kit.plan(0, strategy_fields={"contact": "need"}, messages=4),
                                  rng=np.random.default_rng(0))
    assert sent == 4 and d.messages[0].sum() == 4 and d.solicited[0].sum() == 4


# ---------------------------------------------------------------------------- answer_enquiries

# trust_half = 0 makes the trust gate exactly 1 for any positive trust: enquiries are then
# deterministic with enquiry_prob = 1.
SURE = {"enquiry_prob": 1.0, "trust_half": 0.0}


def _enquiry_world(kit, n=16, purchase=None, trust=None):
    cfg = kit.config(circle_size=n - 1, purchase={**SURE, **(purchase or {})},
                     trust={"gain_reply": 0.1, "loss_unanswered": 0.03, **(trust or {})})
    st = kit.state(cfg, kit.empty(n))
    return cfg, st, kit.day(st)


def test_answer_enquiries_respects_capacity_and_moves_trust(kit):
    """Capacity c answers c of the askers: T + g_reply (1 - T); the others lose: T (1 - l_unanswered)."""
    cfg, st, d = _enquiry_world(kit)
    ask = np.arange(1, 11)
    st.need[ask] = True
    d.saw_posts[0, ask] = True
    st.trust[0] = 0.4
    plan = kit.plan(0, strategy_fields={"service_capacity": 3})
    e, r = contacts.answer_enquiries(st, d, plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert (e, r) == (10, 3)
    answered = np.flatnonzero(d.replied[0])
    assert len(answered) == 3 and np.isin(answered, ask).all()
    ignored = np.setdiff1d(ask, answered)
    np.testing.assert_allclose(st.trust[0, answered], 0.4 + 0.1 * 0.6, rtol=1e-15)
    np.testing.assert_allclose(st.trust[0, ignored], 0.4 * 0.97, rtol=1e-15)
    rest = np.setdiff1d(np.arange(st.n), ask)
    assert np.all(st.trust[0, rest] == 0.4)


def test_answer_enquiries_ample_capacity_answers_all(kit):
    cfg, st, d = _enquiry_world(kit)
    st.need[1:6] = True
    d.saw_posts[0, 1:6] = True
    e, r = contacts.answer_enquiries(st, d, kit.plan(0, strategy_fields={"service_capacity": 100}),
                                     cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert (e, r) == (5, 5) and d.replied[0, 1:6].all()


def test_who_can_enquire(kit):
    """Candidates: need & (saw a product post or got a solicited message) & not blocked.
    An unsolicited pitch alone, a life post, or no need does not prompt a question."""
    cfg, st, d = _enquiry_world(kit)
    st.need[1:8] = True
    d.saw_posts[0, 1] = True                           # saw a product post      -> asks
    d.messages[0, 2], d.solicited[0, 2] = 1, True      # solicited message       -> asks
    d.messages[0, 3] = 1                               # unsolicited pitch only  -> no
    d.touched[0, [2, 3, 4]] = True
    d.seen_life[0, 4] = 3                              # life post only          -> no
    d.saw_posts[0, 5], st.blocked[0, 5] = True, True   # blocked                 -> no
    d.saw_posts[0, 9] = True                           # no need                 -> no
    e, r = contacts.answer_enquiries(st, d, kit.plan(0), cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert (e, r) == (2, 2)
    np.testing.assert_array_equal(np.flatnonzero(d.replied[0]), [1, 2])


def test_enquiry_rate_is_prob_times_trust_gate(kit):
    """P(enquire) = enquiry_prob x G_T(T) (statistical; T = 0.3, T_half = 0.5, h = 2)."""
    n = 40_001
    cfg, st, d = _enquiry_world(kit, n=n, purchase={"enquiry_prob": 0.4, "trust_half": 0.5, "trust_steepness": 2.0})
    st.need[1:] = True
    d.saw_posts[0, 1:] = True
    st.trust[0] = 0.3
    e, r = contacts.answer_enquiries(st, d, kit.plan(0, strategy_fields={"service_capacity": 1e6}),
                                     cfg.purchase, cfg.trust, rng=np.random.default_rng(7))
    p = 0.4 * 0.09 / (0.09 + 0.25)
    kit.within(e / (n - 1), p, kit.binom_sd(p, n - 1))
    assert r == e


def test_enquiry_gate_at_zero_trust_and_zero_half_point(kit):
    """T = T_half = 0 leaves G_T = 0/0 undefined: nobody asks (and nothing raises)."""
    cfg, st, d = _enquiry_world(kit)
    st.need[1:6] = True
    d.saw_posts[0, 1:6] = True
    st.trust[0, 1:3] = 0.0
    st.trust[0, 3:6] = 0.5
    e, r = contacts.answer_enquiries(st, d, kit.plan(0), cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert (e, r) == (3, 3)
    np.testing.assert_array_equal(np.flatnonzero(d.replied[0]), [3, 4, 5])


def test_answer_enquiries_without_trust_leaves_trust(kit):
    """trust.enabled = False: P = enquiry_prob, replies still recorded, trust unchanged."""
    cfg, st, d = _enquiry_world(kit, trust={"enabled": False})
    st.need[1:6] = True
    d.saw_posts[0, 1:6] = True
    st.trust[0] = 0.0          # a gate would block everything at T = 0
    e, r = contacts.answer_enquiries(st, d, kit.plan(0, strategy_fields={"service_capacity": 2}),
                                     cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert (e, r) == (5, 2)
    assert np.all(st.trust[0] == 0.0)


def test_enquiries_not_trust_gated_when_gating_is_off(kit):
    """trust_gating = False: G_T = 1 for enquiries as for purchases, so T = 0 still asks."""
    cfg, st, d = _enquiry_world(kit, purchase={"trust_gating": False, "trust_half": 0.5})
    st.need[1:6] = True
    d.saw_posts[0, 1:6] = True
    st.trust[0] = 0.0
    e, r = contacts.answer_enquiries(st, d, kit.plan(0), cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert (e, r) == (5, 5)
    np.testing.assert_allclose(st.trust[0, 1:6], 0.1, rtol=1e-15)


# ------------------------------------------------------------------------------------- groups

GROUPS = {"enabled": True, "posts_per_day": 1.0, "sustain_posts_per_day": 2.0, "half_life": 10.0,
          "invites_per_day": 0.0}


def _group_world(kit, n=20):
    cfg = kit.config(circle_size=n - 1, purchase={"interest_threshold": 0.5})
    st = kit.state(cfg, kit.empty(n))
    return cfg, st, kit.day(st)


def test_group_activity_relaxes_toward_posts_over_sustain(kit):
    """a(t) = a* + (a0 - a*) 2^(-t/h), a* = min(1, posts / sustain) (exact over 25 days)."""
    cfg, st, _ = _group_world(kit)
    st.group_activity[0] = 0.9
    plan = kit.plan(0, strategy_fields={"groups": GROUPS})
    for _ in range(25):
        groups.run_groups(st, kit.day(st), plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert st.group_activity[0] == pytest.approx(0.5 + 0.4 * 2 ** (-25 / 10), rel=1e-12)
    # posts above the sustain rate: the target is capped at 1
    hot = kit.plan(0, strategy_fields={"groups": {**GROUPS, "posts_per_day": 5.0}})
    st.group_activity[0] = 0.0
    groups.run_groups(st, kit.day(st), hot, cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert st.group_activity[0] == pytest.approx(1 - 2 ** (-1 / 10), rel=1e-12)


def test_groups_disabled_do_nothing(kit):
    cfg, st, d = _group_world(kit)
    st.group_activity[0] = 0.7
    st.purchases[0, 1:5] = 1
    plan = kit.plan(0, strategy_fields={"groups": {"enabled": False}}, invites=5, group_posts=3)
    assert groups.run_groups(st, d, plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(0)) == 0
    assert st.group_activity[0] == 0.7 and not st.in_group.any()


def test_invitations_go_to_customers_first(kit):
    """Customers are invited before interested contacts; muted, blocked, uninterested never."""
    cfg, st, d = _group_world(kit)
    customers = np.array([1, 2, 3])
    st.purchases[0, customers] = 1
    st.purchases[0, [4, 5]] = 2
    st.muted[0, 4] = True               # muted customer: left, never invited
    st.blocked[0, 5] = True             # blocked customer: never invited
    st.trust[0] = 0.2
    interested = np.array([10, 11, 12])
    st.trust[0, interested] = 0.6
    st.trust[0, [13, 14]] = 0.9
    st.muted[0, 13] = True
    st.blocked[0, 14] = True
    plan = kit.plan(0, strategy_fields={"groups": GROUPS}, invites=2)
    groups.run_groups(st, d, plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    members = np.flatnonzero(st.in_group[0])
    assert len(members) == 2 and np.isin(members, customers).all()
    plan = kit.plan(0, strategy_fields={"groups": GROUPS}, invites=3)
    groups.run_groups(st, kit.day(st), plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(1))
    members = np.flatnonzero(st.in_group[0])
    assert len(members) == 5
    assert np.isin(customers, members).all(), "the last customer is invited before any friend"
    assert np.isin(np.setdiff1d(members, customers), interested).all()
    plan = kit.plan(0, strategy_fields={"groups": GROUPS}, invites=50)
    groups.run_groups(st, kit.day(st), plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(np.flatnonzero(st.in_group[0]), [1, 2, 3, 10, 11, 12])
    assert st.aware[0, [1, 2, 3, 10, 11, 12]].all()


def test_groups_start_hot_only_for_group_sellers(kit):
    """init_state: group activity starts at 1 for a seller running groups, 0 otherwise."""
    cfg = kit.config(sellers={"s0": {"groups": {"enabled": True}}, "s1": {"groups": {"enabled": False}}})
    st = kit.state(cfg, kit.empty(10), sellers=(0, 1))
    np.testing.assert_array_equal(st.group_activity, [1.0, 0.0])


def test_invitees_become_engaged(kit):
    cfg, st, d = _group_world(kit)
    st.purchases[0, [1, 2]] = 1
    groups.run_groups(st, d, kit.plan(0, strategy_fields={"groups": GROUPS}, invites=2), cfg.purchase,
                      cfg.trust, rng=np.random.default_rng(0))
    assert st.engaged[0, [1, 2]].all() and st.in_group[0, [1, 2]].all()


def test_group_members_read_binomial_posts(kit):
    """Each member reads X ~ Binomial(group posts, a x activity): exactly all at a = activity = 1."""
    cfg, st, d = _group_world(kit)
    st.group_activity[0] = 1.0
    st.in_group[0, [2, 3, 4]] = True
    plan = kit.plan(0, strategy_fields={"groups": {**GROUPS, "posts_per_day": 2.0}}, group_posts=4)
    read = groups.run_groups(st, d, plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert read == 12
    np.testing.assert_array_equal(np.flatnonzero(d.group_seen[0]), [2, 3, 4])
    assert np.all(d.group_seen[0, [2, 3, 4]] == 4)
    assert d.touched[0, [2, 3, 4]].all() and d.saw_posts[0, [2, 3, 4]].all()


def test_invitees_read_todays_group_posts(kit):
    """New members read the group posts of the day they join (a = activity = 1: all of them)."""
    cfg, st, d = _group_world(kit)
    st.group_activity[0] = 1.0
    st.purchases[0, [1, 2]] = 1
    st.in_group[0, 5] = True
    st.engaged[0, 5] = True
    plan = kit.plan(0, strategy_fields={"groups": {**GROUPS, "posts_per_day": 2.0}}, invites=2, group_posts=3)
    read = groups.run_groups(st, d, plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(0))
    assert read == 9
    np.testing.assert_array_equal(np.flatnonzero(d.group_seen[0]), [1, 2, 5])
    assert d.saw_posts[0, [1, 2, 5]].all() and d.touched[0, [1, 2, 5]].all()


def test_group_reading_rate_statistical(kit):
    """E[X] = posts x a x activity with a = 0.5 (posts/sustain, already at target), activity 0.6."""
    n = 20_001
    cfg, st, d = _group_world(kit, n=n)
    st.group_activity[0] = 0.5
    st.in_group[0, 1:] = True
    st.activity[1:] = 0.6
    plan = kit.plan(0, strategy_fields={"groups": GROUPS}, group_posts=5)
    read = groups.run_groups(st, d, plan, cfg.purchase, cfg.trust, rng=np.random.default_rng(3))
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
