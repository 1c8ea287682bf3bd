"""Deliberately broken rules ("mutants") for the power demonstration of the docking tests.

Each mutant changes one rule of one engine, the way a plausible implementation slip would, and
names the configuration (and, for one-day docking, the day) on which the rule matters. The
docking tests must then fail. A mutant is applied as a context manager that patches a module
attribute the engine looks up at call time, so worker processes forked inside it inherit it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

from viralsim.model import reference
from viralsim.model.rules import annoyance as fast_annoyance
from viralsim.model.rules import bonds as fast_bonds
from viralsim.model.rules import follow as fast_follow
from viralsim.model.rules import needs as fast_needs
from viralsim.model.rules import purchase as fast_purchase
from viralsim.model.rules import relax as fast_relax
from viralsim.model.rules import resell as fast_resell
from viralsim.model.rules import ties as fast_ties
from viralsim.model.rules import trust as fast_trust
from viralsim.model.rules._util import half_life_factor


@dataclass(frozen=True)
class Mutant:
    name: str
    engine: str                 # the engine whose rule is broken
    config: str                 # docking configuration on which the rule matters
    day: int                    # common-state day for one-day docking
    description: str
    patch: Callable[[], contextlib.AbstractContextManager]
    #: for one-day docking: the rule acts on the first common state from ``day`` on for which
    #: ``ready(model)`` holds (None: on day ``day`` itself)
    ready: Callable[[object], bool] | None = None


def _wrap(module, make: Callable):
    """Patch the fast engine's rule ``module`` so that its ``prepare`` returns ``make(config, params)``.

    A fast rule's run constants come from its ``prepare(config)``, which the model calls when it
    is built (``viralsim.model.pipeline.prepare``): a wrong constant there is a wrong rule.
    """
    original = module.prepare
    return mock.patch.object(module, "prepare", lambda config: make(config, original(config)))


def reference_brand_never_devalues():
    """The big-V's brand stays at 1 whatever she posts (the plan no longer costs her brand)."""
    original = reference.SellerAgent.make_plan

    def make_plan(self):
        brand = self.brand
        original(self)
        self.brand = brand
    return mock.patch.object(reference.SellerAgent, "make_plan", make_plan)


# -- the fast engine ---------------------------------------------------------------------------

def fast_double_value_gain():
    return _wrap(fast_trust, lambda c, p: p._replace(
        g_value=min(1.0, 2 * p.g_value),
        g_group=min(1.0, 2 * c.trust.gain_value * c.trust.group_gain_multiplier)))


def fast_referral_decays_twice_as_fast():
    return _wrap(fast_relax, lambda c, p: p._replace(f_referral=half_life_factor(c.wom.referral_half_life / 2)))


def fast_no_novelty():
    """ν = 0 in both places the novelty acts (ads in the stimulus, impulse wants)."""
    return _both(
        _wrap(fast_purchase, lambda c, p: p._replace(novelty=0.0)),
        _wrap(fast_needs, lambda c, p: p._replace(novelty=0.0)))


@contextlib.contextmanager
def _both(a, b):
    with a, b:
        yield


def reference_face_gated_like_a_want():
    """The face chance gated by today's trust and annoyance, as the want is, not by the tie's trust."""
    original = reference.ConsumerAgent.face

    def face(self, seller):
        rel = self.relations[seller.index]
        c = self.model.config
        f = original(self, seller)
        t0 = reference.trust_gate(rel.baseline, c.purchase)
        if f <= 0 or t0 <= 0:
            return f
        # (scaled so that p_face = G_T(T) G_A(A) min(1, pf F) for F below 1)
        return f * reference.trust_gate(rel.trust, c.purchase) * reference.annoyance_gate(rel.annoyance,
                                                                                          c.annoyance) / t0
    return mock.patch.object(reference.ConsumerAgent, "face", face)


def fast_no_spillover():
    return _wrap(fast_annoyance, lambda c, p: p._replace(spill=0.0))


def fast_buyers_never_follow():
    """The old rule for buyers: a satisfied buyer without a tie never adds the seller."""
    return _wrap(fast_follow, lambda c, p: p._replace(purchase=0.0))


def fast_trust_half_life_shorter():
    return _wrap(fast_relax, lambda c, p: p._replace(f_trust=half_life_factor(0.75 * c.trust.half_life)))


def fast_mutes_never_lift():
    """Muting is permanent again: the unmute hazard's maximum u_max is 0."""
    return _wrap(fast_ties, lambda c, p: p._replace(unmute_max=0.0))


def fast_ties_never_erode():
    """Selling never cools a friendship: no step down for sales or hard pushes (l_s = l_p = 0)."""
    return _wrap(fast_bonds, lambda c, p: p._replace(l_sale=0.0, l_push=0.0))


# -- the reference engine ----------------------------------------------------------------------

def reference_no_annoyance_gate():
    return mock.patch.object(reference, "annoyance_gate", lambda annoyance, params: 1.0)


def reference_no_wear_out():
    return mock.patch.object(reference, "wear_out", lambda seen, memory, params: float(seen))


def reference_needs_lapse_twice_as_fast():
    def update_need(self):
        p = self.model.config.purchase
        if p.always_need:
            self.need = True
        elif self.need:
            if self.model.rng.random() < 2.0 / p.need_duration:      # mutated: 1 / d
                self.need = False
        elif self.model.rng.random() < p.need_rate:
            self.need = True
    return mock.patch.object(reference.ConsumerAgent, "update_need", update_need)


def reference_mute_hazard_up():
    return mock.patch.object(reference, "hill", lambda x, threshold, steepness: min(
        1.0, 1.5 * x ** steepness / (x ** steepness + threshold ** steepness)))


def reference_followers_ignore_trust():
    """Following without the trust gate: P(follow) = f instead of f G_T(T)."""
    def maybe_follow(self, consumer, f, channel):
        rel = self.relation(consumer)
        if f <= 0 or rel.tie != reference.NO_TIE or self.room <= 0:
            return
        if self.model.rng.random() < f:                              # mutated: f x G_T(T)
            rel.tie = reference.STRANGER
            rel.aware = True
            self.room -= 1
            self.flows["new_followers"] += 1
            self.model.add_breakdown(self.index, "new_followers_by_channel", channel, 1)
    return mock.patch.object(reference.SellerAgent, "maybe_follow", maybe_follow)


def reference_weak_ties_bond_like_strangers():
    """A weak tie becomes strong as easily as a stranger contact becomes weak (f_strong ignored)."""
    original = reference.ConsumerAgent.tie_step

    def tie_step(self, s, bought):
        c = self.model.config
        self.model.config = c.model_copy(update={"ties": c.ties.model_copy(update={"strong_bond_factor": 1.0})})
        try:
            return original(self, s, bought)                          # mutated: f_strong = 1
        finally:
            self.model.config = c
    return mock.patch.object(reference.ConsumerAgent, "tie_step", tie_step)


def reference_tedium_ignored():
    """Ads annoy as if always fresh: tedium factor 1 instead of 1 + E / (E + E_w)."""
    original = reference.ConsumerAgent.get_annoyed

    def get_annoyed(self):
        saved = {s: rel.memory for s, rel in self.relations.items()}
        # E / (E + E_w) = 0 when E = 0: hide the memory while annoyance is added, then restore it.
        for rel in self.relations.values():
            rel.memory = 0.0
        original(self)
        for s, rel in self.relations.items():
            rel.memory += saved[s]
    return mock.patch.object(reference.ConsumerAgent, "get_annoyed", get_annoyed)


def reference_satisfaction_ignores_value():
    """Satisfaction from quality alone: u < q, as if the price were the reference price and the
    ads honest."""
    def judge_purchase(self, *, paid):
        delivered = self.product.quality - self.model.rng.random()
        return delivered > 0.0, -delivered                          # mutated: expectation 0
    return mock.patch.object(reference.SellerAgent, "judge_purchase", judge_purchase)


def reference_rupture_unbuffered():
    """Rupture not buffered by trust (nor so by tie strength): r_max min(1, gap)."""
    def maybe_break_tie(self, rel, trust_before, gap):
        r_max = self.model.config.ties.rupture_max
        if r_max > 0 and self.model.rng.random() < r_max * min(1.0, gap):      # mutated: x (1 - T) dropped
            rel.blocked = True
            rel.in_group = False
            self.flows["ties_broken"] += 1
            self.model.add_breakdown(self.index, "ties_broken_by_tie", rel.tie, 1)
    return mock.patch.object(reference.SellerAgent, "maybe_break_tie", maybe_break_tie)


def reference_group_buys_never_expire():
    """Group-buys stay open past their window until they fill (the deadline is never checked)."""
    original = reference.ReferenceModel.group_buys

    def group_buys(self):
        for group in self.open_groups:
            group.deadline = 10**9                                    # mutated: no deadline
        original(self)
    return mock.patch.object(reference.ReferenceModel, "group_buys", group_buys)


def reference_forwards_never_forwarded_again():
    """A friend's forward read is never forwarded on: cascades stop at the first generation."""
    original = reference.ConsumerAgent.forwards

    def forwards(self, seller):
        today = self.today[seller.index]
        read, today.seen_forward = today.seen_forward, 0                # mutated: p_fwd never applies
        try:
            return original(self, seller)
        finally:
            today.seen_forward = read
    return mock.patch.object(reference.ConsumerAgent, "forwards", forwards)


def loaded_reseller_due(model) -> bool:
    """Some reseller of the model's state is loaded on its next day (rules.resell): she quits
    then, whatever that day's draws, unless the rule is broken."""
    st = model.state
    return any(fast_resell._loaded(st.sellers, st.rel, st.rel.seller[r], r, model.steps)
               for r in range(st.n_relations))


def reference_loaded_resellers_never_quit():
    """Resellers keep reselling however long their stock lies unsold (the patience is never checked)."""
    return mock.patch.object(reference.SellerAgent, "quit_loaded", lambda self: None)


def fast_fatigue_fades_like_a_mute():
    """The fatigue stock decays with the unmute half-life instead of its own (a parameter slip)."""
    return _wrap(fast_ties, lambda config, p: p._replace(f_fatigue=half_life_factor(config.ties.unmute_half_life)))


MUTANTS = {m.name: m for m in (
    Mutant("fast: trust gain per value post doubled", "fast", "community", 20,
           "trust.gain_from_content with 2 g_v", fast_double_value_gain),
    Mutant("fast: referral pull half-life halved", "fast", "kol", 3,
           "relax.decay_stocks with h_R / 2", fast_referral_decays_twice_as_fast),
    # day 3: at the calibrated feed a consumer reads a fifth of the ads she read at 60 posts a
    # day, and by day 10 novelty has habituated (2^(-9/7)); at day 10 the mutant went undetected
    Mutant("fast: no novelty", "fast", "boom", 3,
           "purchase and needs with ν = 0 (new sellers' ads no more attractive)", fast_no_novelty),
    Mutant("reference: face gated like a want", "reference", "boom", 10,
           "p_face with G_T(T) G_A(A) instead of G_T(T_0)", reference_face_gated_like_a_want),
    Mutant("fast: no load spillover", "fast", "spam+community", 10,
           "annoyance.add_annoyance without the spillover term", fast_no_spillover),
    Mutant("fast: trust half-life 60 -> 45 days", "fast", "community", 20,
           "relax.relax_trust with 0.75 h", fast_trust_half_life_shorter),
    Mutant("fast: mutes never lifted", "fast", "spam_quiet", 40,
           "ties.mute_and_block with u_max = 0 (no unmuting)", fast_mutes_never_lift),
    Mutant("fast: buyers never follow", "fast", "community", 59,
           "follow.follow_seller with after_purchase = 0 (the old rule for buyers)", fast_buyers_never_follow),
    Mutant("fast: ties never erode", "fast", "spam", 10,
           "bonds.move_ties with l_s = l_p = 0 (selling never cools a tie)", fast_ties_never_erode),
    Mutant("reference: annoyance gate dropped", "reference", "spam", 10,
           "G_A = 1 in the purchase decision", reference_no_annoyance_gate),
    Mutant("reference: no wear-out", "reference", "spam", 10,
           "W(X) = X in stimulus and impulses", reference_no_wear_out),
    Mutant("reference: needs lapse twice as fast", "reference", "community", 20,
           "lapse probability 2/d instead of 1/d", reference_needs_lapse_twice_as_fast),
    Mutant("reference: mute/block hazards x1.5", "reference", "spam", 10,
           "1.5 H(A) in both hazards", reference_mute_hazard_up),
    Mutant("reference: followers ignore trust", "reference", "community", 59,
           "P(follow) = f instead of f G_T(T)", reference_followers_ignore_trust),
    Mutant("reference: tedium ignored", "reference", "spam", 10,
           "ads annoy as if fresh (factor 1 instead of 1 + E/(E + E_w))", reference_tedium_ignored),
    Mutant("reference: weak ties bond like strangers", "reference", "community", 59,
           "weak to strong at the stranger's chances (f_strong = 1)", reference_weak_ties_bond_like_strangers),
    Mutant("reference: satisfaction ignores price and promise", "reference", "value", 50,
           "P(satisfied) = q instead of q - h - k_p ln(p / p_ref)", reference_satisfaction_ignores_value),
    Mutant("reference: rupture not buffered by trust", "reference", "value", 50,
           "P(rupture) = r_max min(1, gap) instead of r_max min(1, gap) (1 - T)", reference_rupture_unbuffered),
    # day 25: three groups are due that day at the calibrated defaults (on day 27, none is open)
    Mutant("reference: group-buys never expire", "reference", "group_buy", 25,
           "an unfilled group stays open past its window", reference_group_buys_never_expire),
    # from day 20 (resellers recruited in the first days have held unsold stock for 10 days), the
    # first state on which a reseller is due: a handful of resellers at n = 400, so on a fixed day
    # none may be due (as on day 20 of one draw order), and the broken rule would not act
    Mutant("reference: loaded resellers never quit", "reference", "resell", 20,
           "stock that does not sell never makes a reseller quit", reference_loaded_resellers_never_quit,
           ready=loaded_reseller_due),
    Mutant("reference: the brand never devalues", "reference", "big_v", 20,
           "B stays 1 instead of B (1 - d)^k after k commercial posts", reference_brand_never_devalues),
    Mutant("reference: forwards never forwarded again", "reference", "forward", 10,
           "p_fwd = 0 (a cascade of forwards stops at its first generation)",
           reference_forwards_never_forwarded_again),
    Mutant("fast: fatigue fades with the unmute half-life", "fast", "fatigue", 20,
           "ties.tire with 2^(-1/h_u) (60 days) instead of 2^(-1/h_F) (30 days)", fast_fatigue_fades_like_a_mute),
)}
