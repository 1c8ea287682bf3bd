"""The Solara page of ``viralsim app``: a viralsim market (a Mesa model) a class can watch.

Layout
------
Everything fits in the window, without scrolling, from a 1024x768 projector up:

* A toolbar: the day, Reset / Play-Pause / Step, "Run to day N", the play speed, the seller
  shown; under it one line of her numbers (day 0 shows the starting contacts and trust).
* The pictures, side by side: the friend network (colour = trust in the shown seller, black
  ring = muted her, red cross = blocked her, named stars = sellers; click a person to follow
  her) and four charts (sales, trust, annoyance, muted/blocked), one line per seller. They take
  the height the rest of the page leaves (``page.css``).
* The settings, as tabs in a strip under the pictures: the shown seller's levers (act from the
  next day), the market levers (act on Reset; a changed one is marked, and so is the tab, until
  then), the person clicked (a click on a dot opens this tab), the exports (CSV of the days, PNG
  of the pictures) and how to read the pictures.

Speed
-----
A day redraws only what it changed. The page's state lives in reactive variables of a
:class:`Session`; each part of the page reads the ones it shows and is re-rendered by Solara
only when they change, so a day never rebuilds the toolbar, the settings or the page around
them. The status line, the network and the charts are one Vue widget (``pictures.vue``), so a
day reaches the browser as one small message (the people's colours and sizes, the marks, the
counts and the charts' SVG) instead of one per widget; every message costs a round trip between
the server's threads. Only the open settings tab is built. ``benchmarks/bench_app.py`` measures
the latency of Step in a browser (figures in docs/benchmarks.md).

Why not Mesa's SolaraViz: its sidebar takes 40 % of a projector's width, its controls (Render
Interval, Use Threads, page tabs, "Information: Step") mean nothing to a class, its charts
sit in a draggable grid of fixed cells that does not reflow, and it re-renders matplotlib PNGs
every day. This page keeps the model (:class:`~viralsim.app.model.AppModel` is a Mesa model)
and draws with SVG (:mod:`viralsim.app.svg`), which costs about a millisecond a day.

The page reads its base config from the environment set by ``viralsim app`` (see
:data:`viralsim.app.ENV_CONFIG` and :data:`viralsim.app.ENV_SET`); without them it shows the
built-in classroom market. Serve it directly with ``solara run viralsim.app.page``.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from dataclasses import replace
from html import escape
from pathlib import Path

import solara
import solara.lab

from viralsim.app import ENV_CONFIG, ENV_SET
from viralsim.app.drawing import ChartsPicture, NetworkPicture, seller_colour
from viralsim.app.model import (
    MAX_NETWORK_SIZE,
    AppModel,
    Levers,
    app_config,
    default_levers,
    describe_market,
    preset_defaults,
    sliders,
)
from viralsim.app.svg import NETWORK_BOX, charts_svg, history_svg, network_frame, network_geometry
from viralsim.config.presets import preset_names
from viralsim.experiment.warmup import warm_up

#: largest run number on the "Run number" slider (seed = config seed + run number)
RUNS = 50

#: play speeds offered, in days per second (0: as fast as the machine goes)
SPEEDS = {"1 day/s": 1.0, "2 days/s": 2.0, "5 days/s": 5.0, "10 days/s": 10.0, "as fast as possible": 0.0}
DEFAULT_SPEED = "5 days/s"
#: while running as fast as possible or to a day, the pictures are redrawn at most this often
#: (seconds): drawing every day would cost more than the days themselves
REDRAW_S = 0.25

HOW_TO_READ = (
    "Each dot is a person; click one to follow her. Contacts of the shown seller are coloured by their trust in "
    "her (red low, green high); grey dots are not her contacts. Black ring: muted her (hides her posts). Red "
    "cross: blocked her. Stars are the sellers, named; the shown one is larger. When nothing happens, trust "
    "drifts back to its starting level (half-way in one trust half-life) and annoyance fades within days."
)

#: the settings tabs, in order: Seller, Market, Person, Export, How to read
TAB_SELLER, TAB_MARKET, TAB_PERSON, TAB_EXPORT, TAB_HELP = range(5)

CSS = Path(__file__).with_name("page.css").read_text(encoding="utf-8")


def base_config():
    """The config named by the environment (see the module docstring)."""
    path = os.environ.get(ENV_CONFIG) or None
    overrides = tuple(json.loads(os.environ.get(ENV_SET) or "[]"))
    return app_config(path, overrides)


def market_params(base, levers: Levers) -> dict:
    """The market levers' inputs (act on Reset), keyed by :class:`AppModel` keyword argument.

    Each entry: ``type`` (SliderInt or Checkbox), ``label``, ``value`` and, for sliders,
    ``min``/``max``/``step`` and the registry's ``slider`` (label and unit).
    """
    ranges = sliders(base)
    half_life = ranges["trust_half_life"]
    params = {
        "trust_half_life": {
            "type": "SliderInt", "label": half_life.label, "slider": half_life,
            "value": int(round(levers.trust_half_life)),
            "min": int(half_life.low), "max": int(half_life.high), "step": int(half_life.step),
        },
        "moderation": {
            "type": "Checkbox", "label": "Platform moderation (harassment prompt)", "value": levers.moderation,
        },
        "run": {"type": "SliderInt", "label": "Run number (seed)", "slider": None, "value": 0, "min": 0,
                "max": RUNS, "step": 1},
    }
    if levers.network_size is not None and "network_size" in ranges:
        size = ranges["network_size"]
        params["network_size"] = {
            "type": "SliderInt", "label": size.label, "slider": size,
            "value": int(levers.network_size), "min": int(size.low), "max": int(size.high), "step": int(size.step),
        }
    return params


def market_now(model: AppModel) -> dict:
    """The market levers ``model`` was built with, keyed like :func:`market_params`."""
    lv = model.levers
    now = {"trust_half_life": int(round(lv.trust_half_life)), "moderation": bool(lv.moderation),
           "run": int(model.config.seed - model.base_config.seed)}
    if lv.network_size is not None:
        now["network_size"] = int(lv.network_size)
    return now


def png(figure) -> bytes:
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=150)
    return buf.getvalue()


@solara.component_vue("pictures.vue")
def LivePictures(status, box, edges, xy, nodes, fill, radius, muted, blocked, sellers, picked, shown, counts, names,
                 charts, event_pick=None):
    """The status line, the friend network and the charts (pictures.vue); ``event_pick(node)`` is
    called when a person is clicked."""


def _kernels_ready() -> None:
    """Load (or compile) every engine kernel once per server process.

    Why: the engine loads a day's kernels on the first day it runs, which made the first Step
    after the server started take about 0.3 s more than the others; a page's first load pays
    it instead (:func:`viralsim.experiment.warmup.warm_up`, about 0.2 s with the kernels cached
    on disk)."""
    with _KERNELS_LOCK:
        if not _KERNELS_READY:
            warm_up()
            _KERNELS_READY.append(True)


_KERNELS_LOCK = threading.Lock()
_KERNELS_READY: list[bool] = []


class Session:
    """One browser tab's market and the page's state, as reactive variables.

    A component that reads one of them (``.value``) while rendering is re-rendered when it
    changes, and a component whose arguments did not change is not: the page passes this
    object, which never changes, to its parts, so a day re-renders only the parts that read
    :attr:`day` (the counter, the status line, the pictures, the person followed), never the
    settings or the page around them.
    """

    def __init__(self, base):
        _kernels_ready()
        self.base = base
        levers = default_levers(base)
        model = AppModel(config=base, levers=levers)
        self.levers = solara.reactive(levers)
        self.model = solara.reactive(model)
        self.day = solara.reactive(0)             # the day the pictures show (set after each drawn day)
        self.focus = solara.reactive(model.focus)
        self.playing = solara.reactive(False)
        self.target = solara.reactive(None)       # "run to day N" in progress: N
        self.speed = solara.reactive(DEFAULT_SPEED)
        self.until = solara.reactive(min(180, base.days))
        self.chosen = solara.reactive({})         # market levers set in the panel, not yet applied
        self.picked = solara.reactive(None)       # the person followed
        self.tab = solara.reactive(TAB_SELLER)    # the settings tab shown
        self.lock = threading.Lock()

    def step(self) -> None:
        with self.lock:
            self.model.value.step()
        self.day.set(self.model.value.day)

    def pick(self, node) -> None:
        """Follow person ``node`` (a click on her dot), in the Person tab."""
        self.picked.set(int(node))
        self.tab.set(TAB_PERSON)

    def forget(self) -> None:
        self.picked.set(None)

    def pending(self) -> bool:
        """Is a market lever set to something else than the running market (until Reset)?"""
        now = market_now(self.model.value)
        return any(self.chosen.value.get(k, v) != v for k, v in now.items())

    def reset(self) -> None:
        self.playing.set(False)
        self.target.set(None)
        market = {**market_now(self.model.value), **self.chosen.value}
        with self.lock:
            new = AppModel(config=self.base, levers=self.levers.value, **market)
        self.chosen.set({})
        self.picked.set(None)
        self.model.set(new)
        self.day.set(new.day)

    def show_seller(self, name: str) -> None:
        self.levers.set(replace(self.levers.value, focus=name))
        self.model.value.set_focus(name)
        self.focus.set(self.model.value.focus)

    def run(self, cancel: threading.Event) -> None:
        """Play, or run to a day, in a thread: a day, a redraw when due, a pause for the speed."""
        if not (self.playing.value or self.target.value is not None):
            return
        market = self.model.value  # a Reset during the run starts a new market, which this loop leaves alone
        target = self.target.value
        goal = min(target if target is not None else market.config.days, market.config.days)
        pace = 0.0 if target is not None else SPEEDS[self.speed.value]
        drawn = time.monotonic()
        while not cancel.is_set() and market.day < goal:
            started = time.monotonic()
            with self.lock:
                market.step()
            if pace > 0:
                self.day.set(market.day)
                cancel.wait(max(0.0, 1.0 / pace - (time.monotonic() - started)))
            elif time.monotonic() - drawn > REDRAW_S:
                self.day.set(market.day)
                drawn = time.monotonic()
        if cancel.is_set():
            return
        self.day.set(market.day)
        self.playing.set(False)
        self.target.set(None)


def status_text(model: AppModel) -> str:
    """The shown seller's numbers today, in one line (day 0: the starting contacts and trust)."""
    st = model.status()
    trust = "–" if st["mean_trust"] != st["mean_trust"] else f"{st['mean_trust']:.2f}"
    return (f"{st['seller']}: {st['sales']} sales, {st['customers']} customers, {st['followers']} followers, "
            f"{st['muted']} muted, {st['blocked']} blocked, mean trust of contacts {trust}"
            + (" (at the start)" if st["day"] == 0 else ""))


@solara.component
def Pictures(s: Session):
    """The status line, the friend network (laid out once per market, recoloured every day) and
    the charts (sales, trust, annoyance, muted/blocked per seller, day 0 included)."""
    model, day, focus, picked = s.model.value, s.day.value, s.focus.value, s.picked.value
    geometry = network_geometry(model)
    frame = solara.use_memo(lambda: network_frame(model, geometry), [model, day, focus])
    charts = solara.use_memo(lambda: charts_svg(model), [model, day])
    status = solara.use_memo(lambda: status_text(model), [model, day, focus])
    static = solara.use_memo(lambda: {
        "nodes": geometry.nodes.tolist(),
        "where": {int(n): i for i, n in enumerate(geometry.nodes)},
        "names": [{"name": name, "colour": seller_colour(i)} for i, name in enumerate(model.seller_names)],
    }, [model, geometry])
    LivePictures(status=status, box=NETWORK_BOX, edges=geometry.edges, xy=geometry.xy, nodes=static["nodes"],
                 fill=frame["fill"], radius=frame["radius"], muted=frame["muted"], blocked=frame["blocked"],
                 sellers=frame["sellers"], picked=static["where"].get(picked, -1) if picked is not None else -1,
                 shown=model.sellers[focus].name,
                 counts={"contacts": frame["contacts"], "muted": frame["n_muted"], "blocked": frame["n_blocked"]},
                 names=static["names"], charts=charts, event_pick=s.pick)


@solara.component
def PersonView(s: Session):
    """The person clicked: her tie to the shown seller and her trust and annoyance, day by day."""
    model, picked, day, focus = s.model.value, s.picked.value, s.day.value, s.focus.value
    if picked is not None and picked >= model.state.n:  # followed in a larger market before a Reset
        picked = None
    p = solara.use_memo(lambda: None if picked is None else model.person(picked), [model, picked, day, focus])
    history = solara.use_memo(lambda: None if p is None or p["seller_name"] is not None else history_svg(model, picked),
                              [model, picked, day, focus])
    with solara.Div(classes=["viralsim-person-card"]):
        if p is None:
            solara.Text("Click a dot in the network to follow that person's trust and annoyance.",
                        classes=["viralsim-person-facts"])
            return
        if p["seller_name"] is not None:
            solara.Text(f"Person {p['node']} is the seller '{p['seller_name']}' ({p['friends']} friends).",
                        classes=["viralsim-person-facts"])
            return
        seller = model.sellers[model.focus].name
        marks = ", blocked her" if p["blocked"] else ", muted her" if p["muted"] else ""
        facts = (f"Person {p['node']} ({p['friends']} friends) is {p['tie']} of '{seller}'{marks}. Today: trust in "
                 f"her {p['trust']:.2f}, annoyance at her {p['annoyance']:.1f}.")
        # one widget for the facts and the history: a day changes both, and every widget that
        # changes costs a message of its own to the browser
        solara.HTML(tag="div", classes=["viralsim-person-followed"], unsafe_innerHTML=(
            f"<div class='viralsim-person-facts'>{escape(facts)}</div>"
            f"<div class='viralsim-person-history'>{history}</div>"))
        solara.Button("Forget this person", text=True, on_click=s.forget, classes=["viralsim-forget"])


@solara.component
def SellerPanel(s: Session):
    """The shown seller's levers: they act from the next day."""
    model, lv = s.model.value, s.levers.value
    sl = lv.seller()
    ranges = sliders(model.base_config)
    posts, ad, quality = ranges["posts_per_day"], ranges["ad_share"], ranges["quality"]

    def set_seller(**changes):
        new = s.levers.value.with_seller(s.levers.value.focus, **changes)
        s.levers.set(new)
        s.model.value.set_seller_levers(new.focus, new.seller())

    def on_preset(name):
        p, a = preset_defaults(name)
        set_seller(preset=name, posts_per_day=p, ad_share=a)

    with solara.Div(classes=["viralsim-levers"]):
        solara.Text(f"Seller '{lv.focus}': her levers act from the next day.", classes=["viralsim-tab-note"])
        with solara.Div(classes=["viralsim-grid"]):
            solara.Select("Her strategy preset", values=preset_names(), value=sl.preset, on_value=on_preset,
                          classes=["viralsim-preset"])
            with solara.Div(classes=["viralsim-seller-sliders"]):
                # the posts slider reaches a seller's own rate where that is above the usual range
                solara.SliderFloat(posts.text(sl.posts_per_day), value=sl.posts_per_day, min=float(posts.low),
                                   max=float(max(posts.high, sl.posts_per_day)), step=float(posts.step),
                                   on_value=lambda v: set_seller(posts_per_day=float(v)))
                solara.SliderFloat(ad.text(sl.ad_share), value=sl.ad_share, min=float(ad.low), max=float(ad.high),
                                   step=float(ad.step), on_value=lambda v: set_seller(ad_share=float(v)))
                solara.SliderFloat(quality.text(sl.quality), value=sl.quality, min=float(quality.low),
                                   max=float(quality.high), step=float(quality.step),
                                   on_value=lambda v: set_seller(quality=float(v)))


@solara.component
def MarketLevers(s: Session):
    """The market levers: they act on Reset; a lever set to something else than the running
    market shows it ("was 60 days") until Reset."""
    model, chosen, lv = s.model.value, s.chosen.value, s.levers.value
    now = market_now(model)
    params = market_params(s.base, lv)
    pending = [k for k in params if chosen.get(k, now.get(k)) != now.get(k)]
    with solara.Div(classes=["viralsim-market-levers"]):
        solara.Text(f"Market now: {describe_market(model)}. These act on Reset, which starts a new market.",
                    classes=["viralsim-market", "viralsim-tab-note"])
        if lv.scaled_from:
            solara.Text(f"The config's network has {lv.scaled_from:,} people; the app starts with "
                        f"{lv.network_size} so that every person can be drawn (Network size, up to "
                        f"{MAX_NETWORK_SIZE}).", classes=["viralsim-note"])
        with solara.Div(classes=["viralsim-grid"]):
            for key, spec in params.items():
                value = chosen.get(key, now.get(key, spec["value"]))

                def on_value(v, key=key):
                    s.chosen.set({**s.chosen.value, key: v})

                mark = key in pending
                with solara.Div(classes=["viralsim-pending"] if mark else ["viralsim-lever"]):
                    if spec["type"] == "Checkbox":
                        label = spec["label"] + (f" (was {'on' if now[key] else 'off'}; Reset applies it)"
                                                 if mark else "")
                        solara.Checkbox(label=label, value=bool(value), on_value=on_value)
                        continue
                    slider = spec["slider"]
                    label = slider.text(value) if slider is not None else f"{spec['label']}: {value}"
                    if mark:
                        was = slider.value_text(now[key]) if slider is not None else now[key]
                        label += f" (was {was}; Reset applies it)"
                    solara.SliderInt(label, value=int(value), min=spec["min"], max=spec["max"], step=spec["step"],
                                     on_value=on_value)
        if pending:
            solara.Text("Changed settings wait for Reset, which starts a new market.",
                        classes=["viralsim-pending-note"])


@solara.component
def Exports(s: Session):
    """Downloads: the days as CSV, the pictures as PNG (made when clicked)."""
    model = s.model.value
    name = f"{model.config.name}-seed{model.config.seed}-day{s.day.value}"
    with solara.Div(classes=["viralsim-export"]):
        solara.Text("The days so far, one row per day and seller, and the pictures of today.",
                    classes=["viralsim-tab-note"])
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(model.series_csv, filename=f"{name}.csv", label="Data (CSV)", mime_type="text/csv")
            solara.FileDownload(lambda: png(NetworkPicture(model).figure), filename=f"{name}-network.png",
                                label="Network (PNG)", mime_type="image/png")
            solara.FileDownload(lambda: png(ChartsPicture(model).figure), filename=f"{name}-charts.png",
                                label="Charts (PNG)", mime_type="image/png")


@solara.component
def Settings(s: Session):
    """The settings as tabs: the shown seller's levers, the market's, the person followed, the
    exports and how to read the pictures; only the open tab is built (and redrawn with the days)."""
    pending = s.pending()
    with solara.lab.Tabs(value=s.tab, lazy=True):
        with solara.lab.Tab("Seller", classes=["viralsim-tab", "viralsim-tab-seller"]):
            SellerPanel(s)
        with solara.lab.Tab("Market" + (" (changed)" if pending else ""),
                            classes=["viralsim-tab", "viralsim-tab-market"]
                            + (["viralsim-tab-pending"] if pending else [])):
            MarketLevers(s)
        with solara.lab.Tab("Person", classes=["viralsim-tab", "viralsim-tab-person"]):
            PersonView(s)
        with solara.lab.Tab("Export", classes=["viralsim-tab", "viralsim-tab-export"]):
            Exports(s)
        with solara.lab.Tab("How to read", classes=["viralsim-tab", "viralsim-tab-help"]):
            solara.Text(HOW_TO_READ, classes=["viralsim-help"])


@solara.component
def DayCounter(s: Session):
    solara.Text(f"Day {s.day.value}", classes=["viralsim-day"])


@solara.component
def RunButton(s: Session):
    """Run to the day in "Run to day" (Stop while running); idle when that day is past."""
    target, until = s.target.value, s.until.value
    solara.Button("Run" if target is None else "Stop", classes=["viralsim-run"],
                  on_click=lambda: s.target.set(None if s.target.value is not None else int(s.until.value)),
                  disabled=s.playing.value or (target is None and until <= s.day.value))


@solara.component
def Toolbar(s: Session):
    """The day; Reset, Play/Pause, Step; the play speed; run to a day; the seller shown."""
    model, playing, target = s.model.value, s.playing.value, s.target.value
    busy = playing or target is not None
    with solara.Row(classes=["viralsim-toolbar"], gap="8px"):
        DayCounter(s)
        solara.Button("Reset", on_click=s.reset, color="warning" if s.pending() else "primary",
                      classes=["viralsim-reset"])
        solara.Button("Pause" if playing else "Play", color="primary",
                      on_click=lambda: s.playing.set(not s.playing.value), disabled=target is not None,
                      classes=["viralsim-play"])
        solara.Button("Step", on_click=s.step, color="primary", disabled=busy, classes=["viralsim-step"])
        solara.Select("Speed", values=list(SPEEDS), value=s.speed, classes=["viralsim-speed"])
        solara.InputInt("Run to day", value=s.until, classes=["viralsim-until"])
        RunButton(s)
        if len(model.seller_names) > 1:
            solara.Select("Seller shown", values=model.seller_names, value=model.seller_names[s.focus.value],
                          on_value=s.show_seller, classes=["viralsim-focus"])


@solara.component
def Page():
    """The app: one market per browser session."""
    s = solara.use_memo(lambda: Session(base_config()), [])
    # the thread restarts when play, "run to day", the speed or the market change
    solara.use_thread(s.run, dependencies=[s.playing.value, s.target.value, s.speed.value, id(s.model.value)],
                      intrusive_cancel=False)
    solara.Title(f"viralsim: {s.base.name}")
    solara.Style(CSS)
    with solara.Div(classes=["viralsim-app"]):
        Toolbar(s)
        with solara.Div(classes=["viralsim-body"]):
            Pictures(s)
            with solara.Div(classes=["viralsim-panel"]):
                Settings(s)
