"""The compiled day (model.compiled_day) equals engine.step's Python schedule bit for bit.

Two models of the same config run side by side, one through ``engine.step`` (``compiled =
False``) and one through the compiled day; after every day every state array, the run's
generator state and the recorded row must be identical. Any difference in a rule's arguments,
the order of the rules or of their random streams shows up within a few days.
"""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.config.presets import preset_names
from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, compiled_day


def _config(sellers: dict, seed: int, days: int = 40, network: dict | None = None, **sections) -> RunConfig:
    return RunConfig.model_validate({
        "seed": seed, "days": days, "network": network or {"kind": "friend_circles", "n": 600},
        "sellers": sellers, **sections})


@pytest.fixture
def compiled_days(monkeypatch):
    """Counts the days run by the compiled path (ViralModel.step looks compiled_day.step up each day)."""
    calls = []
    real = compiled_day.step

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compiled_day, "step", counted)
    return calls


def _assert_same_days(cfg: RunConfig) -> None:
    python, fast = ViralModel(cfg, collect=False), ViralModel(cfg, collect=False)
    python.compiled = False
    for day in range(cfg.days):
        python.step()
        fast.step()
        for name in python.state.__dataclass_fields__:
            a, b = getattr(python.state, name), getattr(fast.state, name)
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, b), f"day {day}: state.{name} differs"
        assert len(python.state.cascade_log) == len(fast.state.cascade_log), f"day {day}: cascade log"
        assert python.rng.bit_generator.state == fast.rng.bit_generator.state, f"day {day}: generator state differs"
        assert np.array_equal(python._daily[-1], fast._daily[-1], equal_nan=True), f"day {day}: recorded row differs"
    a, b = python.result(), fast.result()
    assert a.daily.equals(b.daily) and a.market.equals(b.market) and a.cascades.equals(b.cascades)


@pytest.mark.parametrize("preset", preset_names())
def test_each_preset_alone(preset, compiled_days):
    cfg = _config({"s": {"strategy": preset}}, seed=2)
    _assert_same_days(cfg)
    assert len(compiled_days) == cfg.days - (preset == "kol")      # a KOL campaign's day 0 runs in Python


@pytest.mark.parametrize("moderation", ["none", "harassment_prompt"])
@pytest.mark.parametrize("seed", [5, 6])
def test_all_presets_competing(moderation, seed):
    sellers = {name: {"strategy": name} for name in preset_names()}
    _assert_same_days(_config(sellers, seed=seed, platform={"moderation": moderation},
                              network={"kind": "watts_strogatz", "n": 800, "k": 8, "p": 0.1}))


@pytest.mark.parametrize("sections", [
    {"trust": {"enabled": False}},
    {"annoyance": {"enabled": False}},
    {"purchase": {"repurchase": False, "impulse_per_ad": 0.0}},
    {"purchase": {"always_need": True}},
    {"trace_cascades": False},
    {"wom": {"warn_prob": 0.0, "block_warn_prob": 0.0}},
], ids=["no_trust", "no_annoyance", "one_time_no_impulse", "always_need", "no_cascades", "no_warnings"])
def test_switches(sections):
    sellers = {"spam": {"strategy": "spam"}, "community": {"strategy": "community"},
               "fission": {"strategy": "fission"}}
    _assert_same_days(_config(sellers, seed=8, days=30, **sections))


def test_fractional_counts_and_capacity_draw_the_same_words():
    """A fractional service capacity is rounded with one draw of the run's generator in between
    two kernels' streams: the compiled day must take that word at the same place."""
    sellers = {"a": {"strategy": "community", "service_capacity": 2.5, "posts_per_day": 2.7,
                     "messages_per_day": 1.5},
               "b": {"strategy": "spam", "service_capacity": 0.4, "strangers_per_day": 3.3}}
    _assert_same_days(_config(sellers, seed=9, days=30))


def test_days_the_compiled_path_leaves_to_the_python_schedule(compiled_days):
    kol = _config({"k": {"strategy": "kol"}, "c": {"strategy": "community"}}, seed=3, days=10)
    _assert_same_days(kol)
    assert len(compiled_days) == 9                            # seeding day 0 runs in Python
    complete = _config({"s": {"strategy": "spam"}}, seed=3, days=5, network={"kind": "complete", "n": 200})
    _assert_same_days(complete)
    assert len(compiled_days) == 9                            # complete graphs draw ties in Python
    model = ViralModel(_config({"a": {"strategy": "spam"}, "b": {"strategy": "community"}}, seed=1, days=3))
    for seller in model.sellers:
        seller.step()
    plans = [s.plan for s in model.sellers]
    assert compiled_day.eligible(model.state, plans)
    assert not compiled_day.eligible(model.state, plans[:1])          # a seller without a plan
    assert not compiled_day.eligible(model.state, plans[::-1])        # plans out of seller order


def test_simulate_runs_compiled_days_by_default(compiled_days):
    """Batch runs take the compiled path (the speed of sweeps rests on it)."""
    from viralsim.model import simulate

    simulate(_config({"s": {"strategy": "spam"}}, seed=1, days=4))
    assert len(compiled_days) == 4


def test_models_with_different_configs_taking_turns():
    """The compiled day keeps the last config's values between days; models stepped in turn
    (as in an interactive session or a thread pool) must each get their own."""
    sellers = {"s": {"strategy": "spam"}, "c": {"strategy": "community"}}
    first = _config(sellers, seed=4, days=15)
    second = _config({"s": {"strategy": "spam", "product": {"price": 60.0}}, "c": {"strategy": "community"}},
                     seed=4, days=15, trust={"half_life": 10.0})
    alone = [ViralModel(cfg, collect=False).run().result() for cfg in (first, second)]
    a, b = ViralModel(first, collect=False), ViralModel(second, collect=False)
    for _ in range(15):
        a.step()
        b.step()
    for together, by_itself in zip((a.result(), b.result()), alone):
        assert together.daily.equals(by_itself.daily)


def test_a_strategy_changed_mid_run():
    """What-if use replaces a seller's strategy between days; both paths take it from the next day."""
    cfg = _config({"s": {"strategy": "spam"}, "c": {"strategy": "community"}}, seed=6, days=20)
    python, fast = ViralModel(cfg, collect=False), ViralModel(cfg, collect=False)
    python.compiled = False
    for model in (python, fast):
        model.run(8)
        seller = model.sellers[0]
        seller.strategy = seller.strategy.model_copy(update={"posts_per_day": 5.0, "service_capacity": 2.5})
        model.run(12)
    a, b = python.result(), fast.result()
    assert a.daily.equals(b.daily) and a.summary.equals(b.summary)
    assert python.rng.bit_generator.state == fast.rng.bit_generator.state
    assert a.daily.loc[(a.daily.seller == "s") & (a.daily.day > 8), "posts"].max() <= 6
