"""rules.face: pushed days, novelty and face-saving purchases (as rules.needs and rules.purchase use them)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model import relations
from viralsim.model.outputs import CHANNEL
from viralsim.model.relations import STRANGER, STRONG, WEAK
from viralsim.model.rules import face, needs
from viralsim.model.rules import purchase as pu


def _rows(w, s, nodes) -> np.ndarray:
    nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    rel = w.keep(relations.reserve(w.rel, len(nodes)))
    return np.array([relations.add_row(rel.index, rel.meta, rel.seller, rel.node, s, v) for v in nodes.tolist()],
                    dtype=np.int64)


def _buy(w):
    w.views()
    n = w.state.n
    rows, chans = np.empty(n, np.int64), np.empty(n, np.int64)
    k = pu.make_purchases(w.key, w.today, w.params.purchase, w.people, w.sellers, w.rel, rows, chans)
    return w.rel.node[rows[:k]], chans[:k]


def test_pushed_days_count_the_sellers_own_ads_prize_posts_and_messages(kit):
    """D grows by one on a day with the seller's own ad, prize post or message; value or life
    posts and friends' reseller ads do not push. D_any of a consumer grows by one a day however
    many sellers pushed her."""
    w = kit.world(kit.config(n_sellers=2), kit.empty(9), sellers=(0, 8))
    r = _rows(w, 0, np.arange(1, 8))
    for name, node in (("seen_ad", 1), ("seen_prize", 2), ("messages", 3), ("seen_value", 4), ("seen_life", 5),
                       ("seen_reseller", 6)):
        getattr(w.rel, name)[r[node - 1]] = 3
    w.rel.pushed[r[0]] = 5
    r1 = _rows(w, 1, [1, 7])
    w.rel.seen_ad[r1] = 1
    w.people.pushed[1] = 5
    face.count_pushes(w.people, w.rel)
    np.testing.assert_array_equal(w.rel.pushed[r], [6, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(w.rel.pushed[r1], [1, 1])
    np.testing.assert_array_equal(w.people.pushed[1:8], [6, 1, 1, 0, 0, 0, 1])


def test_novelty_halves_every_half_life_of_pushed_days():
    f = 2.0 ** (-1.0 / 7.0)
    assert face.novelty(1.0, f, 0) == 1.0                   # never pushed: no boost yet
    assert face.novelty(1.0, f, 1) == 2.0                   # first pushed day: 1 + ν
    assert face.novelty(1.0, f, 8) == pytest.approx(1.5)   # one half-life later
    assert face.novelty(0.0, f, 1) == 1.0                   # ν = 0: off


def test_face_stimulus_needs_a_friend_pushed_today_who_never_bought():
    args = (0.01, 0.003, 14.0)
    assert face.face_stimulus(*args, STRONG, False, 0, True, 14) == pytest.approx(0.005)
    assert face.face_stimulus(*args, WEAK, False, 0, True, 14) == pytest.approx(0.0015)
    assert face.face_stimulus(*args, STRANGER, False, 0, True, 14) == 0.0     # strangers owe no face
    assert face.face_stimulus(*args, STRONG, True, 0, True, 14) == 0.0        # muted
    assert face.face_stimulus(*args, STRONG, False, 1, True, 14) == 0.0       # goodwill spent
    assert face.face_stimulus(*args, STRONG, False, 0, False, 14) == 0.0      # not pushed today


def test_face_purchases_without_need_follow_the_formula(kit):
    """Friends with no need and no impulse, pushed today by one message on their D-th pushed day,
    eroded trust and high annoyance: P(buy) = G_T(T_0) min(1, pf F), F = φ D / (D + D_½), all in
    the face channel (T_0 the tie's baseline; neither the eroded trust nor annoyance gates it)."""
    n, d = 40_001, 10
    cfg = kit.config(purchase={"face_strong": 0.3, "face_weak": 0.1, "face_half_days": 10.0,
                               "message_conversion": 0.0, "trust_half": 0.5})
    w = kit.world(cfg, kit.empty(n), need=False)
    nodes = np.arange(1, n)
    r = _rows(w, 0, nodes)
    strong = nodes % 2 == 0
    w.rel.tie[r] = np.where(strong, STRONG, WEAK)
    w.rel.baseline[r] = np.where(strong, 0.8, 0.5)
    w.rel.trust[r] = 0.05
    w.rel.annoyance[r] = 1e6
    w.rel.messages[r] = 1
    w.rel.touched[r] = True
    w.rel.pushed[r] = d
    buyers, chans = _buy(w)
    assert np.all(chans == CHANNEL.face)
    gate = lambda t: t ** 2 / (t ** 2 + 0.25)  # noqa: E731
    for mask, phi, t0 in ((strong, 0.3, 0.8), (~strong, 0.1, 0.5)):
        p = gate(t0) * phi * d / (d + 10.0)
        observed = np.isin(nodes[mask], buyers).mean()
        kit.within(observed, p, kit.binom_sd(p, int(mask.sum())))
    assert not w.people.sated[1:].all() and w.people.sated[buyers].all()


def test_face_adds_to_a_want_as_an_independent_chance(kit):
    """With a need: p = 1 - (1 - p_want)(1 - p_face); the channel is face with probability
    p_face / (p_want + p_face)."""
    n, d = 40_001, 10
    cfg = kit.config(purchase={"face_strong": 0.4, "face_half_days": 10.0, "message_conversion": 0.3},
                     trust={"enabled": False}, annoyance={"enabled": False})
    w = kit.world(cfg, kit.empty(n), need=True)
    r = _rows(w, 0, np.arange(1, n))
    w.rel.tie[r] = STRONG
    w.rel.messages[r] = 1
    w.rel.touched[r] = True
    w.rel.pushed[r] = d
    buyers, chans = _buy(w)
    p_want, p_face = 0.3, 0.4 * 0.5
    p = 1.0 - (1.0 - p_want) * (1.0 - p_face)
    kit.within(len(buyers) / (n - 1), p, kit.binom_sd(p, n - 1))
    share = p_face / (p_want + p_face)
    kit.within(np.mean(chans == CHANNEL.face), share, kit.binom_sd(share, len(buyers)))


def test_novelty_raises_impulses_by_its_factor(kit):
    """Impulse wants of consumers pushed on D_any days: P = 1 - exp(-k N(D_any) X) for the
    seller's own ads (annoyance off, so W(X) = X); the relation's own D plays no part."""
    n, d = 100_001, 8
    cfg = kit.config(purchase={"impulse_per_ad": 0.05, "novelty_boost": 1.0, "novelty_half_life": 7.0},
                     annoyance={"enabled": False})
    w = kit.world(cfg, kit.empty(n), need=False)
    r = _rows(w, 0, np.arange(1, n))
    w.rel.seen_ad[r] = 2
    w.rel.touched[r] = True
    w.people.pushed[:] = d
    w.rel.pushed[r] = 1
    w.views()
    k = needs.impulse_needs(w.key, w.today, w.params.needs, w.people, w.rel)
    p = 1.0 - np.exp(-0.05 * 1.5 * 2)
    kit.within(k / (n - 1), p, kit.binom_sd(p, n - 1))
