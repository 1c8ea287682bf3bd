"""Annoyance: a fast stock fed by commercial exposures; ads wear out (two-factor theory)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel
from viralsim.config.schema import AnnoyanceParams, TrustParams
from viralsim.model.state import NO_TIE, Day, State


@kernel
def wear_out(seen, memory, wearout):
    """E_w ln(1 + X / (E_w + E)): the formula of :func:`effective_ads` (compiled for kernels,
    ``wear_out.py_func`` is the same code on NumPy arrays)."""
    return wearout * np.log1p(seen / (wearout + memory))


@kernel
def tedium_factor(memory, wearout):
    """1 + E / (E + E_w): the formula of :func:`tedium` (compiled for kernels,
    ``tedium_factor.py_func`` is the same code on NumPy arrays)."""
    return 1.0 + memory / (memory + wearout)


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
    return wear_out.py_func(seen, memory, params.wearout_exposures)


def tedium(memory: np.ndarray, params: AnnoyanceParams) -> np.ndarray:
    """Irritation multiplier of an ad after E recent ones: 1 + E / (E + E_w), from 1 up to 2."""
    return tedium_factor.py_func(memory, params.wearout_exposures)


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
    erode = w.enabled and trust.enabled and trust.loss_per_unwanted > 0
    _add_annoyance_kernel(
        day.touched, day.seen_ad, day.seen_prize, day.seen_reseller, day.seen_ad_idle,
        day.seen_prize_idle, day.seen_value, day.group_seen, day.seen_life, day.messages,
        day.solicited, state.tie, state.blocked, state.trust, state.annoyance, state.memory,
        w.enabled, w.weight_ad, w.weight_prize, w.weight_value, w.weight_life, w.weight_message,
        w.solicited_factor, w.low_trust_factor, w.idle_ad_factor, w.wearout_exposures,
        w.load_spillover, erode, trust.loss_per_unwanted, w.half_effect)


@kernel
def _add_annoyance_kernel(touched, seen_ad, seen_prize, seen_reseller, seen_ad_idle, seen_prize_idle,
                          seen_value, group_seen, seen_life, messages, solicited, tie, blocked,
                          trust, annoyance, memory, enabled, w_ad, w_prize, w_value, w_life, w_msg,
                          f_sol, f_low, f_idle, wearout, spill, erode, loss, half_effect):
    """Per seller: own increment and memory; then spillover from other sellers; then erosion."""
    n_s, n = touched.shape
    # One scan of each row collects the touched consumers; the later passes visit only them.
    idx = np.empty((n_s, n), dtype=np.int64)
    count = np.zeros(n_s, dtype=np.int64)
    for s in range(n_s):
        for i in range(n):
            if not touched[s, i]:
                continue
            idx[s, count[s]] = i
            count[s] += 1
            if enabled:
                hard = w_ad * (seen_ad[s, i] + seen_reseller[s, i]) + w_prize * seen_prize[s, i]
                hard_idle = w_ad * seen_ad_idle[s, i] + w_prize * seen_prize_idle[s, i]
                hard = (hard + (f_idle - 1.0) * hard_idle) * tedium_factor(memory[s, i], wearout)
                soft = w_value * (seen_value[s, i] + group_seen[s, i]) + w_life * seen_life[s, i]
                msgs = w_msg * messages[s, i] * (f_sol if solicited[s, i] else 1.0)
                annoyance[s, i] += (hard + soft + msgs) * (1.0 + f_low * (1.0 - trust[s, i]))
            memory[s, i] += seen_ad[s, i] + seen_prize[s, i] + seen_reseller[s, i]
    if enabled and spill > 0:
        # Seller r's ads irritate the consumer toward every other seller s she follows.
        for r in range(n_s):
            for k in range(count[r]):
                i = idx[r, k]
                ads = seen_ad[r, i] + seen_prize[r, i] + seen_reseller[r, i]
                for s in range(n_s):
                    if s != r and tie[s, i] > NO_TIE and not blocked[s, i]:
                        annoyance[s, i] += spill * w_ad * ads
    if erode:
        for s in range(n_s):
            for k in range(count[s]):
                i = idx[s, k]
                unwanted = seen_ad[s, i] + seen_prize[s, i] + seen_reseller[s, i]
                if not solicited[s, i]:
                    unwanted += messages[s, i]
                if unwanted > 0:
                    a = annoyance[s, i]
                    trust[s, i] *= (1.0 - loss * a / (a + half_effect)) ** float(unwanted)
