"""Annoyance: a fast stock fed by commercial exposures; ads wear out (two-factor theory)."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import AnnoyanceParams, TrustParams
from viralsim.model.state import NO_TIE, Day, State


def effective_ads(seen: np.ndarray, memory: np.ndarray, params: AnnoyanceParams) -> np.ndarray:
    """Persuasive ads among ``seen`` new ones after ``memory`` recent ones (wear-out).

    The k-th recent ad persuades 1 / (1 + k / E_w) as much as a fresh one; integrating over the
    X ads seen today on top of E recent ones gives E_w ln((E_w + E + X) / (E_w + E)), about X
    for X + E << E_w and growing only logarithmically beyond. Wear-in/wear-out (Berlyne 1970;
    Pechmann & Stewart 1988); specific ads wear out after 3-10 exposures (Batra & Ray 1986),
    hence E_w = ``wearout_exposures`` (default 10, the upper end: spammers vary their images). Equal to X when annoyance is switched off.
    """
    if not params.enabled:
        return seen.astype(float)
    ew = params.wearout_exposures
    return ew * np.log1p(seen / (ew + memory))


def tedium(memory: np.ndarray, params: AnnoyanceParams) -> np.ndarray:
    """Irritation multiplier of an ad after E recent ones: 1 + E / (E + E_w), from 1 up to 2."""
    return 1.0 + memory / (memory + params.wearout_exposures)


def add_annoyance(state: State, day: Day, annoyance: AnnoyanceParams, trust: TrustParams) -> None:
    """Today's exposures raise annoyance; annoyance erodes trust; exposure memory grows.

    For seller s and consumer i, with today's seen counts X and recent-ad memory E:

        dA = [ (w_ad X_ad + w_prize X_prize + w_ad X_resold) (1 + (f_idle - 1) share_idle)
               x (1 + E / (E + E_w))
               + w_value (X_value + X_group) + w_life X_life
               + w_msg M (f_sol if the message answered a need else 1) ]
             x (1 + f_low (1 - T))
             + spill x w_ad x (ads seen today from other sellers, if i follows s)

    (share_idle: the share of the seller's own ads seen in the idle slot; resellers' ads count
    as busy-slot ads.) Hard ads and promotions annoy (seed 000 L239-241), more at low trust
    (seed 001 L34), more in idle time (seed 003 L133), more after many recent ads (tedium); unsolicited messages are
    harassment, answers to a need are not (seed 001 L23); all commercial load irritates
    (seed 003 L321). Then each unwanted contact K (ads, prize posts, reseller ads, unsolicited
    messages) erodes trust: T <- T (1 - lambda A / (A + A_half))^K ("selling before trust"
    backfires, seed 001 L34). Finally E += X_ad + X_prize + X_resold.
    Runs after the purchase decision: today's irritation weighs on tomorrow.

    Modifies: ``state.annoyance``, ``state.trust``, ``state.memory``.
    """
    w = annoyance
    # Only consumers touched today change, so work on their indices, not on whole rows.
    touched = [day.touched_idx(s) for s in range(state.n_sellers)]
    ads = [(day.seen_ad[s, idx] + day.seen_prize[s, idx] + day.seen_reseller[s, idx]).astype(float)
           for s, idx in enumerate(touched)]
    for s, idx in enumerate(touched):
        if w.enabled and len(idx):
            mem = state.memory[s, idx]
            hard = (w.weight_ad * (day.seen_ad[s, idx] + day.seen_reseller[s, idx])
                    + w.weight_prize * day.seen_prize[s, idx])
            hard_idle = w.weight_ad * day.seen_ad_idle[s, idx] + w.weight_prize * day.seen_prize_idle[s, idx]
            hard = (hard + (w.idle_ad_factor - 1.0) * hard_idle) * tedium(mem, w)
            soft = (w.weight_value * (day.seen_value[s, idx] + day.group_seen[s, idx])
                    + w.weight_life * day.seen_life[s, idx])
            msg_factor = np.where(day.solicited[s, idx], w.solicited_factor, 1.0)
            msgs = w.weight_message * day.messages[s, idx] * msg_factor
            low_trust = 1.0 + w.low_trust_factor * (1.0 - state.trust[s, idx])
            state.annoyance[s, idx] += (hard + soft + msgs) * low_trust
        state.memory[s, idx] += ads[s]
    if w.enabled and w.load_spillover > 0:
        # Seller r's ads irritate the consumer toward every other seller s she follows.
        for r, idx in enumerate(touched):
            for s in range(state.n_sellers):
                if s != r and len(idx):
                    follows = (state.tie[s, idx] > NO_TIE) & ~state.blocked[s, idx]
                    state.annoyance[s, idx] += w.load_spillover * w.weight_ad * ads[r] * follows
    if w.enabled and trust.enabled and trust.loss_per_unwanted > 0:
        for s, idx in enumerate(touched):
            unwanted = ads[s] + day.messages[s, idx] * ~day.solicited[s, idx]
            hit = unwanted > 0
            idx, unwanted = idx[hit], unwanted[hit]
            a = state.annoyance[s, idx]
            state.trust[s, idx] *= (1.0 - trust.loss_per_unwanted * a / (a + w.half_effect)) ** unwanted
