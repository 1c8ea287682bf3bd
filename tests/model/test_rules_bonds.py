"""Tie dynamics (rules.bonds; docs/model.md §3.3.24): which contacts move, by how much, with what
chance, what happens to the trust baseline, and the flows."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel
from viralsim.model.outputs import FLOW
from viralsim.model.relations import NO_TIE, STRANGER, STRONG, WEAK
from viralsim.model.rules import bonds

N = 5_001           # consumers 1..5,000: proportions within 5 binomial standard errors


def _world(kit, n=N, seed=0, **ties):
    cfg = kit.config(ties=ties) if ties else kit.config()
    return kit.world(cfg, kit.empty(n), seed=seed)


def _set(w, name, nodes, value, s=0):
    """Column ``name`` of seller ``s`` and ``nodes`` := ``value``: rows made once, written at once
    (the kit's ``set`` goes node by node)."""
    if len(nodes) < 100:
        w.set(name, s, nodes, value)
        return
    key = (s, int(nodes[0]), int(nodes[-1]), len(nodes))
    cache = w.__dict__.setdefault("_rows", {})
    if key not in cache:
        cache[key] = np.array([w.row(s, v) for v in nodes], dtype=np.int64)
    getattr(w.rel, name)[cache[key]] = value


def _move(w, bought_nodes=(), s=0):
    rows = np.array([w.row(s, v) for v in bought_nodes], dtype=np.int64)
    bonds.move_ties(w.key, w.today, w.params.bonds, w.rel, rows, w.flows)


def _share(w, nodes, tie):
    return float((w.get("tie")[0, nodes] == tie).mean())


@pytest.mark.parametrize("start,factor", [(STRANGER, 1.0), (WEAK, None)])
def test_an_answered_enquiry_moves_a_tie_up_with_g_i(kit, start, factor):
    """One two-way interaction: a stranger contact becomes weak with g_i, a weak tie strong with
    f_strong g_i."""
    w = _world(kit)
    nodes = np.arange(1, N)
    _set(w, "tie", nodes, start)
    _set(w, "replied", nodes, True)
    _move(w)
    t = w.config.ties
    p = t.bond_per_interaction * (t.strong_bond_factor if factor is None else factor)
    kit.within(_share(w, nodes, start + 1), p, kit.binom_sd(p, N - 1))
    assert w.flows[FLOW.ties_strengthened, 0] == (w.get("tie")[0, nodes] == start + 1).sum()
    assert w.flows[FLOW.ties_weakened, 0] == 0


def test_content_and_solicited_messages_add_up(kit):
    """P_up = 1 - (1 - g_i)^I (1 - g_c)^C with I = 1 reply + 2 solicited messages, C = 3 value
    posts + 4 group posts; the ads she also read cannot move a stranger contact down."""
    w = _world(kit, bond_per_interaction=0.05, bond_per_content=0.02)
    nodes = np.arange(1, N)
    _set(w, "tie", nodes, STRANGER)
    _set(w, "replied", nodes, True)
    _set(w, "messages", nodes, 2)
    _set(w, "solicited", nodes, True)
    _set(w, "seen_value", nodes, 3)
    _set(w, "group_seen", nodes, 4)
    _set(w, "seen_ad", nodes, 50)
    _move(w)
    p = 1 - 0.95 ** 3 * 0.98 ** 7
    kit.within(_share(w, nodes, WEAK), p, kit.binom_sd(p, N - 1))
    assert _share(w, nodes, NO_TIE) == 0.0


def test_pushes_and_a_sale_move_a_strong_tie_down(kit):
    """P_down = 1 - (1 - l_s)^B (1 - l_p)^P with P = 5 ads + 2 prize posts + 3 unsolicited
    messages, B = 1 for the half who bought today; value posts cannot lift a strong tie."""
    w = _world(kit, erode_per_sale=0.1, erode_per_push=0.01)
    nodes = np.arange(1, N)
    _set(w, "tie", nodes, STRONG)
    _set(w, "seen_ad", nodes, 5)
    _set(w, "seen_prize", nodes, 2)
    _set(w, "messages", nodes, 3)
    _set(w, "seen_value", nodes, 9)
    buyers = nodes[::2]
    others = nodes[1::2]
    _move(w, buyers)
    p_push = 1 - 0.99 ** 10
    p_both = 1 - 0.9 * 0.99 ** 10
    kit.within(_share(w, others, WEAK), p_push, kit.binom_sd(p_push, len(others)))
    kit.within(_share(w, buyers, WEAK), p_both, kit.binom_sd(p_both, len(buyers)))
    assert w.flows[FLOW.ties_weakened, 0] == (w.get("tie")[0, nodes] == WEAK).sum()


def test_a_weak_tie_goes_down_first_then_up(kit):
    """Both chances on a weak tie: down with P_down, up with (1 - P_down) P_up; a weak tie drops to
    a stranger contact, never to no tie."""
    w = _world(kit, bond_per_interaction=0.5, strong_bond_factor=0.6, erode_per_push=0.2)
    nodes = np.arange(1, N)
    _set(w, "tie", nodes, WEAK)
    _set(w, "replied", nodes, True)
    _set(w, "seen_ad", nodes, 1)
    _move(w)
    p_down, p_up = 0.2, 0.5 * 0.6
    kit.within(_share(w, nodes, STRANGER), p_down, kit.binom_sd(p_down, N - 1))
    kit.within(_share(w, nodes, STRONG), (1 - p_down) * p_up, kit.binom_sd((1 - p_down) * p_up, N - 1))
    assert _share(w, nodes, NO_TIE) == 0.0


def test_a_moved_tie_takes_the_new_prior_as_baseline_and_keeps_its_trust(kit):
    """Every tie moves (chances 1): baselines become the new tie's prior; trust is untouched."""
    w = _world(kit, 8, bond_per_interaction=1.0, strong_bond_factor=1.0, erode_per_push=1.0)
    w.set("tie", 0, [1, 2, 3, 4], [STRANGER, WEAK, WEAK, STRONG])
    w.set("trust", 0, [1, 2, 3, 4], [0.11, 0.22, 0.33, 0.44])
    w.set("replied", 0, [1, 2], True)
    w.set("seen_ad", 0, [3, 4], 1)
    _move(w)
    tr = w.config.trust
    np.testing.assert_array_equal(w.get("tie")[0, 1:5], [WEAK, STRONG, STRANGER, WEAK])
    np.testing.assert_allclose(w.get("baseline")[0, 1:5], [tr.prior_weak, tr.prior_strong, tr.prior_stranger,
                                                           tr.prior_weak])
    np.testing.assert_allclose(w.get("trust")[0, 1:5], [0.11, 0.22, 0.33, 0.44])
    assert w.flows[FLOW.ties_strengthened, 0] == 2 and w.flows[FLOW.ties_weakened, 0] == 2


def test_non_contacts_blocked_contacts_and_quiet_days_never_move(kit):
    """No tie, blocked, or nothing today: the tie stays, even with every chance at 1."""
    w = _world(kit, 8, bond_per_interaction=1.0, bond_per_content=1.0, erode_per_sale=1.0, erode_per_push=1.0)
    w.set("tie", 0, [1, 2, 3, 4], [NO_TIE, WEAK, STRONG, STRANGER])
    w.set("blocked", 0, [2], True)
    w.set("replied", 0, [1, 2], True)
    w.set("in_group", 0, [1], True)
    w.set("engaged", 0, [1], True)
    _move(w, [1])
    np.testing.assert_array_equal(w.get("tie")[0, 1:5], [NO_TIE, WEAK, STRONG, STRANGER])
    assert w.flows[FLOW.ties_strengthened, 0] == w.flows[FLOW.ties_weakened, 0] == 0


def _market(seed=0, **ties):
    return RunConfig.model_validate({
        "days": 90, "seed": seed, "network": {"kind": "friend_circles", "n": 1500},
        "sellers": {"c": {"strategy": "community"}, "s": {"strategy": "spam"}}, "ties": ties})


OFF = {"bond_per_interaction": 0.0, "bond_per_content": 0.0, "erode_per_sale": 0.0, "erode_per_push": 0.0}


def test_with_all_rates_zero_ties_never_change():
    model = ViralModel(_market(**OFF), collect=False)
    m0 = model.state.n_relations
    start = model.state.rel.tie[:m0].copy()
    r = model.run().result()
    assert (model.state.rel.tie[:m0][start > NO_TIE] == start[start > NO_TIE]).all()
    assert r.summary.ties_strengthened.sum() == 0 and r.summary.ties_weakened.sum() == 0


def test_in_a_run_the_flows_account_for_the_stocks():
    """Over a run, each seller's sum of tie codes over her contacts changes by her ups minus her
    downs plus one per new contact (every new contact starts as a stranger contact, code 1), and
    the summary's strong and weak ties are the end state's counts over followers."""
    model = ViralModel(_market(seed=1), collect=False)
    st = model.state
    m0 = st.n_relations
    rel = st.rel
    tied0 = (rel.tie[:m0] > NO_TIE)
    sum0 = np.bincount(rel.seller[:m0][tied0], rel.tie[:m0][tied0].astype(np.int64), 2)
    count0 = np.bincount(rel.seller[:m0][tied0], minlength=2)
    r = model.run().result()
    rel = model.state.rel
    m = model.state.n_relations
    tied = rel.tie[:m] > NO_TIE
    sum1 = np.bincount(rel.seller[:m][tied], rel.tie[:m][tied].astype(np.int64), 2)
    count1 = np.bincount(rel.seller[:m][tied], minlength=2)
    s = r.summary.set_index("seller").loc[["c", "s"]]
    assert (s.ties_strengthened > 0).all() and (s.ties_weakened > 0).all()
    net = (s.ties_strengthened - s.ties_weakened).to_numpy()
    np.testing.assert_array_equal(sum1 - sum0, net + (count1 - count0) * STRANGER)
    alive = tied & ~rel.blocked[:m]
    for j, name in enumerate(("c", "s")):
        mine = alive & (rel.seller[:m] == j)
        assert s.strong_ties[name] == (rel.tie[:m][mine] == STRONG).sum()
        assert s.weak_ties[name] == (rel.tie[:m][mine] == WEAK).sum()
