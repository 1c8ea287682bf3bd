"""A seller's strategy is resolved once, when the config is validated, and read from
``SellerSpec.resolved``; dumps, hashes and equality see only the spec's own fields."""

from __future__ import annotations

import pytest
import yaml

from viralsim.config.load import RESOLVED_KEY, dump_config, load_config
from viralsim.config.schema import ContentMix, RunConfig, SellerSpec, Strategy

BASE = """\
name: demo
seed: 4
days: 30
network: {kind: friend_circles, n: 200}
sellers:
  spam: {strategy: spam}
  me: {strategy: community, posts_per_day: 2, content: {ad: 0.1, value: 0.6, life: 0.3}}
"""


@pytest.fixture
def loaded(write):
    return load_config(write(BASE))


@pytest.fixture
def count_resolutions(monkeypatch):
    """The number of times a strategy is resolved from its preset from now on."""
    calls = []
    real = SellerSpec.resolve

    def counting(spec):
        calls.append(spec.strategy)
        return real(spec)

    monkeypatch.setattr(SellerSpec, "resolve", counting)
    return calls


def test_a_loaded_config_holds_each_sellers_resolved_strategy(loaded, count_resolutions):
    for spec in loaded.sellers.values():
        assert spec._resolved is not None
        assert spec.resolved == spec.resolve()
    count_resolutions.clear()
    me = loaded.sellers["me"].resolved
    community = Strategy.from_preset("community")
    assert (me.posts_per_day, me.content.ad, me.service_capacity) == (2, 0.1, community.service_capacity)
    dump_config(loaded)
    assert count_resolutions == []  # read, never resolved again


def test_validating_a_config_resolves_its_sellers_once(count_resolutions):
    config = RunConfig.model_validate(yaml.safe_load(BASE))
    assert sorted(count_resolutions) == ["community", "spam"]
    for spec in config.sellers.values():
        assert spec.resolved is spec.resolved
    assert sorted(count_resolutions) == ["community", "spam"]


def test_the_resolved_strategy_is_not_part_of_dumps_or_equality(loaded):
    dumped = loaded.model_dump()
    assert set(dumped["sellers"]["spam"]) == set(SellerSpec.model_fields)
    fresh = SellerSpec(strategy="spam")
    assert fresh._resolved is None and loaded.sellers["spam"] == fresh and hash(loaded.sellers["spam"]) == hash(fresh)
    again = load_config_text(dump_config(loaded))
    assert again == loaded and dump_config(again) == dump_config(loaded)
    assert yaml.safe_load(dump_config(loaded))[RESOLVED_KEY]["me"]["posts_per_day"] == 2


def load_config_text(text: str) -> RunConfig:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(text, encoding="utf-8")
        return load_config(path)


def test_a_copy_with_changes_resolves_again(loaded):
    spec = loaded.sellers["me"]
    assert spec.resolved.posts_per_day == 2
    changed = spec.model_copy(update={"posts_per_day": 7.0, "content": ContentMix(ad=1.0, value=0.0, life=0.0)})
    assert (changed.resolved.posts_per_day, changed.resolved.content.ad) == (7.0, 1.0)
    other = spec.model_copy(update={"strategy": "spam"})
    assert other.resolved.strangers_per_day == Strategy.from_preset("spam").strangers_per_day
    assert spec.model_copy().resolved is spec.resolved
    assert spec.resolved.posts_per_day == 2


def test_an_unknown_preset_still_validates_and_fails_where_the_strategy_is_read():
    config = RunConfig(sellers={"x": SellerSpec(strategy="nope")})
    with pytest.raises(ValueError, match="unknown strategy preset 'nope'; allowed: "):
        _ = config.sellers["x"].resolved


def test_a_nested_override_changes_only_the_fields_it_names():
    """``groups: {posts_per_day: 0.5}`` on a community seller keeps her groups running (the
    preset's other group settings), where the section's defaults would switch them off; the
    config's dump reloads to the same strategy, and an event that sets the same field does the
    same from its day on."""
    community = Strategy.from_preset("community")
    assert community.groups.enabled
    raw = {"days": 60, "network": {"kind": "friend_circles", "n": 200},
           "sellers": {"c": {"strategy": "community", "groups": {"posts_per_day": 0.5}}}}
    config = RunConfig.model_validate(raw)
    groups = config.sellers["c"].resolved.groups
    assert groups == community.groups.model_copy(update={"posts_per_day": 0.5})
    assert load_config_text(dump_config(config)).sellers["c"].resolved == config.sellers["c"].resolved
    from viralsim.config.schema import Event, config_after

    later = config_after(RunConfig.model_validate({**raw, "sellers": {"c": {"strategy": "community"}}}),
                         Event.model_validate({"day": 30, "set": {"sellers.c.groups.posts_per_day": 0.5}}))
    assert later.sellers["c"].resolved.groups == groups
