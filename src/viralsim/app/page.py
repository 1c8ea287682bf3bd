"""The Solara page of ``viralsim app``: a viralsim market (a Mesa model) a class can watch.

Layout
------
* A toolbar: the day, Reset / Play-Pause / Step, "Run to day N", the play speed, the seller
  shown, and one line of her numbers (day 0 shows the starting contacts and trust).
* The pictures, side by side: the friend network (colour = trust in the shown seller, black
  ring = muted her, red cross = blocked her, named stars = sellers; click a person to follow
  her) and four charts (sales, trust, annoyance, muted/blocked), one line per seller.
* The settings panel: the shown seller's levers (act from the next day), the market levers
  (act on Reset; a changed one is marked until then), the person clicked, and the exports
  (CSV of the days, PNG of the pictures). Wide screens show it as a column on the right;
  narrower ones (a 1024x768 projector) put it under the pictures, so the pictures keep the
  width and stay above the fold.

Why not Mesa's SolaraViz: its sidebar takes 40 % of a projector's width, its controls (Render
Interval, Use Threads, page tabs, "Information: Step") mean nothing to a class, its charts
sit in a draggable grid of fixed cells that does not reflow, and it re-renders matplotlib PNGs
every day. This page keeps the model (:class:`~viralsim.app.model.AppModel` is a Mesa model)
and draws with SVG (:mod:`viralsim.app.svg`), which costs a few milliseconds a day.

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
from pathlib import Path

import solara

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


@solara.component_vue("network.vue")
def NetworkSvg(box, edges, xy, nodes, fill, radius, muted, blocked, sellers, picked, event_pick=None):
    """The friend network (network.vue); ``event_pick(node)`` is called when a person is clicked."""


@solara.component
def NetworkView(model: AppModel, day: int, focus: int, picked: solara.Reactive[int | None]):
    """The friend network, laid out once per market, recoloured every day."""
    geometry = network_geometry(model)
    frame = solara.use_memo(lambda: network_frame(model, geometry), [model, day, focus])
    where = {int(n): i for i, n in enumerate(geometry.nodes)} if picked.value is not None else {}
    with solara.Column(classes=["viralsim-network"], gap="0px"):
        NetworkSvg(box=NETWORK_BOX, edges=geometry.edges, xy=geometry.xy, nodes=geometry.nodes.tolist(),
                   fill=frame["fill"], radius=frame["radius"], muted=frame["muted"], blocked=frame["blocked"],
                   sellers=frame["sellers"], picked=where.get(picked.value, -1),
                   event_pick=lambda node: picked.set(int(node)))
        solara.HTML(tag="div", classes=["viralsim-legend"], unsafe_innerHTML=(
            f"{frame['contacts']} contacts of <b>{model.sellers[focus].name}</b>: "
            "<span class='sw' style='background:#d73027'></span>low trust "
            "<span class='sw' style='background:#fee08b'></span> "
            "<span class='sw' style='background:#1a9850'></span>high trust · "
            f"<b>○</b> muted her ({frame['n_muted']}) · <b style='color:#d40000'>✕</b> blocked her "
            f"({frame['n_blocked']}) · <span class='sw' style='background:#dbdbdb'></span>not a contact"))


@solara.component
def ChartsView(model: AppModel, day: int):
    """Sales, trust, annoyance and muted/blocked contacts per seller, day 0 included."""
    svg = solara.use_memo(lambda: charts_svg(model), [model, day])
    with solara.Column(classes=["viralsim-charts"], gap="0px"):
        solara.HTML(tag="div", classes=["viralsim-chart-legend"], unsafe_innerHTML=" ".join(
            f"<span class='sw' style='background:{seller_colour(i)}'></span>{name}"
            for i, name in enumerate(model.seller_names)))
        solara.HTML(tag="div", classes=["viralsim-charts-box"], unsafe_innerHTML=svg)


@solara.component
def PersonView(model: AppModel, day: int, picked: solara.Reactive[int | None]):
    """The person clicked: her tie to the shown seller and her trust and annoyance, day by day."""
    with solara.Card("Person", classes=["viralsim-person-card"]):
        if picked.value is None or picked.value >= model.state.n:
            solara.Text("Click a dot in the network to follow that person's trust and annoyance.")
            return
        p = model.person(picked.value)
        seller = model.sellers[model.focus].name
        if p["seller_name"] is not None:
            solara.Text(f"Person {p['node']} is the seller '{p['seller_name']}' ({p['friends']} friends).",
                        classes=["viralsim-person"])
            return
        marks = ", blocked her" if p["blocked"] else ", muted her" if p["muted"] else ""
        solara.Text(
            f"Person {p['node']} ({p['friends']} friends) is {p['tie']} of '{seller}'{marks}. Today: trust in her "
            f"{p['trust']:.2f}, annoyance at her {p['annoyance']:.1f}.", classes=["viralsim-person"])
        solara.HTML(tag="div", classes=["viralsim-person-history"], unsafe_innerHTML=history_svg(model, p["node"]))
        solara.Button("Forget this person", text=True, on_click=lambda: picked.set(None))


@solara.component
def SellerPanel(model: AppModel, levers: solara.Reactive[Levers]):
    """The shown seller's levers: they act from the next day."""
    lv = levers.value
    sl = lv.seller()
    ranges = sliders(model.base_config)
    posts, ad, quality = ranges["posts_per_day"], ranges["ad_share"], ranges["quality"]

    def set_seller(**changes):
        new = levers.value.with_seller(levers.value.focus, **changes)
        levers.set(new)
        model.set_seller_levers(new.focus, new.seller())

    def on_preset(name):
        p, a = preset_defaults(name)
        set_seller(preset=name, posts_per_day=p, ad_share=a)

    with solara.Card(f"Seller '{lv.focus}' (acts from the next day)", classes=["viralsim-levers"]):
        solara.Select("Her strategy preset", values=preset_names(), value=sl.preset, on_value=on_preset)
        with solara.Column(gap="0px", classes=["viralsim-seller-sliders"]):
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
def MarketLevers(base, levers: Levers, chosen: solara.Reactive[dict], now: dict):
    """The market levers: they act on Reset; a lever set to something else than the running
    market shows it ("was 60 days") until Reset."""
    params = market_params(base, levers)
    pending = [k for k in params if chosen.value.get(k, now.get(k)) != now.get(k)]
    with solara.Card("Market (acts on Reset)", classes=["viralsim-market-levers"]):
        for key, spec in params.items():
            value = chosen.value.get(key, now.get(key, spec["value"]))

            def on_value(v, key=key):
                chosen.set({**chosen.value, key: v})

            mark = key in pending
            with solara.Div(classes=["viralsim-pending"] if mark else ["viralsim-lever"]):
                if spec["type"] == "Checkbox":
                    label = spec["label"] + (f" (was {'on' if now[key] else 'off'}; Reset applies it)" if mark else "")
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
def Exports(model: AppModel, day: int):
    """Downloads: the days as CSV, the pictures as PNG (made when clicked)."""
    name = f"{model.config.name}-seed{model.config.seed}-day{day}"
    with solara.Card("Export", classes=["viralsim-export"]):
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(model.series_csv, filename=f"{name}.csv", label="Data (CSV)", mime_type="text/csv")
            solara.FileDownload(lambda: png(NetworkPicture(model).figure), filename=f"{name}-network.png",
                                label="Network (PNG)", mime_type="image/png")
            solara.FileDownload(lambda: png(ChartsPicture(model).figure), filename=f"{name}-charts.png",
                                label="Charts (PNG)", mime_type="image/png")


@solara.component
def Page():
    """The app: one market per browser session."""
    base = solara.use_memo(base_config, [])
    levers = solara.use_reactive(solara.use_memo(lambda: default_levers(base), []))
    model = solara.use_reactive(solara.use_memo(lambda: AppModel(config=base, levers=levers.value), []))
    day = solara.use_reactive(0)             # the day the pictures show (set after each drawn day)
    focus = solara.use_reactive(model.value.focus)
    playing = solara.use_reactive(False)
    target = solara.use_reactive(None)       # "run to day N" in progress: N
    speed = solara.use_reactive(DEFAULT_SPEED)
    until = solara.use_reactive(min(180, base.days))
    chosen = solara.use_reactive({})         # market levers set in the panel, not yet applied
    picked = solara.use_reactive(None)       # the person followed
    lock = solara.use_memo(threading.Lock, [])
    m = model.value

    def step():
        with lock:
            model.value.step()
        day.set(model.value.day)

    def reset():
        playing.set(False)
        target.set(None)
        now = market_now(model.value)
        market = {**now, **chosen.value}
        with lock:
            new = AppModel(config=base, levers=levers.value, **market)
        chosen.set({})
        picked.set(None)
        model.set(new)
        day.set(new.day)

    def run(cancel: threading.Event):
        """Play, or run to a day, in a thread: a day, a redraw when due, a pause for the speed."""
        if not (playing.value or target.value is not None):
            return
        market = model.value  # a Reset during the run starts a new market, which this loop leaves alone
        goal = min(target.value if target.value is not None else market.config.days, market.config.days)
        pace = 0.0 if target.value is not None else SPEEDS[speed.value]
        drawn = time.monotonic()
        while not cancel.is_set() and market.day < goal:
            started = time.monotonic()
            with lock:
                market.step()
            if pace > 0:
                day.set(market.day)
                cancel.wait(max(0.0, 1.0 / pace - (time.monotonic() - started)))
            elif time.monotonic() - drawn > REDRAW_S:
                day.set(market.day)
                drawn = time.monotonic()
        if cancel.is_set():
            return
        day.set(market.day)
        playing.set(False)
        target.set(None)

    solara.use_thread(run, dependencies=[playing.value, target.value, speed.value, id(m)], intrusive_cancel=False)
    busy = playing.value or target.value is not None
    now = market_now(m)
    pending = any(chosen.value.get(k, v) != v for k, v in now.items())

    def on_focus(name):
        levers.set(replace(levers.value, focus=name))
        model.value.set_focus(name)
        focus.set(model.value.focus)

    solara.Title(f"viralsim: {base.name}")
    solara.Style(CSS)
    st = m.status()
    trust = "–" if st["mean_trust"] != st["mean_trust"] else f"{st['mean_trust']:.2f}"
    with solara.Column(classes=["viralsim-app"], gap="0px"):
        with solara.Row(classes=["viralsim-toolbar"], gap="8px"):
            solara.Text(f"Day {day.value}", classes=["viralsim-day"])
            solara.Button("Reset", on_click=reset, color="warning" if pending else "primary",
                          classes=["viralsim-reset"])
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value), disabled=target.value is not None,
                          classes=["viralsim-play"])
            solara.Button("Step", on_click=step, color="primary", disabled=busy, classes=["viralsim-step"])
            solara.Select("Speed", values=list(SPEEDS), value=speed, classes=["viralsim-speed"])
            solara.InputInt("Run to day", value=until, classes=["viralsim-until"])
            solara.Button("Run" if target.value is None else "Stop", classes=["viralsim-run"],
                          on_click=lambda: target.set(None if target.value is not None else int(until.value)),
                          disabled=playing.value or (target.value is None and until.value <= m.day))
            if len(m.seller_names) > 1:
                solara.Select("Seller shown", values=m.seller_names, value=m.seller_names[focus.value],
                              on_value=on_focus, classes=["viralsim-focus"])
        solara.Text(
            f"{st['seller']}: {st['sales']} sales, {st['customers']} customers, {st['followers']} followers, "
            f"{st['muted']} muted, {st['blocked']} blocked, mean trust of contacts {trust}"
            + (" (at the start)" if st["day"] == 0 else ""), classes=["viralsim-status"])
        if levers.value.scaled_from:
            solara.Text(f"The config's network has {levers.value.scaled_from:,} people; the app starts with "
                        f"{levers.value.network_size} so that every person can be drawn (Network size, up to "
                        f"{MAX_NETWORK_SIZE}).", classes=["viralsim-note"])
        with solara.Row(classes=["viralsim-body"], gap="12px"):
            with solara.Row(classes=["viralsim-pictures"], gap="12px"):
                NetworkView(m, day.value, focus.value, picked)
                ChartsView(m, day.value)
            with solara.Column(classes=["viralsim-panel"], gap="8px"):
                SellerPanel(m, levers)
                PersonView(m, day.value, picked)
                MarketLevers(base, levers.value, chosen, now)
                solara.Text(f"Market now: {describe_market(m)}", classes=["viralsim-market"])
                Exports(m, day.value)
                solara.Text(HOW_TO_READ, classes=["viralsim-help"])
