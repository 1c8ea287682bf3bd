"""The app's levers, model and pictures, without a browser; the page's wiring into Mesa's SolaraViz."""

from __future__ import annotations

import inspect
import io
import json
from pathlib import Path

import numpy as np
import pytest

from viralsim.app import ENV_CONFIG, ENV_SET, server_command, server_env
from viralsim.app.drawing import MAX_DRAWN, ChartsPicture, NetworkPicture, charts_picture, layout, network_picture
from viralsim.app.model import (
    DEFAULT_APP_CONFIG,
    MAX_NETWORK_SIZE,
    SERIES_COLUMNS,
    START_NETWORK_SIZE,
    AppModel,
    Levers,
    SellerLevers,
    app_config,
    apply_levers,
    default_levers,
    describe_market,
    preset_defaults,
    rescale_content,
    sliders,
)
from viralsim.config.load import ConfigError
from viralsim.config.schema import ContentMix, RunConfig, Strategy

SMALL = {
    "name": "tiny",
    "seed": 5,
    "days": 30,
    "network": {"kind": "friend_circles", "n": 120},
    "sellers": {"spam": {"strategy": "spam", "circle_size": 20}, "me": {"strategy": "community", "circle_size": 20}},
}


@pytest.fixture
def small() -> RunConfig:
    return RunConfig.model_validate(SMALL)


class Holder:
    """Stands in for the page's reactive variable: levers in ``.value``."""

    def __init__(self, value):
        self.value = value


# --- levers ----------------------------------------------------------------------------------


def test_default_levers_reproduce_the_config(small):
    lv = default_levers(small)
    assert lv.focus == "spam"
    assert lv.sellers["spam"] == SellerLevers("spam", 120.0, 0.85, 0.85)
    assert lv.network_size == 120 and lv.seed == 5 and lv.trust_half_life == 60.0 and not lv.moderation
    applied = apply_levers(small, lv)
    for name, spec in small.sellers.items():
        assert applied.sellers[name].resolve() == spec.resolve()
        assert applied.sellers[name].product == spec.product
    assert applied.network == small.network and applied.trust == small.trust and applied.platform == small.platform


def test_big_networks_start_small_and_say_so():
    big = RunConfig.model_validate({**SMALL, "network": {"kind": "friend_circles", "n": 5000}})
    lv = default_levers(big)
    assert lv.network_size == START_NETWORK_SIZE and lv.scaled_from == 5000
    assert apply_levers(big, lv).network.n == START_NETWORK_SIZE
    sbm = RunConfig.model_validate({**SMALL, "network": {"kind": "sbm", "sizes": [60, 60]}})
    assert default_levers(sbm).network_size is None
    assert apply_levers(sbm, replace_levers(default_levers(sbm), network_size=999)).network == sbm.network


def replace_levers(lv: Levers, **changes) -> Levers:
    return Levers(**{**vars(lv), **changes})


def test_apply_levers_sets_every_lever(small):
    lv = default_levers(small).with_seller("spam", preset="community", posts_per_day=4.0, ad_share=0.5, quality=0.3)
    lv = replace_levers(lv, trust_half_life=15.0, moderation=True, network_size=200, seed=9)
    cfg = apply_levers(small, lv)
    spam = cfg.sellers["spam"].resolve()
    assert cfg.sellers["spam"].strategy == "community"
    assert spam.posts_per_day == 4.0 and spam.content.ad == pytest.approx(0.5)
    assert spam.groups == Strategy.from_preset("community").groups  # the rest of the preset comes along
    assert cfg.sellers["spam"].product.quality == 0.3
    assert cfg.trust.half_life == 15.0 and cfg.platform.moderation == "harassment_prompt"
    assert cfg.network.n == 200 and cfg.seed == 9
    assert cfg.sellers["me"].resolve() == small.sellers["me"].resolve()
    assert cfg.sellers["me"].product == small.sellers["me"].product


@pytest.mark.parametrize("ad", [0.0, 0.3, 0.85, 1.0])
def test_rescale_content_keeps_the_other_proportions(ad):
    mix = ContentMix(ad=0.2, value=0.5, life=0.3, prize=0.0)
    out = rescale_content(mix, ad)
    assert out.ad == ad
    assert out.ad + out.value + out.life + out.prize == pytest.approx(1.0, abs=1e-9)
    if ad < 1.0:
        assert out.value / out.life == pytest.approx(0.5 / 0.3)
    assert rescale_content(ContentMix(ad=1.0, value=0.0, life=0.0, prize=0.0), 0.4).life == pytest.approx(0.6)


def test_preset_defaults_are_the_presets_values():
    assert preset_defaults("spam") == (120.0, 0.85)
    assert preset_defaults("community") == (3.0, 0.2)


def test_app_config_default_and_errors(tmp_path):
    assert app_config().network.n == DEFAULT_APP_CONFIG["network"]["n"] == 300
    assert app_config(overrides=("network.n=100",)).network.n == 100
    with pytest.raises(ConfigError, match="built-in classroom market: network.n = 'abc'") as err:
        app_config(overrides=("network.n=abc",))
    assert str(tmp_path.parent) not in str(err.value) and "tmp" not in str(err.value).lower()
    with pytest.raises(ConfigError, match="no such config file"):
        app_config(tmp_path / "missing.yaml")


# --- the model -------------------------------------------------------------------------------


def test_app_model_reads_levers_from_a_holder_and_market_arguments(small):
    lv = default_levers(small)
    holder = Holder(lv.with_seller("me", posts_per_day=1.0))
    m = AppModel(config=small, levers=holder, trust_half_life=20, moderation=True, network_size=100, run=3)
    assert m.config.trust.half_life == 20.0 and m.config.platform.moderation == "harassment_prompt"
    assert m.config.network.n == 100 and m.config.seed == small.seed + 3
    assert m.sellers[1].strategy.posts_per_day == 1.0
    assert m.focus == 0 and m.seller_names == ["spam", "me"]
    with pytest.raises(TypeError):
        AppModel(config=small, levers=Holder("nope"))


def test_app_model_matches_mesa_solaraviz_conventions(small):
    """Mesa rebuilds the model on Reset as ``Model(**model_params)``: keyword arguments only."""
    params = inspect.signature(AppModel.__init__).parameters
    assert not any(p.kind == p.VAR_POSITIONAL for p in params.values())
    assert all(p.default is not p.empty for name, p in params.items() if name != "self")
    m = AppModel(config=small)
    m.step()
    assert m.steps == 1 and m.day == 1


def test_seller_levers_act_from_the_next_day(small):
    m = AppModel(config=small)
    m.run(3)
    quiet = SellerLevers("spam", 0.0, 0.85, 0.1)
    m.set_seller_levers("spam", quiet)
    assert m.sellers[0].strategy.posts_per_day == 0.0 and m.sellers[0].product.quality == 0.1
    assert m.levers.sellers["spam"] == quiet
    m.run(2)
    daily = m.result().daily
    spam = daily[daily["seller"] == "spam"].set_index("day")
    assert (spam.loc[[1, 2, 3], "posts"] > 50).all()
    assert (spam.loc[[4, 5], "posts"] == 0).all()


def test_focus_status_and_series(small):
    m = AppModel(config=small)
    st = m.status()
    # day 0: the starting contacts and trust, which the day-0 picture shows (not "n/a")
    assert st["day"] == 0 and st["sales"] == 0 and 0 < st["mean_trust"] < 1 and st["followers"] > 0
    assert len(m.series()) == 2 and (m.series()["day"] == 0).all()
    m.run(4)
    m.set_focus("me")
    assert m.focus == 1 and m.levers.focus == "me"
    st = m.status()
    assert st["seller"] == "me" and st["day"] == 4
    series = m.series()
    assert list(series.columns[:2]) == ["day", "seller"] and len(series) == 10
    assert st["sales"] == int(series.loc[series["seller"] == "me", "purchases"].sum())
    with pytest.raises(ValueError, match="no seller 'nobody'"):
        m.set_focus("nobody")
    assert "120 people" in describe_market(m)          # every person, the sellers too, is a consumer


# --- pictures --------------------------------------------------------------------------------


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_network_picture_is_laid_out_once_and_recoloured(small):
    m = AppModel(config=small)
    pic = network_picture(m)
    assert network_picture(m) is pic
    first = png(pic.figure)
    xy = pic.xy.copy()
    m.run(10)
    pic.update(m)
    assert np.array_equal(pic.xy, xy)
    assert png(pic.figure) != first
    st = m.state
    tie, blocked, muted = st.column("tie", 0), st.column("blocked", 0), st.column("muted", 0)
    contact = (tie > 0) & st.is_consumer
    assert len(pic.blocked.get_offsets()) == int((blocked & contact).sum())
    assert len(pic.muted.get_offsets()) == int((muted & ~blocked & contact).sum())
    assert "day 10" in pic.title.get_text()
    # a Reset with the same network and seed reuses the layout
    again = AppModel(config=small)
    assert layout(again, pic.nodes) is layout(m, pic.nodes)


def test_big_graphs_draw_the_sellers_neighbourhoods():
    cfg = RunConfig.model_validate({**SMALL, "network": {"kind": "sbm", "sizes": [800, 800], "p_in": 0.005,
                                                         "p_out": 0.0005}})
    m = AppModel(config=cfg)
    pic = NetworkPicture(m)
    assert len(pic.nodes) <= MAX_DRAWN
    assert set(m.state.seller_nodes.tolist()) <= set(pic.nodes.tolist())


def test_charts_picture_follows_the_days(small):
    m = AppModel(config=small)
    pic = charts_picture(m)
    assert isinstance(pic, ChartsPicture)
    empty = png(pic.figure)
    m.run(5)
    pic.update(m)
    line = pic.lines[("mean_trust", "spam")]
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4, 5]
    assert png(pic.figure) != empty


# --- server and page -------------------------------------------------------------------------


def test_server_command_and_environment(tmp_path):
    cmd = server_command("127.0.0.1", 9999)
    assert cmd[1:5] == ["-m", "solara", "run", "viralsim.app.page"]
    assert "--production" in cmd and "9999" in cmd and "--no-open" in cmd
    cfg = tmp_path / "c.yaml"
    env = server_env(cfg, ["days=5"])
    assert Path(env[ENV_CONFIG]).is_absolute() and json.loads(env[ENV_SET]) == ["days=5"]
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"        # it covered the bottom of the page
    assert "--no-check-version" in cmd                       # no look-up on PyPI: offline classrooms
    assert server_env()[ENV_CONFIG] == ""


def test_page_market_levers_rebuild_the_market(monkeypatch, small):
    """The market levers' inputs are AppModel keyword arguments, and a model reports them back."""
    from viralsim.app import missing_dependencies

    if missing_dependencies():
        pytest.fail("the viz extra is not installed: pip install -e '.[dev,viz]'")
    from viralsim.app import page

    lv = default_levers(small)
    params = page.market_params(small, lv)
    assert params["network_size"]["max"] == MAX_NETWORK_SIZE
    inputs = {k: v["value"] for k, v in params.items()}
    m = AppModel(config=small, levers=Holder(lv), **inputs)
    assert m.config == apply_levers(small, lv)
    assert page.market_now(m) == inputs
    again = AppModel(config=small, levers=Holder(lv), **{**inputs, "run": 3, "trust_half_life": 20})
    assert page.market_now(again) == {**inputs, "run": 3, "trust_half_life": 20}
    monkeypatch.setenv(ENV_CONFIG, "")
    monkeypatch.setenv(ENV_SET, json.dumps(["network.n=80"]))
    assert page.base_config().network.n == 80


# --- the page's record, pictures as SVG, exports ---------------------------------------------


def test_slider_text_has_value_and_unit(small):
    ranges = sliders(small)
    assert ranges["posts_per_day"].text(120) == "Posts per day: 120 posts/day"
    assert ranges["ad_share"].text(0.85) == "Ad share of posts: 85 %"
    assert ranges["trust_half_life"].text(60) == "Trust half-life: 60 days"
    assert ranges["network_size"].value_text(1000) == "1,000 people"


def test_record_history_and_run_to(small):
    m = AppModel(config=small)
    assert m.run_to(6) == 6 and m.day == 6
    assert m.run_to(3) == 0
    assert m.run_to(20, on_day=lambda model: model.day < 9) == 3 and m.day == 9
    assert m.run_to(10_000) == small.days - 9 and m.day == small.days
    series = m.series()
    assert series["day"].tolist()[::2] == list(range(small.days + 1))
    # the page's record agrees with the engine's tables
    daily = m.result().daily.set_index(["day", "seller"])
    mine = series[series["day"] > 0].set_index(["day", "seller"])
    for c in ("purchases", "muted", "blocked", "followers"):
        assert (mine[c] == daily.loc[mine.index, c]).all(), c
    assert np.allclose(mine["mean_trust"], daily.loc[mine.index, "mean_trust"], equal_nan=True)
    csv = m.series_csv().decode().splitlines()
    assert csv[0] == "day,seller," + ",".join(SERIES_COLUMNS) and csv[1].startswith("0,spam,0,")
    node = int(np.flatnonzero(m.state.column("tie", 0) > 0)[0])
    trust, annoyance = m.person_history(node)
    assert len(trust) == len(annoyance) == small.days + 1
    assert trust[-1] == pytest.approx(m.state.column("trust", 0)[node])
    p = m.person(node)
    assert p["contact"] and p["trust"] == pytest.approx(trust[-1]) and p["friends"] > 0
    assert m.person(int(m.state.seller_nodes[1]))["seller_name"] == "me"
    with pytest.raises(ValueError, match="no person 120"):
        m.person(120)


def test_svg_pictures_follow_the_days(small):
    from viralsim.app.svg import charts_svg, history_svg, network_frame, network_geometry

    m = AppModel(config=small)
    geo = network_geometry(m)
    assert network_geometry(m) is geo
    assert [s["name"] for s in geo.sellers] == ["spam", "me"]
    day0 = network_frame(m, geo)
    charts0 = charts_svg(m)
    m.run(10)
    frame = network_frame(m, geo)
    st = m.state
    sellers = np.isin(np.arange(st.n), st.seller_nodes)  # drawn as stars
    tied = (st.column("tie", 0) > 0) & st.is_consumer
    contact = tied & ~sellers
    # the legend's counts are the status line's (other sellers included); the marks are on dots
    status = m.status()
    assert frame["contacts"] == int(tied.sum()) == status["followers"] + status["blocked"]
    assert frame["n_blocked"] == status["blocked"] and frame["n_muted"] == status["muted"]
    assert len(frame["blocked"]) == int((st.column("blocked", 0) & contact).sum())
    assert frame["fill"] != day0["fill"]
    svg = charts_svg(m)
    assert svg != charts0 and svg.count("<polyline") >= 8 and "Sales per day" in svg
    node = int(np.flatnonzero(contact)[0])
    assert history_svg(m, node).count("<polyline") == 2
    m.set_focus("me")
    assert network_frame(m, geo)["sellers"][1]["shown"]


def test_a_day_of_the_app_is_fast():
    """A day of the classroom market (300 people) with its pictures recomputed, well under the
    0.1 s a classroom needs (about 3 ms here; the page's matplotlib PNGs took about 0.2 s)."""
    import time

    from viralsim.app.svg import charts_svg, network_frame, network_geometry

    m = AppModel()
    geo = network_geometry(m)
    m.step()
    network_frame(m, geo), charts_svg(m)  # warm: compiled code, caches
    started = time.perf_counter()
    for _ in range(30):
        m.step()
        network_frame(m, geo)
        charts_svg(m)
    assert (time.perf_counter() - started) / 30 < 0.1
