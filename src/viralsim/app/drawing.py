"""Matplotlib pictures of a running market: the friend network and the live charts.

Both pictures are bare :class:`matplotlib.figure.Figure` objects (no pyplot state) that are built
once per model and then only updated: the network is laid out once per graph (cached, spring
layout with a fixed seed) and each day only the node colours and the muted/blocked markers
change; the charts keep their lines and only receive new data. The page draws its live
pictures as SVG (:mod:`viralsim.app.svg`, which shares the layout and colours defined here);
these figures are its PNG export, and serve notebooks and tests.
"""

from __future__ import annotations

from collections import OrderedDict

import networkx as nx
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from viralsim.app.model import AppModel

__all__ = ["NetworkPicture", "ChartsPicture", "network_picture", "charts_picture", "layout", "SELLER_COLOURS",
           "MAX_DRAWN"]

#: most people drawn; larger graphs (edge lists, block models) show the sellers' neighbourhoods
MAX_DRAWN = 1200
#: one colour per seller (matplotlib's tab10 order), used in every picture
SELLER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
#: colour of people who are not in contact with the shown seller
NO_CONTACT = (0.86, 0.86, 0.86, 1.0)
TRUST_CMAP = "RdYlGn"

_LAYOUTS: OrderedDict = OrderedDict()
_LAYOUT_CACHE_SIZE = 8


def seller_colour(index: int) -> str:
    return SELLER_COLOURS[index % len(SELLER_COLOURS)]


def drawn_nodes(model: AppModel) -> np.ndarray:
    """Nodes to draw: all of them, or the sellers, their contacts and friends if there are too many."""
    st = model.state
    n = st.n
    if n <= MAX_DRAWN:
        return np.arange(n)
    topo = model.topology
    chosen = list(dict.fromkeys(int(x) for x in st.seller_nodes))
    for node in st.seller_nodes:
        chosen.extend(int(x) for x in topo.neighbors(int(node)))
    m = st.n_relations
    contacts = st.rel.node[:m][st.rel.tie[:m] > 0]
    chosen.extend(int(x) for x in np.unique(contacts))
    nodes = np.array(list(dict.fromkeys(chosen))[:MAX_DRAWN], dtype=np.int64)
    return np.sort(nodes)


def layout(model: AppModel, nodes: np.ndarray) -> np.ndarray:
    """Positions (len(nodes), 2) of the drawn nodes, computed once per graph and cached.

    A spring layout with a fixed seed: the same config gives the same picture in every session,
    and a Reset that keeps the graph (same network and seed) reuses the positions.
    """
    key = (model.config.network.model_dump_json(), model.config.seed, nodes.tobytes())
    if key in _LAYOUTS:
        _LAYOUTS.move_to_end(key)
        return _LAYOUTS[key]
    graph = model.topology.to_networkx()
    if len(nodes) < graph.number_of_nodes():
        graph = graph.subgraph(nodes.tolist())
    pos = nx.spring_layout(graph, seed=1, iterations=60, k=1.6 / np.sqrt(max(len(nodes), 1)))
    xy = np.array([pos[int(i)] for i in nodes], dtype=float)
    _LAYOUTS[key] = xy
    while len(_LAYOUTS) > _LAYOUT_CACHE_SIZE:
        _LAYOUTS.popitem(last=False)
    return xy


class NetworkPicture:
    """The friend network of one model: colour = trust in the shown seller.

    People in contact with the shown seller are coloured by their trust in her (red low, green
    high); other people are pale grey. A black ring marks a contact who muted her (hides her
    posts), a red cross one who blocked her. Sellers are stars; the shown seller's star is larger.
    """

    def __init__(self, model: AppModel, *, figsize: tuple[float, float] = (6.2, 5.6), dpi: int = 90):
        self.nodes = drawn_nodes(model)
        self.xy = layout(model, self.nodes)
        self.cmap = colormaps[TRUST_CMAP]

        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.01, right=0.86, bottom=0.08, top=0.93)
        ax = self.figure.add_subplot()
        self.ax = ax
        ax.set_axis_off()
        ax.set_aspect("equal")

        where = np.full(model.state.n, -1, dtype=np.int64)
        where[self.nodes] = np.arange(len(self.nodes))
        u, v, _ = model.topology.edge_list()
        keep = (where[u] >= 0) & (where[v] >= 0)
        segs = np.stack([self.xy[where[u[keep]]], self.xy[where[v[keep]]]], axis=1)
        ax.add_collection(LineCollection(segs, colors="#9a9a9a", linewidths=0.35, alpha=0.35, zorder=1))

        self.is_seller = np.isin(self.nodes, model.state.seller_nodes)
        self.people = ax.scatter(self.xy[:, 0], self.xy[:, 1], s=14, c=[NO_CONTACT], edgecolors="none", zorder=2)
        self.muted = ax.scatter([], [], s=60, facecolors="none", edgecolors="black", linewidths=0.9, zorder=3)
        self.blocked = ax.scatter([], [], s=42, marker="x", c="#d40000", linewidths=1.6, zorder=4)
        seller_xy = self.xy[where[model.state.seller_nodes]]
        colours = [seller_colour(i) for i in range(len(seller_xy))]
        self.sellers = ax.scatter(seller_xy[:, 0], seller_xy[:, 1], s=320, marker="*", c=colours,
                                  edgecolors="black", linewidths=0.8, zorder=5)
        # each star carries its seller's name: a class must not have to guess which star is whose
        middle = (self.xy[:, 0].min() + self.xy[:, 0].max()) / 2
        for (x, y), seller, colour in zip(seller_xy, model.sellers, colours):
            right = x > middle
            ax.annotate(seller.name, (x, y), xytext=(-12 if right else 12, 8), textcoords="offset points",
                        ha="right" if right else "left", fontsize=11, fontweight="bold", color=colour, zorder=6,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
        pad = 0.05
        ax.set_xlim(self.xy[:, 0].min() - pad, self.xy[:, 0].max() + pad)
        ax.set_ylim(self.xy[:, 1].min() - pad, self.xy[:, 1].max() + pad)

        cax = self.figure.add_axes((0.89, 0.25, 0.025, 0.55))
        bar = self.figure.colorbar(ScalarMappable(norm=Normalize(0, 1), cmap=self.cmap), cax=cax)
        bar.set_label("trust in the shown seller", fontsize=8)
        bar.ax.tick_params(labelsize=7)
        handles = [
            Line2D([], [], marker="*", ls="", ms=12, mfc="white", mec="black", label="seller"),
            Line2D([], [], marker="o", ls="", ms=7, mfc="none", mec="black", label="muted her"),
            Line2D([], [], marker="x", ls="", ms=7, mec="#d40000", mew=1.6, label="blocked her"),
            Line2D([], [], marker="o", ls="", ms=6, mfc=NO_CONTACT, mec="none", label="not a contact"),
        ]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, -0.08), ncol=4, fontsize=7.5,
                  frameon=False, handletextpad=0.3, columnspacing=1.0)
        self.title = ax.set_title("", fontsize=10)
        self.update(model)

    def update(self, model: AppModel) -> Figure:
        """Recolour the people and move the markers to today's state of ``model``."""
        st = model.state
        s = model.focus
        nodes = self.nodes
        tie = st.column("tie", s)[nodes]
        contact = (tie > 0) & ~self.is_seller
        colours = self.cmap(np.clip(st.column("trust", s)[nodes], 0.0, 1.0))
        colours[~contact] = NO_CONTACT
        colours[self.is_seller, 3] = 0.0
        self.people.set_facecolors(colours)
        self.people.set_sizes(np.where(contact, 26.0, 9.0))
        blocked = st.column("blocked", s)[nodes] & contact
        muted = st.column("muted", s)[nodes] & contact & ~blocked
        self.muted.set_offsets(self.xy[muted] if muted.any() else np.empty((0, 2)))
        self.blocked.set_offsets(self.xy[blocked] if blocked.any() else np.empty((0, 2)))
        sizes = np.full(len(model.sellers), 320.0)
        widths = np.full(len(model.sellers), 0.8)
        sizes[s], widths[s] = 560.0, 1.8
        self.sellers.set_sizes(sizes)
        self.sellers.set_linewidths(widths)
        name = model.sellers[s].name
        n_contacts = int(contact.sum())
        self.title.set_text(
            f"day {model.day}: {n_contacts} contacts of '{name}', "
            f"{int(muted.sum())} muted, {int(blocked.sum())} blocked"
        )
        return self.figure


class ChartsPicture:
    """Four live charts, one line per seller: daily sales, mean trust, mean annoyance, muted/blocked."""

    PANELS = (
        ("purchases", "sales per day (7-day mean)"),
        ("mean_trust", "mean trust of contacts"),
        ("mean_annoyance", "mean annoyance of contacts"),
        ("lost", "contacts who muted (solid) / blocked (dashed)"),
    )

    def __init__(self, model: AppModel, *, figsize: tuple[float, float] = (7.2, 5.6), dpi: int = 90):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.09, top=0.9, wspace=0.28, hspace=0.42)
        self.axes = self.figure.subplots(2, 2).ravel()
        self.lines: dict[tuple[str, str], object] = {}
        names = [s.name for s in model.sellers]
        for ax, (key, title) in zip(self.axes, self.PANELS):
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            ax.set_xlabel("day", fontsize=8)
            for i, name in enumerate(names):
                colour = seller_colour(i)
                if key == "lost":
                    (self.lines[(key + ":muted", name)],) = ax.plot([], [], color=colour, lw=1.6, label=name)
                    (self.lines[(key + ":blocked", name)],) = ax.plot([], [], color=colour, lw=1.6, ls="--")
                else:
                    (self.lines[(key, name)],) = ax.plot([], [], color=colour, lw=1.6, label=name)
        self.axes[1].set_ylim(0, 1)
        self.figure.legend(handles=[self.lines[("purchases", n)] for n in names], loc="upper center",
                           ncol=min(len(names), 6), fontsize=8, frameon=False)
        self.update(model)

    def update(self, model: AppModel) -> Figure:
        """Put the days run so far (day 0 included) into the lines."""
        data = model.chart_data()
        right = max(30, model.day)
        for ax in self.axes:
            ax.set_xlim(0, right)
        day = data["day"]
        for i, name in enumerate(model.seller_names):
            self.lines[("purchases", name)].set_data(day, data["sales_7d"][i])
            self.lines[("mean_trust", name)].set_data(day, data["mean_trust"][i])
            self.lines[("mean_annoyance", name)].set_data(day, data["mean_annoyance"][i])
            self.lines[("lost:muted", name)].set_data(day, data["muted"][i])
            self.lines[("lost:blocked", name)].set_data(day, data["blocked"][i])
        marker = "o" if model.day < 3 else ""  # a line of one point is invisible
        for line in self.lines.values():
            line.set_marker(marker)
            line.set_markersize(3)
        for i, ax in enumerate(self.axes):
            if i == 1:
                continue
            ys = [ln.get_ydata() for ln in ax.get_lines() if len(ln.get_ydata())]
            top = max((float(np.nanmax(y)) for y in ys if np.isfinite(y).any()), default=1.0)
            ax.set_ylim(0, max(top * 1.08, 1.0))
        self.figure.suptitle(f"day {model.day}", fontsize=10, x=0.98, ha="right")
        return self.figure


def network_picture(model: AppModel) -> NetworkPicture:
    """The model's network picture, built on first use and kept on the model."""
    pic = getattr(model, "_network_picture", None)
    if pic is None:
        pic = NetworkPicture(model)
        model._network_picture = pic
    return pic


def charts_picture(model: AppModel) -> ChartsPicture:
    """The model's chart picture, built on first use and kept on the model."""
    pic = getattr(model, "_charts_picture", None)
    if pic is None:
        pic = ChartsPicture(model)
        model._charts_picture = pic
    return pic
