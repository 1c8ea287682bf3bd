"""Seller-initiated contact: adding strangers, direct messages, answering enquiries."""

from __future__ import annotations

import numpy as np

from viralsim._rng import stochastic_round
from viralsim.config.schema import PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules.purchase import trust_gate
from viralsim.model.rules._util import lower_toward_zero, raise_toward_one, sample_without_replacement
from viralsim.model.state import NO_TIE, STRANGER, Day, State


def add_strangers(state: State, plan: DayPlan, *, rng: np.random.Generator) -> int:
    """The seller adds ``plan.strangers`` random non-contacts as stranger contacts (海量添加好友).

    New contacts get the stranger tie: their trust baseline is the stranger prior (seed 000 L113:
    friends are trusted far more than strangers) and they now see the seller's Moments. Mass
    adding inflates followers without buyers (seed 000 L137, L245). Candidates are drawn by
    rejection sampling, so the cost does not grow with the population.

    Returns the number added. Modifies: ``state.tie``, ``state.aware``.
    """
    s, k = plan.index, plan.strangers
    if k <= 0:
        return 0
    added = np.empty(0, dtype=np.int64)
    for _ in range(20):
        draw = rng.integers(0, state.n, size=2 * (k - len(added)) + 8)
        ok = state.is_consumer[draw] & (state.tie[s, draw] == NO_TIE)
        draw = np.unique(draw[ok])
        draw = np.setdiff1d(draw, added)
        added = np.concatenate([added, rng.permutation(draw)[: k - len(added)]])
        if len(added) >= k:
            break
    state.tie[s, added] = STRANGER
    state.aware[s, added] = True
    return len(added)


def send_messages(state: State, day: Day, plan: DayPlan, *, rng: np.random.Generator) -> int:
    """Direct sales messages to contacts: to anyone (push) or only to those with a need.

    Push-to-all treats the contact list as a broadcast list (seed 001 L23, L54); need-triggered
    contact answers a need the consumer has shown (seed 001 L23, L30; seed 003 L187). Messages
    arrive even when the Moments are muted (muting hides posts, not chats). Need-triggered
    messages are marked ``solicited``: they annoy less (rules.annoyance).

    Returns messages sent. Modifies: ``day.messages``, ``day.solicited``, ``day.touched``,
    ``state.aware``.
    """
    s, k = plan.index, plan.messages
    if k <= 0:
        return 0
    pool = (state.tie[s] > NO_TIE) & ~state.blocked[s]
    need_triggered = plan.strategy.contact == "need"
    if need_triggered:
        pool &= state.need
    to = sample_without_replacement(np.flatnonzero(pool), k, rng)
    day.messages[s, to] += 1
    day.solicited[s, to] = need_triggered
    day.touched[s, to] = True
    state.aware[s, to] = True
    return len(to)


def answer_enquiries(state: State, day: Day, plan: DayPlan, purchase: PurchaseParams,
                     trust: TrustParams, *, rng: np.random.Generator) -> tuple[int, int]:
    """Consumers with a need who saw the seller's content today ask; the seller answers some.

    P(enquire) = enquiry_prob x G_T(T) (trust gates engagement, seed 004 L17; G_T as for
    purchases, rules.purchase.trust_gate). The seller answers up
    to ``service_capacity`` enquiries a day (seed 001 L32: one-to-one replies; seed 002 L283:
    service that cannot keep up). Answered: T + g_reply (1 - T), and the answer is a strong
    purchase stimulus (seed 001 L30). Unanswered: T (1 - l_unanswered).

    Returns (enquiries, replies). Modifies: ``day.replied``, ``state.trust``.
    """
    s = plan.index
    # An unsolicited pitch is mostly discarded unread (seed 001 L24) and a personal-life post is
    # not about the product, so neither prompts a question; product posts, group posts and a
    # solicited message do.
    prompted = day.saw_posts[s] | day.solicited[s]
    cand = np.flatnonzero(prompted & state.need & ~state.blocked[s])
    if len(cand) == 0:
        return 0, 0
    gated = trust.enabled and purchase.trust_gating
    p = purchase.enquiry_prob * (trust_gate(state.trust[s, cand], purchase) if gated else 1.0)
    asking = cand[rng.random(len(cand)) < p]
    capacity = stochastic_round(plan.strategy.service_capacity, rng)
    answered = sample_without_replacement(asking, capacity, rng)
    day.replied[s, answered] = True
    if trust.enabled:
        state.trust[s, answered] = raise_toward_one(state.trust[s, answered], trust.gain_reply)
        ignored = np.setdiff1d(asking, answered, assume_unique=True)
        state.trust[s, ignored] = lower_toward_zero(state.trust[s, ignored], trust.loss_unanswered)
    return len(asking), len(answered)
