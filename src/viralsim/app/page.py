"""The Solara page of ``viralsim app``: Mesa's SolaraViz around a viralsim market.

Layout
------
* Sidebar (Mesa's SolaraViz): "Controls" with Reset / play-pause / Step and the play speed;
  "Model Parameters" with the market levers, which act on Reset (trust half-life, platform
  moderation, network size, run number = seed); "Information" with the step counter.
* Top of the page: the day, headline numbers of the shown seller, and the seller levers, which
  act from the next day (shown seller, strategy preset, posts per day, ad share, product quality).
* Below, two live pictures: the friend network (colour = trust in the shown seller, black ring =
  muted her, red cross = blocked her, stars = sellers) and four charts (sales, trust, annoyance,
  muted/blocked), one line per seller.

The page reads its base config from the environment set by ``viralsim app`` (see
:data:`viralsim.app.ENV_CONFIG` and :data:`viralsim.app.ENV_SET`); without them it shows the
built-in classroom market. Serve it directly with ``solara run viralsim.app.page``.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import replace

import solara

# Mesa 3.3's ComponentsView trips Solara's hook-order lint; harmless, and noise in the server log.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return")
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from viralsim.app import ENV_CONFIG, ENV_SET
from viralsim.app.drawing import charts_picture, network_picture
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
from viralsim.config.presets import preset_names

#: largest run number on the "Run number" slider (seed = config seed + run number)
RUNS = 50

HOW_TO_READ = (
    "Each dot is a person. Contacts of the shown seller are coloured by their trust in her (red low, "
    "green high); grey dots are not her contacts. Black ring: this contact muted her (hides her posts). "
    "Red cross: this contact blocked her. Stars are sellers, the shown one larger. When nothing happens, "
    "trust drifts back to its starting level (half-way in one trust half-life) and annoyance fades "
    "within days. Seller levers act from the next day; market levers (left, Model Parameters) on Reset."
)


def base_config():
    """The config named by the environment (see the module docstring)."""
    path = os.environ.get(ENV_CONFIG) or None
    overrides = tuple(json.loads(os.environ.get(ENV_SET) or "[]"))
    return app_config(path, overrides)


def market_params(base, levers: Levers) -> dict:
    """Mesa ``model_params`` for the market levers (user inputs of the Model Parameters card)."""
    ranges = sliders(base)
    half_life = ranges["trust_half_life"]
    params = {
        "trust_half_life": {
            "type": "SliderInt", "label": f"{half_life.label} ({half_life.unit})",
            "value": int(round(levers.trust_half_life)),
            "min": int(half_life.low), "max": int(half_life.high), "step": int(half_life.step),
        },
        "moderation": {
            "type": "Checkbox", "label": "Platform moderation (harassment prompt)", "value": levers.moderation,
        },
        "run": {"type": "SliderInt", "label": "Run number (seed)", "value": 0, "min": 0, "max": RUNS, "step": 1},
    }
    if levers.network_size is not None and "network_size" in ranges:
        size = ranges["network_size"]
        params["network_size"] = {
            "type": "SliderInt", "label": f"{size.label} ({size.unit})",
            "value": int(levers.network_size), "min": int(size.low), "max": int(size.high), "step": int(size.step),
        }
    return params


@solara.component
def NetworkView(model: AppModel):
    """The friend network, recoloured every day (laid out once per graph)."""
    counter = update_counter.get()
    picture = network_picture(model)
    picture.update(model)
    with solara.Column(classes=["viralsim-network"], style={"width": "100%"}):
        solara.FigureMatplotlib(picture.figure, format="png",
                                dependencies=[id(model), model.steps, model.focus, counter])


@solara.component
def ChartsView(model: AppModel):
    """Sales, trust, annoyance and muted/blocked contacts per seller, day by day."""
    counter = update_counter.get()
    picture = charts_picture(model)
    picture.update(model)
    with solara.Column(classes=["viralsim-charts"], style={"width": "100%"}):
        solara.FigureMatplotlib(picture.figure, format="png", dependencies=[id(model), model.steps, counter])


@solara.component
def SellerBar(model: solara.Reactive[AppModel], levers: solara.Reactive[Levers]):
    """Day counter, headline numbers and the levers of the shown seller (they act from the next day)."""
    update_counter.get()
    m = model.value
    lv = levers.value
    sl = lv.seller()
    st = m.status()
    trust = "n/a" if st["mean_trust"] != st["mean_trust"] else f"{st['mean_trust']:.2f}"

    def set_seller(**changes):
        new = levers.value.with_seller(levers.value.focus, **changes)
        levers.set(new)
        model.value.set_seller_levers(new.focus, new.seller())
        force_update()

    def on_focus(name):
        levers.set(replace(levers.value, focus=name))
        model.value.set_focus(name)
        force_update()

    def on_preset(name):
        posts, ad = preset_defaults(name)
        set_seller(preset=name, posts_per_day=posts, ad_share=ad)

    with solara.Card(classes=["viralsim-levers"], style={"margin-bottom": "8px"}):
        with solara.Columns([3, 2, 4]):
            with solara.Column(gap="2px"):
                solara.Text(f"Day {st['day']}", classes=["viralsim-day"],
                            style={"font-weight": "bold", "font-size": "1.5em"})
                solara.Text(
                    f"{st['seller']}: {st['sales']} sales, {st['customers']} customers, {st['followers']} "
                    f"followers, {st['muted']} muted, {st['blocked']} blocked, mean trust {trust}",
                    classes=["viralsim-status"],
                )
                solara.Text(f"Market: {describe_market(m)}", classes=["viralsim-market"],
                            style={"color": "#666", "font-size": "0.9em"})
            with solara.Column(gap="0px"):
                if len(m.seller_names) > 1:
                    solara.Select("Seller shown", values=m.seller_names, value=lv.focus, on_value=on_focus)
                solara.Select("Her strategy preset", values=preset_names(), value=sl.preset, on_value=on_preset)
            ranges = sliders(m.base_config)
            posts, ad, quality = ranges["posts_per_day"], ranges["ad_share"], ranges["quality"]
            with solara.Column(gap="0px", classes=["viralsim-seller-sliders"]):
                # the posts slider reaches a seller's own rate where that is above the usual range
                solara.SliderFloat(f"{posts.label}: {sl.posts_per_day:g}", value=sl.posts_per_day,
                                   min=float(posts.low), max=float(max(posts.high, sl.posts_per_day)),
                                   step=float(posts.step), on_value=lambda v: set_seller(posts_per_day=float(v)))
                solara.SliderFloat(f"{ad.label}: {sl.ad_share:.0%}", value=sl.ad_share, min=float(ad.low),
                                   max=float(ad.high), step=float(ad.step),
                                   on_value=lambda v: set_seller(ad_share=float(v)))
                solara.SliderFloat(f"{quality.label}: {sl.quality:.0%}", value=sl.quality, min=float(quality.low),
                                   max=float(quality.high), step=float(quality.step),
                                   on_value=lambda v: set_seller(quality=float(v)))
        solara.Text(HOW_TO_READ, style={"color": "#555", "font-size": "0.85em"})


@solara.component
def Page():
    """The app: one market per browser session."""
    base = solara.use_memo(base_config, [])
    levers = solara.use_reactive(solara.use_memo(lambda: default_levers(base), []))
    first = solara.use_memo(lambda: AppModel(config=base, levers=levers.value), [])
    model = solara.use_reactive(first)
    solara.Title(f"viralsim: {base.name}")
    if levers.value.scaled_from:
        solara.Info(f"The config's network has {levers.value.scaled_from:,} people; the app starts with "
                    f"{levers.value.network_size} so that every person can be drawn (Network size, up to "
                    f"{MAX_NETWORK_SIZE}).", dense=True)
    SellerBar(model, levers)
    SolaraViz(
        model,
        components=[NetworkView, ChartsView],
        model_params={"config": base, "levers": levers, **market_params(base, levers.value)},
        name=f"viralsim: {base.name}",
        play_interval=150,
    )
