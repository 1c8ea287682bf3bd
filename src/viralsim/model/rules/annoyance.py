"""Annoyance: a fast stock fed by commercial exposures; ads wear out (two-factor theory)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import int_powers, kernel, true_indices
from viralsim.config.schema import AnnoyanceParams, TrustParams
from viralsim.model.state import NO_TIE, Day, State


@kernel
def wear_out(seen, memory, wearout):
    """E_w ln(1 + X / (E_w + E)): the formula of :func:`effective_ads` (compiled for kernels,
    ``wear_out.py_func`` is the same code on NumPy arrays).

    X / (E_w + E) is held at 1e300: for E_w + E below about 1e-305 it overflows, and E_w x inf
    is inf, where the wear-out tends to 0 (a zero conversion rate times it was NaN, which the
    purchase kernel read as a certain purchase). The cap leaves every other value as it was."""
    return wearout * np.log1p(np.minimum(seen / (wearout + memory), 1e300))


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
    with np.errstate(over="ignore"):      # X / (E_w + E) may overflow for a vanishing E_w: capped
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
    """One visit of each touched (seller, consumer) pair: own increment, spillover from and onto
    the other sellers, memory, erosion."""
    n_s, n = touched.shape
    # A branch-free scan of the row collects the touched consumers; the loop visits only them.
    idx = np.empty(n, dtype=np.int32)
    base = np.empty(n)                      # erosion per unwanted contact, then per day
    times = np.empty(n, dtype=np.int64)     # unwanted contacts today
    spills = enabled and spill > 0 and n_s > 1
    w_spill = spill * w_ad
    # The spillover concerns only consumers whom two or more sellers touched or have as
    # followers (a vectorised pass).
    several = np.zeros(n if spills else 0, dtype=np.bool_)
    to_spill = np.empty(n if spills else 0, dtype=np.int32)
    if spills:
        once = np.zeros(n, dtype=np.bool_)
        for s in range(n_s):
            t, tie_s, blocked_s = touched[s], tie[s], blocked[s]
            for i in range(n):
                x = t[i] | ((tie_s[i] > NO_TIE) & (blocked_s[i] == False))
                several[i] |= once[i] & x
                once[i] |= x
    for s in range(n_s):
        ad, prize, resold = seen_ad[s], seen_prize[s], seen_reseller[s]
        ad_idle, prize_idle = seen_ad_idle[s], seen_prize_idle[s]
        value, group, life, msg, sol = seen_value[s], group_seen[s], seen_life[s], messages[s], solicited[s]
        trust_s, annoy_s, memory_s = trust[s], annoyance[s], memory[s]
        m = true_indices(touched[s], idx)
        n_spill = 0
        for k in range(m):
            i = idx[k]
            ads = ad[i] + prize[i] + resold[i]
            if enabled:
                hard = w_ad * (ad[i] + resold[i]) + w_prize * prize[i]
                hard_idle = w_ad * ad_idle[i] + w_prize * prize_idle[i]
                hard = (hard + (f_idle - 1.0) * hard_idle) * tedium_factor(memory_s[i], wearout)
                soft = w_value * (value[i] + group[i]) + w_life * life[i]
                msgs = w_msg * msg[i] * (f_sol if sol[i] else 1.0)
                annoy_s[i] += (hard + soft + msgs) * (1.0 + f_low * (1.0 - trust_s[i]))
                if spills:
                    to_spill[n_spill] = k           # branch-free: most consumers have none
                    n_spill += several[i]
            memory_s[i] += ads
            if erode:
                times[k] = ads if sol[i] else ads + msg[i]
        for j in range(n_spill):
            # Seller r's ads irritate the consumer toward every other seller she follows, added
            # in seller order: here those of the sellers who touched her today (onto s), and
            # this seller's own ads onto sellers who did not touch her.
            i = idx[to_spill[j]]
            a = annoy_s[i]
            ads = ad[i] + prize[i] + resold[i]
            follows = tie[s, i] > NO_TIE and not blocked[s, i]
            for r in range(n_s):
                if r == s:
                    continue
                if touched[r, i]:
                    if follows:
                        a += w_spill * (seen_ad[r, i] + seen_prize[r, i] + seen_reseller[r, i])
                elif tie[r, i] > NO_TIE and not blocked[r, i]:
                    annoyance[r, i] += w_spill * ads
            annoy_s[i] = a
        if erode:
            # T <- T (1 - lambda A / (A + A_half))^K, the powers in vectorised passes (K = 0
            # leaves T as it is)
            for k in range(m):
                a = annoy_s[idx[k]]
                base[k] = 1.0 - loss * a / (a + half_effect)
            int_powers(base, times, m)
            for k in range(m):
                trust_s[idx[k]] *= base[k]
