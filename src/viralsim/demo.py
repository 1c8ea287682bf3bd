"""Teaching demos rendered without a browser: ``viralsim demo trust-decay``.

The trust-decay demo follows one friend circle: a seller and her friends in a small
friend-circle network. She posts for ``active_days`` days and then goes quiet (no posts, no
messages) for ``quiet_days`` days. Every friend's trust in her and annoyance with her are
recorded each day, with the day she mutes or blocks the seller. While the seller is quiet,
nothing pushes trust, so it relaxes toward its baseline ``B`` (the prior of the tie) exactly as

    T(t) = B + (T0 - B) * 2^(-t / h)

where ``T0`` is the trust on the day she went quiet and ``h`` is ``trust.half_life``
(``docs/model.md``, relaxation). The demo draws that curve beside the simulated trust of one
friend to whom nothing else happens while the seller is quiet (no purchase, no warning from a
friend). The same circle is then shown under the community strategy.

Everything is drawn with bare matplotlib Figures (no pyplot state); the GIFs are assembled with
Pillow from rendered frames (1024 pixels wide, about 250 kB each).
"""

from __future__ import annotations

import string
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from viralsim import folders
from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel
from viralsim.model.relations import STRONG

__all__ = ["CircleTrace", "trace_circle", "demo_config", "trust_decay", "closed_form", "figure", "gif",
           "caption", "check_out", "DEMO_SEED", "Hazard", "hazards", "DayCount", "frame_title"]

#: the signature kind of a demo output folder (:mod:`viralsim.folders`)
KIND = "demo"

#: seed of the demo's friend circle (18 friends, 14 of them close; several mute and block the spammer)
DEMO_SEED = 2
#: people in the demo network; the seller's circle is her friends in it
DEMO_N = 150
#: what the seller stops doing when she goes quiet (her groups also get no more posts or invitations)
SILENT = {"posts_per_day": 0.0, "messages_per_day": 0.0, "strangers_per_day": 0.0, "kol_seeds": 0}

#: colour map of trust (0 red, 1 green) on every picture of the circle
TRUST_CMAP = "RdYlGn"

STRATEGY_WORDS = {
    "spam": "posts {posts:g} times a day ({ad:.0%} hard ads) and sends {messages:g} sales messages a day",
    "community": "posts {posts:g} times a day ({ad:.0%} ads, {value:.0%} useful content), answers questions "
                 "and runs a small group",
}


def demo_config(strategy: str = "spam", *, seed: int = DEMO_SEED, n: int = DEMO_N, days: int = 150) -> RunConfig:
    """The demo market: one seller with ``strategy`` in a friend-circle network of ``n`` people.

    The seller keeps to her own friends (``circle_size: 0`` and no strangers added), so her
    contacts are exactly one friend circle.
    """
    return RunConfig.model_validate({
        "name": f"trust-decay-{strategy}",
        "seed": seed,
        "days": days,
        "network": {"kind": "friend_circles", "n": n},
        "sellers": {"seller": {"strategy": strategy, "circle_size": 0, "strangers_per_day": 0}},
    })


@dataclass(frozen=True)
class DayCount:
    """The circle on one day as the pictures draw it (see :meth:`CircleTrace.counts`)."""

    day: int
    muted: int  # muted her and have not blocked her (rings)
    blocked: int  # blocked her (crosses)
    mean_trust: float

    def words(self) -> str:
        return (f"{_count(self.muted, 'friend')} had muted her without blocking (rings) and "
                f"{_count(self.blocked, 'friend')} had blocked her (crosses)")


@dataclass(frozen=True)
class CircleTrace:
    """Day-by-day state of one seller's friend circle.

    Arrays have one row per day ``0 .. days`` (row 0: before the first day) and one column per
    friend. ``quiet_from`` is the last day the seller was active (she is quiet from the next day).
    """

    config: RunConfig
    strategy: str
    friends: np.ndarray  # node ids
    names: list[str]  # "A", "B", ...
    strong: np.ndarray  # bool per friend: close friend (strong tie) or acquaintance on day 0
    tolerance: np.ndarray  # factor on each friend's mute and block thresholds (median 1)
    baseline: np.ndarray  # trust baseline B per friend at the end (the prior of her tie then)
    trust: np.ndarray
    annoyance: np.ndarray
    muted: np.ndarray
    blocked: np.ndarray
    purchases: np.ndarray
    quiet_from: int
    half_life: float
    edges: list[tuple[int, int]]  # friendships among the friends (indices into friends)

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.trust.shape[0])

    def first_day(self, flags: np.ndarray) -> np.ndarray:
        """Day each friend first has ``flags`` set (-1: never)."""
        hit = flags.any(axis=0)
        first = np.argmax(flags, axis=0)
        return np.where(hit, first, -1)

    def counts(self, day: int) -> DayCount:
        """What the pictures of ``day`` show: rings (muted, not blocked), crosses (blocked), and
        the circle's mean trust. Frames, titles and captions all take their numbers from here,
        so that they cannot disagree (a friend who mutes and later blocks is a cross, not a ring)."""
        blocked = self.blocked[day]
        return DayCount(int(day), int((self.muted[day] & ~blocked).sum()), int(blocked.sum()),
                        float(self.trust[day].mean()))

    def mute_days(self) -> np.ndarray:
        return self.first_day(self.muted)

    def block_days(self) -> np.ndarray:
        return self.first_day(self.blocked)

    def closed_form(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Days from ``quiet_from`` on and the closed-form trust of friend ``i`` on them."""
        t = np.arange(self.trust.shape[0] - self.quiet_from)
        b, t0 = self.baseline[i], self.trust[self.quiet_from, i]
        return self.quiet_from + t, closed_form(t, t0, b, self.half_life)

    def deviation(self) -> np.ndarray:
        """Largest gap between simulated and closed-form trust while the seller is quiet, per friend."""
        return np.array([np.max(np.abs(self.closed_form(i)[1] - self.trust[self.quiet_from:, i]))
                         for i in range(len(self.friends))])

    def decaying(self, early: int | None = None) -> int:
        """The friend whose trust visibly decays while the seller posts, for a story to follow.

        Rule: among friends who never block her within the run, do not mute her before day
        ``early`` (default: half the active days) and whose tie selling has not cooled (their
        trust relaxes back toward where it started, docs/model.md §3.3.24), the one whose trust
        falls most from day 0 to her last active day. A friend who mutes on day 5 stops seeing the
        posts and her trust hardly moves; a blocker's line ends in a jump; a friend whose tie
        cooled relaxes toward a lower baseline, not back to her start. If no friend qualifies,
        the same without the tie condition, and then the largest drop among all friends.
        """
        early = self.quiet_from // 2 if early is None else early
        md, bd = self.mute_days(), self.block_days()
        drop = self.trust[0] - self.trust[self.quiet_from]
        ok = (bd < 0) & ((md < 0) | (md >= early))
        kept = ok & np.isclose(self.baseline, self.trust[0])
        pool = np.flatnonzero(kept) if kept.any() else np.flatnonzero(ok) if ok.any() else np.arange(len(drop))
        return int(pool[np.argmax(drop[pool])])

    def featured(self) -> int:
        """The friend shown against the formula: nothing else happened to her while the seller was
        quiet (deviation below 1e-9), and her trust was furthest from its baseline; if every friend
        had an event, simply the one furthest from her baseline."""
        gap = np.abs(self.trust[self.quiet_from] - self.baseline)
        clean = self.deviation() < 1e-9
        pool = np.flatnonzero(clean) if clean.any() else np.arange(len(gap))
        return int(pool[np.argmax(gap[pool])])


def closed_form(t, t0: float, baseline: float, half_life: float) -> np.ndarray:
    """Trust ``t`` days after the last event: ``B + (T0 - B) 2^(-t/h)``."""
    return baseline + (t0 - baseline) * np.power(2.0, -np.asarray(t, dtype=float) / half_life)


@dataclass(frozen=True)
class Hazard:
    """One of the Hill hazards of ``ties.*`` in words a class can check, for a friend of median
    tolerance (a friend's own ``theta`` is this one times her tolerance).

    ``theta`` is *not* a threshold: it is the annoyance at which the daily hazard reaches half its
    maximum ``p_max``, and friends leave before that, because a small daily probability adds up
    over many days. ``median_level(days)`` is the annoyance which, held for ``days``
    days, makes leaving as likely as not; it is computed from the same formula as the model
    (``src/viralsim/model/rules/ties.py``), so the labels follow the config.
    """

    name: str  # "mute" or "block"
    theta: float
    p_max: float  # maximal daily probability (for blocks: of an acquaintance)
    steepness: float

    def daily(self, annoyance: float) -> float:
        """Daily probability at ``annoyance``: p_max A^h / (A^h + theta^h)."""
        ah = float(annoyance) ** self.steepness
        return self.p_max * ah / (ah + self.theta ** self.steepness) if ah > 0 else 0.0

    def median_level(self, days: int) -> float:
        """Annoyance at which the probability of having acted within ``days`` days reaches 50 %
        (annoyance held constant): solves 1 - (1 - daily(A))^days = 1/2. ``inf`` if even the
        maximal hazard does not get there."""
        q = 1.0 - 0.5 ** (1.0 / max(days, 1))  # daily probability needed
        if q >= self.p_max:
            return float("inf")
        x = q / self.p_max  # the Hill value H(A) needed
        return self.theta * (x / (1.0 - x)) ** (1.0 / self.steepness)

    def words(self, days: int, example: float | None = None) -> str:
        """E.g. "Mute: for a friend of median tolerance the daily mute hazard reaches half its maximum
        of 0.25 a day at an annoyance of θ = 1050; at annoyance 400 she mutes with probability 0.005
        a day, so ...", for a caption."""
        a = example if example is not None else self.median_level(days)
        level = self.median_level(days)
        text = (f"{self.name.capitalize()}: for a friend of median tolerance the daily {self.name} hazard reaches "
                f"half its maximum of {self.p_max:g} a day at an annoyance of \u03b8 = {self.theta:g}; at "
                f"annoyance {a:.0f} she {self.name}s with probability {self.daily(a):.2g} a day")
        if np.isfinite(level):
            text += f", so an annoyance of {level:.0f} held for {days} days makes her {self.name} as likely as not"
        return text


def hazards(config: RunConfig) -> tuple[Hazard, Hazard]:
    """The mute and block hazards of ``config.ties`` (block: for an acquaintance; a close friend's
    block hazard is multiplied by ``ties.strong_block_factor``)."""
    t = config.ties
    return (Hazard("mute", t.mute_threshold, t.mute_max, t.steepness),
            Hazard("block", t.block_threshold, t.block_max, t.steepness))


def trace_circle(config: RunConfig, active_days: int) -> CircleTrace:
    """Run ``config``; the seller acts for ``active_days`` days, then is silenced (no posts,
    messages, strangers) until ``config.days``. Records her graph friends every day."""
    model = ViralModel(config)
    st = model.state
    seller = model.sellers[0]
    node = int(st.seller_nodes[0])
    friends = np.sort(model.topology.neighbors(node).astype(np.int64))
    friends = friends[st.is_consumer[friends]]
    # (the tie as the circle starts: ties move with the seller's selling, docs/model.md §3.3.24)
    strong = st.column("tie", 0)[friends] == STRONG
    record = {k: [] for k in ("trust", "annoyance", "muted", "blocked", "purchases")}

    def snap():
        for name in record:
            record[name].append(st.column(name, 0)[friends])

    snap()
    for day in range(1, config.days + 1):
        if day == active_days + 1:
            quiet_groups = seller.strategy.groups.model_copy(update={"posts_per_day": 0.0, "invites_per_day": 0.0})
            seller.strategy = seller.strategy.model_copy(update={**SILENT, "groups": quiet_groups})
        model.step()
        snap()
    where = {int(f): i for i, f in enumerate(friends)}
    edges = []
    for i, f in enumerate(friends):
        for g in model.topology.neighbors(int(f)):
            j = where.get(int(g))
            if j is not None and j > i:
                edges.append((i, j))
    names = [_name(i) for i in range(len(friends))]
    return CircleTrace(
        config=config,
        strategy=model.sellers[0].spec.strategy,
        friends=friends,
        names=names,
        strong=strong,
        tolerance=st.tolerance[friends].copy(),
        baseline=st.column("baseline", 0)[friends],
        quiet_from=active_days,
        half_life=config.trust.half_life,
        edges=edges,
        **{k: np.array(v) for k, v in record.items()},
    )


def _name(i: int) -> str:
    letters = string.ascii_uppercase
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


# ---------------------------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------------------------


def _circle_layout(k: int) -> np.ndarray:
    angle = np.pi / 2 - 2 * np.pi * np.arange(k) / max(k, 1)
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _draw_circle(ax, tr: CircleTrace, day: int, *, labels: bool = True) -> None:
    """The seller (star, centre) and her friends (ring), coloured by trust on ``day``."""
    # lazy: matplotlib takes ~0.5 s to import; tracing a circle (demo_config, trace_circle) does not draw
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection

    xy = _circle_layout(len(tr.friends))
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    blocked = tr.blocked[day]
    spokes = [((0.0, 0.0), tuple(p)) for p, b in zip(xy, blocked) if not b]
    ax.add_collection(LineCollection(spokes, colors="#b0b0b0", linewidths=0.8, zorder=1))
    chords = [(tuple(xy[i]), tuple(xy[j])) for i, j in tr.edges]
    ax.add_collection(LineCollection(chords, colors="#d8d8d8", linewidths=0.5, zorder=0))
    cmap = colormaps[TRUST_CMAP]
    colours = cmap(np.clip(tr.trust[day], 0, 1))
    sizes = np.where(tr.strong, 230.0, 130.0)
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colours, edgecolors="#444444", linewidths=0.6, zorder=2)
    muted = tr.muted[day] & ~blocked
    if muted.any():
        ax.scatter(xy[muted, 0], xy[muted, 1], s=sizes[muted] * 2.2, facecolors="none", edgecolors="black",
                   linewidths=1.4, zorder=3)
    if blocked.any():
        ax.scatter(xy[blocked, 0], xy[blocked, 1], s=170, marker="x", c="#d40000", linewidths=2.4, zorder=4)
    ax.scatter([0], [0], s=420, marker="*", c="#1f77b4", edgecolors="black", linewidths=0.9, zorder=5)
    if labels:
        for name, (x, y) in zip(tr.names, xy):
            ax.text(1.17 * x, 1.17 * y, name, ha="center", va="center", fontsize=7, color="#333333")


def _trust_colourbar(fig, cax, *, fontsize: float) -> None:
    """The key to the dots' colours: trust 0 (red) to 1 (green), the same colour map and range as
    the dots, so that a class can read a friend's trust off the picture."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    bar = fig.colorbar(ScalarMappable(Normalize(0.0, 1.0), colormaps[TRUST_CMAP]), cax=cax)
    bar.set_label("trust in the seller", fontsize=fontsize)
    bar.ax.tick_params(labelsize=fontsize * 0.9)


def _mark_events(ax, tr: CircleTrace, values: np.ndarray) -> None:
    md, bd = tr.mute_days(), tr.block_days()
    for i in range(len(tr.friends)):
        if md[i] >= 0:
            ax.plot(md[i], values[md[i], i], "o", mfc="white", mec="black", ms=6, mew=1.2, zorder=4)
        if bd[i] >= 0:
            ax.plot(bd[i], values[bd[i], i], "x", color="#d40000", ms=8, mew=2.2, zorder=5)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}" if n else "no " + word


def _phase_labels(ax, tr: CircleTrace) -> None:
    box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5}
    end = tr.trust.shape[0] - 1
    ax.text(tr.quiet_from / 2, 0.03, "seller active", ha="center", va="bottom", fontsize=9, color="#444444",
            bbox=box)
    ax.text((tr.quiet_from + end) / 2, 0.03, "seller quiet", ha="center", va="bottom", fontsize=9,
            color="#444444", bbox=box)


def _phase_shading(ax, tr: CircleTrace) -> None:
    ax.axvspan(0, tr.quiet_from, color="#fde0c5" if tr.strategy == "spam" else "#d5ecd4", alpha=0.5, lw=0)
    ax.axvline(tr.quiet_from, color="#555555", lw=1, ls=":")


def _strategy_words(tr: CircleTrace) -> str:
    s = tr.config.sellers["seller"].resolved
    template = STRATEGY_WORDS.get(tr.strategy, "follows the {name} strategy ({posts:g} posts a day)")
    return template.format(posts=s.posts_per_day, ad=s.content.ad, value=s.content.value,
                           messages=s.messages_per_day, name=tr.strategy)


def _hazard_sentence(tr: CircleTrace) -> str:
    """Why friends mute far below the configured "thresholds": these are half-maximum points of
    small daily hazards. The example annoyance is the median one on the day friends muted (or
    blocked) in this run, so the class sees the probability behind what happened."""
    parts = []
    for hz, first in zip(hazards(tr.config), (tr.mute_days(), tr.block_days())):
        hit = np.flatnonzero(first >= 0)
        seen = float(np.median(tr.annoyance[first[hit], hit])) if hit.size else None
        parts.append(hz.words(tr.quiet_from, seen))
    return ("There are no thresholds, only daily chances. " + " ".join(p + "." for p in parts)
            + " Each friend's \u03b8 is the median one times her own tolerance, so the least tolerant leave first;"
            " a friend who muted unmutes slowly once her annoyance has faded.")


def caption(tr: CircleTrace) -> str:
    """Plain-language caption of one demo figure, for a class."""
    k = len(tr.friends)
    f = tr.featured()
    t0, b = tr.trust[tr.quiet_from, f], tr.baseline[f]
    mean_start, mean_quiet = (float(tr.trust[d].mean()) for d in (0, tr.quiet_from))
    peak_ann = float(tr.annoyance[: tr.quiet_from + 1].max())
    quiet = tr.trust.shape[0] - 1 - tr.quiet_from
    last_active, end = tr.counts(tr.quiet_from), tr.counts(tr.trust.shape[0] - 1)
    direction = "back up" if t0 < b else "back down"
    exact = tr.deviation()[f] < 1e-9
    fit = ("follows the formula exactly" if exact else
           f"follows the formula except where something happened to her (largest gap {tr.deviation()[f]:.3f})")
    text = (
        f"One friend circle: a seller (star) and her {k} friends ({int(tr.strong.sum())} close friends, big dots, "
        f"{int((~tr.strong).sum())} acquaintances, small dots). For {tr.quiet_from} days she "
        f"{_strategy_words(tr)}; then she goes quiet for {quiet} days. "
        f"Colour shows each friend's trust in her (red low, green high). "
        f"While she was active the circle's mean trust went from {mean_start:.2f} to {mean_quiet:.2f} "
        f"and annoyance peaked at {peak_ann:.0f}. By day {last_active.day}, her last active day, "
        f"{last_active.words()}. "
        f"{_hazard_sentence(tr)} "
        f"Once she is quiet, annoyance fades within days, but trust drifts {direction} slowly toward where it "
        f"started: it closes half of the remaining gap every {tr.half_life:g} days (the trust half-life). "
        f"Friend {tr.names[f]}'s trust (dots) {fit}: T(t) = B + (T0 \u2212 B)\u00b72^(\u2212t/h) with "
        f"T0 = {t0:.2f}, B = {b:.2f}, h = {tr.half_life:g} days. After {quiet} quiet days (day {end.day}, the "
        f"last frame of the animation) {end.words()}, and the circle's mean trust is {end.mean_trust:.2f}."
    )
    return text


def figure(tr: CircleTrace, path: str | Path, *, dpi: int = 100) -> Path:
    """The four-panel demo figure with its caption underneath, as PNG."""
    # lazy: matplotlib takes ~0.5 s to import; tracing a circle does not draw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 10.4))
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(2, 2, left=0.05, right=0.98, top=0.93, bottom=0.3, wspace=0.18, hspace=0.32,
                          width_ratios=[0.8, 1.2])
    title = {"spam": "A seller who spams her friends, then stops",
             "community": "The same circle, a community seller, then she stops"}.get(tr.strategy, tr.strategy)
    fig.suptitle(title, fontsize=15, fontweight="bold")

    ax = fig.add_subplot(gs[0, 0])
    _draw_circle(ax, tr, tr.quiet_from)
    ax.set_title(f"day {tr.quiet_from}, her last active day", fontsize=10)
    box = ax.get_position()
    _trust_colourbar(fig, fig.add_axes((box.x1 + 0.005, box.y0 + 0.05, 0.01, box.height - 0.1)), fontsize=9)

    days = tr.days
    ax = fig.add_subplot(gs[0, 1])
    _phase_shading(ax, tr)
    for i in range(len(tr.friends)):
        ax.plot(days, tr.trust[:, i], color="#2b6cb0" if tr.strong[i] else "#8fb5dd", lw=1.1, alpha=0.85)
    _mark_events(ax, tr, tr.trust)
    ax.plot(days, tr.trust.mean(axis=1), color="black", lw=2.4, label="circle mean")
    ax.set_ylim(0, 1)
    ax.set_xlim(0, days[-1])
    ax.set_ylabel("trust in the seller")
    ax.set_title("trust of each friend (dark: close friends; o muted, x blocked)", fontsize=10)
    _phase_labels(ax, tr)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[1, 0])
    _phase_shading(ax, tr)
    for i in range(len(tr.friends)):
        ax.plot(days, tr.annoyance[:, i], color="#c05621" if tr.strong[i] else "#f0a874", lw=1.0, alpha=0.85)
    _mark_events(ax, tr, tr.annoyance)
    top = max(float(tr.annoyance.max()) * 1.1, 50.0)
    notes = []
    for hz in hazards(tr.config):
        level = hz.median_level(tr.quiet_from)
        if level < top:
            ax.axhline(level, color="#777777", lw=0.9, ls="--")
            ax.text(days[-1], level, f"held {tr.quiet_from} days: 50 % {hz.name}", ha="right", va="bottom",
                    fontsize=8, color="#555555")
        notes.append(f"{hz.name} {hz.theta:g}")
    ax.text(days[-1], top * 0.97, "hazards' half-maxima \u03b8: " + ", ".join(notes) + " (not thresholds)",
            ha="right", va="top", fontsize=8, color="#555555")
    ax.set_ylim(0, top)
    ax.set_xlim(0, days[-1])
    ax.set_xlabel("day")
    ax.set_ylabel("annoyance with the seller")
    ax.set_title(f"annoyance of each friend (fades with a {tr.config.annoyance.half_life:g}-day half-life)",
                 fontsize=10)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(gs[1, 1])
    f = tr.featured()
    t, cf = tr.closed_form(f)
    ax.plot(days, tr.trust[:, f], "o", ms=3, color="#2b6cb0", label=f"friend {tr.names[f]}: simulated")
    ax.plot(t, cf, color="#d62728", lw=2, label="formula B + (T0 \u2212 B)\u00b72^(\u2212t/h)")
    ax.axhline(tr.baseline[f], color="#777777", lw=1, ls="--")
    ax.text(2, tr.baseline[f], f"baseline B = {tr.baseline[f]:.2f}", va="bottom", fontsize=8, color="#555555")
    h = tr.half_life
    if tr.quiet_from + h <= days[-1]:
        mid = tr.baseline[f] + (tr.trust[tr.quiet_from, f] - tr.baseline[f]) / 2
        ax.plot([tr.quiet_from + h], [mid], "s", color="#d62728", ms=7)
        ax.annotate(f"half-way back after h = {h:g} days", (tr.quiet_from + h, mid),
                    xytext=(-8, -16 if mid > tr.baseline[f] else 12), textcoords="offset points", fontsize=8,
                    color="#d62728", ha="right")
    _phase_shading(ax, tr)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, days[-1])
    ax.set_xlabel("day")
    ax.set_title(f"friend {tr.names[f]} after the seller goes quiet: simulation vs closed form", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)

    fig.text(0.05, 0.245, "\n".join(textwrap.wrap(caption(tr), 165)), ha="left", va="top", fontsize=10,
             linespacing=1.45)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def frame_title(tr: CircleTrace, day: int) -> str:
    """The title of the animation's frame of ``day`` (numbers from :meth:`CircleTrace.counts`)."""
    c = tr.counts(day)
    phase = "posting" if day <= tr.quiet_from else "quiet"
    return (f"{tr.strategy} seller, day {day} ({phase}): {c.muted} muted, {c.blocked} blocked, "
            f"mean trust {c.mean_trust:.2f}")


def gif(tr: CircleTrace, path: str | Path, *, every: int = 2, dpi: int = 100, frame_ms: int = 110,
        record: list | None = None) -> Path:
    """Animated GIF: the circle recoloured day by day beside the trust lines growing, with a colour
    bar for trust.

    At the default ``dpi`` a frame is 1024 pixels wide (10.24 inches), the width of a classroom
    projector, so that it is shown at its own size and the labels stay readable.

    ``record``, if given, receives one dict per frame with what was drawn (day, title, number
    of rings and crosses), so that a test can hold each frame against its title and the caption.

    The figure is built once; each frame only moves data into its artists, so rendering stays
    fast (a few seconds for 150 days).
    """
    # lazy: matplotlib and Pillow take ~0.5 s to import; tracing a circle does not draw
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from PIL import Image

    days = tr.days
    k = len(tr.friends)
    xy = _circle_layout(k)
    cmap = colormaps[TRUST_CMAP]
    fig = Figure(figsize=(10.24, 4.8), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax1 = fig.add_axes((0.0, 0.02, 0.36, 0.84))
    _trust_colourbar(fig, fig.add_axes((0.36, 0.14, 0.012, 0.72)), fontsize=10)
    ax1.set_aspect("equal")
    ax1.set_axis_off()
    ax1.set_xlim(-1.35, 1.35)
    ax1.set_ylim(-1.35, 1.35)
    ax1.add_collection(LineCollection([(tuple(xy[i]), tuple(xy[j])) for i, j in tr.edges], colors="#d8d8d8",
                                      linewidths=0.5, zorder=0))
    spokes = LineCollection([], colors="#b0b0b0", linewidths=0.8, zorder=1)
    ax1.add_collection(spokes)
    sizes = np.where(tr.strong, 230.0, 130.0)
    dots = ax1.scatter(xy[:, 0], xy[:, 1], s=sizes, c=cmap(tr.trust[0]), edgecolors="#444444", linewidths=0.6,
                       zorder=2)
    rings = ax1.scatter(xy[:, 0], xy[:, 1], s=sizes * 2.2, facecolors="none", edgecolors="black", linewidths=1.4,
                        zorder=3)
    crosses = ax1.scatter(xy[:, 0], xy[:, 1], s=170, marker="x", c="#d40000", linewidths=2.4, zorder=4)
    ax1.scatter([0], [0], s=420, marker="*", c="#1f77b4", edgecolors="black", linewidths=0.9, zorder=5)

    ax2 = fig.add_axes((0.5, 0.14, 0.47, 0.72))
    _phase_shading(ax2, tr)
    _phase_labels(ax2, tr)
    lines = [ax2.plot([], [], color="#2b6cb0" if tr.strong[i] else "#8fb5dd", lw=1.0)[0] for i in range(k)]
    (mean_line,) = ax2.plot([], [], color="black", lw=2.2)
    mute_marks = ax2.scatter([], [], s=30, facecolors="white", edgecolors="black", linewidths=1.2, zorder=4)
    block_marks = ax2.scatter([], [], s=50, marker="x", c="#d40000", linewidths=2.2, zorder=5)
    ax2.set_xlim(0, days[-1])
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("day", fontsize=11)
    ax2.set_ylabel("trust in the seller", fontsize=11)
    ax2.tick_params(labelsize=10)
    ax2.grid(alpha=0.3)
    title = fig.suptitle("", fontsize=14)
    md, bd = tr.mute_days(), tr.block_days()
    empty = np.empty((0, 2))

    steps = list(range(0, len(days), every))
    if steps[-1] != days[-1]:
        steps.append(int(days[-1]))
    frames = []
    for d in steps:
        blocked = tr.blocked[d]
        muted = tr.muted[d] & ~blocked
        spokes.set_segments([((0.0, 0.0), tuple(p)) for p, b in zip(xy, blocked) if not b])
        dots.set_facecolors(cmap(np.clip(tr.trust[d], 0, 1)))
        rings.set_offsets(xy[muted] if muted.any() else empty)
        rings.set_sizes(sizes[muted] * 2.2 if muted.any() else [])
        crosses.set_offsets(xy[blocked] if blocked.any() else empty)
        for i, line in enumerate(lines):
            line.set_data(days[: d + 1], tr.trust[: d + 1, i])
        mean_line.set_data(days[: d + 1], tr.trust[: d + 1].mean(axis=1))
        m = (md >= 0) & (md <= d)
        b = (bd >= 0) & (bd <= d)
        mute_marks.set_offsets(np.column_stack([md[m], tr.trust[md[m], np.flatnonzero(m)]]) if m.any() else empty)
        block_marks.set_offsets(np.column_stack([bd[b], tr.trust[bd[b], np.flatnonzero(b)]]) if b.any() else empty)
        title.set_text(frame_title(tr, d))
        if record is not None:
            record.append({"day": d, "title": title.get_text(), "rings": len(rings.get_offsets()),
                           "crosses": len(crosses.get_offsets())})
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3]
        frames.append(Image.fromarray(rgb.copy()))
    palette = _palette(frames[-1], cmap)
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = [frame_ms] * len(frames)
    durations[-1] = 2500
    path = Path(path)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True,
                   disposal=1)
    return path


def _palette(frame, cmap, *, shades: int = 32, others: int = 96):
    """One GIF palette for all frames: ``shades`` colours of the trust colour map, so that the
    colour bar and the dots keep their true colours (a median cut of a frame merges the few
    pixels of the bar's greens into greys), plus ``others`` colours of the last, fullest frame."""
    from PIL import Image

    own = frame.quantize(colors=others, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rgb = (np.asarray(cmap(np.linspace(0.0, 1.0, shades)))[:, :3] * 255).round().astype(np.uint8)
    colours = list(rgb.ravel()) + own.getpalette()[: 3 * others]
    palette = Image.new("P", (1, 1))
    palette.putpalette([int(c) for c in colours] + [0] * (768 - len(colours)))
    return palette


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def trust_decay(out: str | Path, *, seed: int = DEMO_SEED, active_days: int = 60, quiet_days: int = 90,
                gif: bool = True) -> dict[str, Path]:
    """Write the trust-decay demo into ``out``: spam and community figures, GIFs and captions.

    Returns the written files by name (``spam_png``, ``spam_gif``, ``community_png``,
    ``community_gif``, ``captions``). The folder is written atomically and signed as a demo
    folder: an existing ``out`` is replaced only if it is empty or an earlier demo folder, once
    the new one is complete; anything else is refused (FileExistsError) before any work.
    """
    out = Path(out)
    names: dict[str, str] = {}

    def fill(folder: Path) -> None:
        traces: dict[str, Any] = {}
        for strategy, stem in (("spam", "trust-decay"), ("community", "trust-decay-community")):
            tr = trace_circle(demo_config(strategy, seed=seed, days=active_days + quiet_days), active_days)
            traces[strategy] = tr
            names[f"{strategy}_png"] = figure(tr, folder / f"{stem}.png").name
            if gif:
                names[f"{strategy}_gif"] = _gif(tr, folder / f"{stem}.gif").name
        lines = ["# Trust decay: captions", ""]
        for strategy, stem in (("spam", "trust-decay"), ("community", "trust-decay-community")):
            lines += [f"## {strategy}", "", f"![{strategy}]({stem}.png)", ""]
            if gif:
                lines += [f"![{strategy}, day by day]({stem}.gif)", ""]
            lines += [caption(traces[strategy]), ""]
        (folder / "captions.md").write_text("\n".join(lines), encoding="utf-8", newline="\n")
        names["captions"] = "captions.md"

    check_out(out)
    folders.write_folder(out, KIND, fill)
    return {key: out / name for key, name in names.items()}


def check_out(out: str | Path) -> None:
    """Refuse an output folder :func:`trust_decay` may not replace: a file, or a folder that is
    neither empty nor an earlier demo folder (FileExistsError), or an unwritable parent
    (PermissionError). Checked before anything is computed."""
    folders.check_folder(out, KIND)


_gif = gif
