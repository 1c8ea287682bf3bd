"""The live pictures of the page as SVG: the friend network, the charts, a person's history.

Why SVG and not matplotlib PNGs: the browser draws SVG, so a day of the app costs Python only
the new colours and line points (a few milliseconds at a few hundred people) instead of a
matplotlib render and PNG encoding (the former page spent about 0.6 s a day on that); the
pictures stay sharp at any size on a projector, and their text is page text that scales with
the page. The network's layout and edges are computed once per graph
(:func:`viralsim.app.drawing.layout`); each day only the people's colours, sizes and marks
change. The PNG export still uses the matplotlib pictures of :mod:`viralsim.app.drawing`.

Everything here is plain Python (no web stack), so it can be tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
from matplotlib import colormaps

from viralsim.app.drawing import NO_CONTACT, TRUST_CMAP, drawn_nodes, layout, seller_colour
from viralsim.app.model import AppModel

__all__ = ["NetworkGeometry", "network_geometry", "network_frame", "star", "charts_svg", "history_svg", "trust_colours",
           "NETWORK_BOX", "CHART_PANELS"]

#: side of the network's square viewBox (SVG user units; about screen pixels on a projector)
NETWORK_BOX = 460.0
_PAD = 24.0
#: smallest font of any picture text, in SVG units (the page shows them at about 1:1 at 1024 px)
FONT = 15
_LUT = [
    "#" + "".join(f"{int(round(255 * c)):02x}" for c in colormaps[TRUST_CMAP](i / 255.0)[:3]) for i in range(256)
]
_NO_CONTACT = "#" + "".join(f"{int(round(255 * c)):02x}" for c in NO_CONTACT[:3])


def trust_colours(trust: np.ndarray) -> list[str]:
    """Hex colours of trust values in [0, 1] on the red-yellow-green scale of the pictures."""
    idx = np.clip(np.rint(np.nan_to_num(trust, nan=0.0) * 255), 0, 255).astype(int)
    return [_LUT[i] for i in idx]


@dataclass(frozen=True)
class NetworkGeometry:
    """What stays fixed while a market runs: who is drawn, where, and the friendships."""

    nodes: np.ndarray                 # drawn people (node ids)
    xy: list[tuple[float, float]]     # their positions in the viewBox
    edges: str                        # SVG path of the friendships between drawn people
    is_seller: np.ndarray             # per drawn person
    sellers: list[dict]               # per named seller: x, y, name, colour, anchor of the name


def network_geometry(model: AppModel) -> NetworkGeometry:
    """Positions and edges of ``model``'s network in the viewBox, computed once per model."""
    cached = getattr(model, "_svg_geometry", None)
    if cached is not None:
        return cached
    nodes = drawn_nodes(model)
    raw = layout(model, nodes)
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    xy = _PAD + (raw - lo) / span * (NETWORK_BOX - 2 * _PAD)
    xy[:, 1] = NETWORK_BOX - xy[:, 1]  # SVG's y axis points down
    where = np.full(model.state.n, -1, dtype=np.int64)
    where[nodes] = np.arange(len(nodes))
    u, v, _ = model.topology.edge_list()
    keep = (where[u] >= 0) & (where[v] >= 0)
    a, b = xy[where[u[keep]]], xy[where[v[keep]]]
    edges = "".join(f"M{x0:.1f} {y0:.1f}L{x1:.1f} {y1:.1f}" for (x0, y0), (x1, y1) in zip(a, b))
    sellers = []
    for i, seller in enumerate(model.sellers):
        x, y = xy[where[seller.node]]
        sellers.append({"x": round(float(x), 1), "y": round(float(y), 1), "name": seller.name,
                        "colour": seller_colour(i), "anchor": "end" if x > NETWORK_BOX * 0.6 else "start"})
    geometry = NetworkGeometry(nodes, [(round(float(x), 1), round(float(y), 1)) for x, y in xy], edges,
                               np.isin(nodes, model.state.seller_nodes), sellers)
    model._svg_geometry = geometry
    return geometry


def star(x: float, y: float, r: float) -> str:
    """SVG path of a five-pointed star of outer radius ``r`` centred on (x, y)."""
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    pts = [f"{x + q * np.cos(a):.1f} {y - q * np.sin(a):.1f}" for a, q in zip(angles, radii)]
    return "M" + "L".join(pts) + "Z"


def network_frame(model: AppModel, geometry: NetworkGeometry) -> dict:
    """Today's look of each drawn person for the shown seller: colour, radius, muted, blocked,
    and how many of the drawn people are her contacts, muted and blocked her.

    People in contact with the shown seller are coloured by their trust in her; others are
    pale grey and small. Returns lists (JSON for the browser) in the order of ``geometry.nodes``.
    """
    st = model.state
    s = model.focus
    nodes = geometry.nodes
    tied = st.column("tie", s)[nodes] > 0
    contact = tied & ~geometry.is_seller  # another seller is a contact too, drawn as her star
    fill = np.array(trust_colours(st.column("trust", s)[nodes]), dtype=object)
    fill[~contact] = _NO_CONTACT
    blocked_all = st.column("blocked", s)[nodes] & tied
    muted_all = st.column("muted", s)[nodes] & tied & ~blocked_all
    blocked, muted = blocked_all & contact, muted_all & contact
    return {
        "fill": fill.tolist(),
        "radius": np.where(contact, 4.2, 2.4).tolist(),
        "muted": np.flatnonzero(muted).tolist(),
        "blocked": np.flatnonzero(blocked).tolist(),
        # the counts include other sellers, as the status line's do
        "contacts": int(tied.sum()),
        "n_muted": int(muted_all.sum()),
        "n_blocked": int(blocked_all.sum()),
        "sellers": [{**seller, "shown": i == s, "star": star(seller["x"], seller["y"], 15.0 if i == s else 10.0)}
                    for i, seller in enumerate(geometry.sellers)],
    }


# --- charts ------------------------------------------------------------------------------------

#: the four panels: (key, title); "lost" draws muted (solid) and blocked (dashed)
CHART_PANELS = (
    ("purchases", "Sales per day (7-day mean)"),
    ("mean_trust", "Mean trust of her contacts"),
    ("mean_annoyance", "Mean annoyance of her contacts"),
    ("lost", "Muted (solid), blocked (dashed)"),
)
CHART_W, CHART_H = 560.0, 420.0
#: size of each of the two panels of a person's history (SVG units, drawn 1:1 in pixels)
HISTORY_W, HISTORY_H = 300.0, 140.0


def _nice_top(top: float) -> float:
    """A round axis maximum at or above ``top`` (1, 2, 2.5, 5 times a power of ten)."""
    if not np.isfinite(top) or top <= 0:
        return 1.0
    power = 10 ** np.floor(np.log10(top))
    for m in (1, 2, 2.5, 5, 10):
        if top <= m * power:
            return float(m * power)
    return float(10 * power)


def _label(v: float) -> str:
    return f"{v:g}" if abs(v) < 10_000 else f"{v / 1000:g}k"


def _panel(x0: float, y0: float, w: float, h: float, title: str, right: int, top: float,
           lines: list[tuple[np.ndarray, np.ndarray, str, bool]]) -> list[str]:
    """One chart panel: frame, title, 0/half/top ticks, day ticks and its lines."""
    left, bottom, head = 46.0, 24.0, 26.0
    px, py, pw, ph = x0 + left, y0 + head, w - left - 10.0, h - head - bottom
    out = [f'<text x="{x0 + 4:.0f}" y="{y0 + 17:.0f}" class="t">{escape(title)}</text>',
           f'<rect x="{px:.1f}" y="{py:.1f}" width="{pw:.1f}" height="{ph:.1f}" class="f"/>']
    for frac in (0.0, 0.5, 1.0):
        yy = py + ph * (1 - frac)
        out.append(f'<line x1="{px:.1f}" x2="{px + pw:.1f}" y1="{yy:.1f}" y2="{yy:.1f}" class="g"/>')
        out.append(f'<text x="{px - 4:.1f}" y="{yy + 5:.1f}" class="n" text-anchor="end">{_label(top * frac)}</text>')
    for frac in (0.0, 0.5, 1.0):
        xx = px + pw * frac
        out.append(f'<text x="{xx:.1f}" y="{py + ph + 17:.1f}" class="n" text-anchor="middle">'
                   f'{_label(round(right * frac))}</text>')
    for day, value, colour, dashed in lines:
        ok = np.isfinite(value)
        if not ok.any():
            continue
        xs = px + pw * day[ok] / right
        ys = py + ph * (1 - np.clip(value[ok] / top, 0, 1.02))
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        if len(xs) == 1:
            out.append(f'<circle cx="{xs[0]:.1f}" cy="{ys[0]:.1f}" r="3.5" fill="{colour}"/>')
            continue
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
        out.append(f'<polyline points="{points}" stroke="{colour}"{dash} class="l"/>')
    return out


_STYLE = (f"<style>.t{{font-size:{FONT + 1}px;font-weight:600}}.n{{font-size:{FONT}px;fill:#333}}"
          ".f{fill:none;stroke:#999}.g{stroke:#ddd}.l{fill:none;stroke-width:2.2}</style>")


def charts_svg(model: AppModel) -> str:
    """The four live charts (one line per seller, day 0 included) as one SVG."""
    data = model.chart_data()
    right = max(30, model.day)
    w, h = CHART_W / 2, CHART_H / 2
    parts = [f'<svg viewBox="0 0 {CHART_W:.0f} {CHART_H:.0f}" xmlns="http://www.w3.org/2000/svg" '
             f'class="viralsim-charts-svg" role="img" aria-label="charts">', _STYLE]
    day = data["day"]
    for k, (key, title) in enumerate(CHART_PANELS):
        x0, y0 = (k % 2) * w, (k // 2) * h
        lines = []
        for i in range(len(model.sellers)):
            colour = seller_colour(i)
            if key == "lost":
                lines.append((day, data["muted"][i], colour, False))
                lines.append((day, data["blocked"][i], colour, True))
            elif key == "purchases":
                lines.append((day, data["sales_7d"][i], colour, False))
            else:
                lines.append((day, data[key][i], colour, False))
        if key == "mean_trust":
            top = 1.0
        else:
            values = [v for _, v, _, _ in lines if np.isfinite(v).any()]
            top = _nice_top(max((float(np.nanmax(v)) for v in values), default=1.0))
        parts.extend(_panel(x0, y0, w, h, title, right, top, lines))
    parts.append("</svg>")
    return "".join(parts)


def history_svg(model: AppModel, node: int) -> str:
    """One person's trust in, and annoyance at, the shown seller, day by day: two SVG pictures
    of one panel each, which the page sets side by side or one above the other as the settings
    panel's width allows (each is drawn at its own size, so its text keeps its size)."""
    trust, annoyance = model.person_history(node)
    day = np.arange(len(trust), dtype=float)
    right = max(30, model.day)
    colour = seller_colour(model.focus)
    top = _nice_top(float(np.nanmax(annoyance)) if np.isfinite(annoyance).any() else 1.0)
    parts = []
    panels = (("Her trust in the seller", trust, 1.0), ("Her annoyance at the seller", annoyance, top))
    for title, values, high in panels:
        parts.append(f'<svg viewBox="0 0 {HISTORY_W:.0f} {HISTORY_H:.0f}" width="{HISTORY_W:.0f}" '
                     f'height="{HISTORY_H:.0f}" xmlns="http://www.w3.org/2000/svg" class="viralsim-person-svg" '
                     f'role="img" aria-label="{title.lower()}">')
        parts.append(_STYLE)
        parts.extend(_panel(0, 0, HISTORY_W, HISTORY_H, title, right, high, [(day, values, colour, False)]))
        parts.append("</svg>")
    return "".join(parts)
