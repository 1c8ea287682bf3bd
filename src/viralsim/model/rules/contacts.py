"""Seller-initiated contact: adding strangers, direct messages, answering enquiries."""

from __future__ import annotations

import numpy as np

from viralsim._jit import below, kernel, seeded, stream, uniform
from viralsim._rng import stochastic_round
from viralsim.config.schema import PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.state import NO_TIE, STRANGER, Day, State


def add_strangers(state: State, plan: DayPlan, *, rng: np.random.Generator) -> int:
    """The seller adds ``plan.strangers`` random non-contacts as stranger contacts (海量添加好友).

    New contacts get the stranger tie: their trust baseline is the stranger prior (seed 000 L113:
    friends are trusted far more than strangers) and they now see the seller's Moments. Mass
    adding inflates followers without buyers (seed 000 L137, L245). Candidates are drawn by
    rejection sampling, so the cost does not grow with the population.

    Returns the number added. Modifies: ``state.tie``, ``state.aware``.
    """
    if plan.strangers <= 0:
        return 0
    return _add_strangers_kernel(state.tie, state.aware, state.is_consumer, plan.index,
                                 plan.strangers, stream(rng))


@kernel
def _add_strangers_kernel(tie, aware, is_consumer, s, k, words):
    """Up to 20 rounds of uniform draws; an untied consumer drawn becomes a stranger contact."""
    rs = seeded(words)
    n = tie.shape[1]
    added = 0
    # The first k distinct eligible draws are a uniform k-subset of the eligible consumers. A
    # draw is tied as soon as it is accepted, so a repeat is rejected like any other contact.
    for _ in range(20):
        for _ in range(2 * (k - added) + 8):
            i = below(n, rs)
            if is_consumer[i] and tie[s, i] == NO_TIE:
                tie[s, i] = STRANGER
                aware[s, i] = True
                added += 1
                if added == k:
                    return added
    return added


def send_messages(state: State, day: Day, plan: DayPlan, *, rng: np.random.Generator) -> int:
    """Direct sales messages to contacts: to anyone (push) or only to those with a need.

    Push-to-all treats the contact list as a broadcast list (seed 001 L23, L54); need-triggered
    contact answers a need the consumer has shown (seed 001 L23, L30; seed 003 L187). Messages
    arrive even when the Moments are muted (muting hides posts, not chats). Need-triggered
    messages are marked ``solicited``: they annoy less (rules.annoyance).

    Returns messages sent. Modifies: ``day.messages``, ``day.solicited``, ``day.touched``,
    ``state.aware``.
    """
    if plan.messages <= 0:
        return 0
    return _send_messages_kernel(state.tie, state.blocked, state.need, plan.index, plan.messages,
                                 plan.strategy.contact == "need", day.messages, day.solicited,
                                 day.touched, state.aware, stream(rng))


@kernel
def _send_messages_kernel(tie, blocked, need, s, k, need_triggered, messages, solicited, touched,
                          aware, words):
    """Collect the pool of contacts, then message k of them drawn without replacement."""
    rs = seeded(words)
    n = tie.shape[1]
    pool = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if tie[s, i] > NO_TIE and not blocked[s, i] and (need[i] or not need_triggered):
            pool[m] = i
            m += 1
    k = min(k, m)
    for j in range(k):
        r = j + below(m - j, rs)        # partial Fisher-Yates: pool[:k] is a uniform k-subset
        pool[j], pool[r] = pool[r], pool[j]
        i = pool[j]
        messages[s, i] += 1
        solicited[s, i] = need_triggered
        touched[s, i] = True
        aware[s, i] = True
    return k


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
    gated = trust.enabled and purchase.trust_gating
    h = purchase.trust_steepness
    capacity = stochastic_round(plan.strategy.service_capacity, rng)
    # An unsolicited pitch is mostly discarded unread (seed 001 L24) and a personal-life post is
    # not about the product, so neither prompts a question; product posts, group posts and a
    # solicited message do (the kernel's candidates).
    asked, answered = _answer_enquiries_kernel(
        day.saw_posts, day.solicited, state.need, state.blocked, state.trust, plan.index,
        purchase.enquiry_prob, gated, h, purchase.trust_half ** h, capacity, trust.enabled,
        trust.gain_reply, trust.loss_unanswered, day.replied, stream(rng))
    return int(asked), int(answered)


@kernel
def _answer_enquiries_kernel(saw_posts, solicited, need, blocked, trust, s, enquiry_prob, gated,
                             h, half_h, capacity, trust_on, gain_reply, loss_unanswered, replied,
                             words):
    """Prompted consumers with a need ask; a random subset up to capacity is answered."""
    rs = seeded(words)
    n = need.shape[0]
    asking = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if need[i] and (saw_posts[s, i] or solicited[s, i]) and not blocked[s, i]:
            p = enquiry_prob
            if gated:
                # G_T(T) = T^h / (T^h + T_half^h), as rules.purchase.trust_gate; 0/0 (T = T_half
                # = 0) is NaN there, which never passes the draw.
                th = trust[s, i] ** h
                p = p * (th / (th + half_h)) if th + half_h > 0.0 else 0.0
            if uniform(rs) < p:
                asking[m] = i
                m += 1
    answered = min(capacity, m)
    for j in range(answered):
        r = j + below(m - j, rs)        # partial Fisher-Yates: a uniform subset is answered
        asking[j], asking[r] = asking[r], asking[j]
        replied[s, asking[j]] = True
    if trust_on:
        for j in range(answered):
            i = asking[j]
            trust[s, i] = 1.0 - (1.0 - trust[s, i]) * (1.0 - gain_reply)
        for j in range(answered, m):
            i = asking[j]
            trust[s, i] = trust[s, i] * (1.0 - loss_unanswered)
    return m, answered

