"""Loading configs: YAML reading, --set overrides, seed override, one-line error messages."""

from __future__ import annotations

import pytest
import yaml
from config_helpers import config_error as _error

from viralsim.config.load import RESOLVED_KEY, ConfigError, dump_config, load_config
from viralsim.config.presets import preset_names
from viralsim.config.schema import RunConfig, Strategy

BASE = """\
name: demo
seed: 4
days: 30
network: {kind: friend_circles, n: 200}
sellers:
  spam: {strategy: spam}
  me: {strategy: community, posts_per_day: 2}
"""


@pytest.fixture
def cfg(write):
    return write(BASE)


# --- valid input -------------------------------------------------------------------------------


def test_load_valid_file(cfg):
    config = load_config(cfg)
    assert isinstance(config, RunConfig)
    assert (config.name, config.seed, config.days) == ("demo", 4, 30)
    assert config.network.kind == "friend_circles" and config.network.n == 200
    assert list(config.sellers) == ["spam", "me"]
    assert config.sellers["me"].posts_per_day == 2


def test_path_may_be_str(cfg):
    assert load_config(str(cfg)) == load_config(cfg)


@pytest.mark.parametrize(
    ("override", "get", "expected"),
    [
        ("days=3", lambda c: c.days, 3),
        ("network.weak_ties_per_person=0.5", lambda c: c.network.weak_ties_per_person, 0.5),
        ("trace_cascades=false", lambda c: c.trace_cascades, False),
        ("trust.enabled=true", lambda c: c.trust.enabled, True),
        ("sellers.me.posts_per_day=3", lambda c: c.sellers["me"].posts_per_day, 3.0),
        ("sellers.me.posting_slot=busy", lambda c: c.sellers["me"].posting_slot, "busy"),
        (
            "sellers.me.content={ad: 0.5, value: 0.5, life: 0, prize: 0}",
            lambda c: (c.sellers["me"].content.ad, c.sellers["me"].content.value),
            (0.5, 0.5),
        ),
        ("network={kind: sbm, sizes: [10, 20]}", lambda c: c.network.sizes, [10, 20]),
        ("name=other name", lambda c: c.name, "other name"),
    ],
)
def test_override_forms(cfg, override, get, expected):
    assert get(load_config(cfg, overrides=[override])) == expected


def test_override_creates_missing_mappings(cfg):
    config = load_config(cfg, overrides=["sellers.new.strategy=kol", "purchase.need_rate=0.1"])
    assert list(config.sellers) == ["spam", "me", "new"]
    assert config.sellers["new"].strategy == "kol"
    assert config.purchase.need_rate == 0.1


def test_override_indexes_lists(write):
    path = write("network: {kind: sbm, sizes: [10, 20, 30]}\n")
    assert load_config(path, overrides=["network.sizes.1=99"]).network.sizes == [10, 99, 30]


def test_overrides_apply_in_order(cfg):
    assert load_config(cfg, overrides=["days=3", "days=5"]).days == 5


def test_seed_argument_overrides_file(cfg):
    assert load_config(cfg).seed == 4
    assert load_config(cfg, seed=11).seed == 11
    assert load_config(cfg, overrides=["seed=7"], seed=11).seed == 11


# --- errors ------------------------------------------------------------------------------------


def test_unknown_field_suggests_close_name(cfg):
    message = _error(cfg, overrides=["sellers.spam.post_per_day=3"])
    assert message.startswith(f"{cfg}: ")
    assert "unknown field 'sellers.spam.post_per_day'" in message
    assert "did you mean 'posts_per_day'?" in message


def test_unknown_field_in_file_suggests_close_name(write):
    path = write("dayz: 3\n")
    message = _error(path)
    assert message == f"{path}: unknown field 'dayz'; did you mean 'days'?"


def test_unknown_field_inside_network_kind(write):
    path = write("network: {kind: watts_strogatz, kk: 4}\n")
    message = _error(path)
    assert "unknown field 'network.kk'" in message and "did you mean 'k'?" in message
    assert "watts_strogatz" not in message.split("unknown field")[1].split(";")[0]


def test_unknown_field_without_close_match_lists_valid_fields(write):
    path = write("network: {kind: complete, zzzz: 4}\n")
    message = _error(path)
    assert "unknown field 'network.zzzz'" in message
    assert "valid fields for kind 'complete': kind, n" in message


def test_wrong_type(write):
    path = write("days: lots\n")
    message = _error(path)
    assert message.startswith(f"{path}: days = 'lots' is not allowed: must be a whole number")


def test_out_of_range(cfg):
    message = _error(cfg, overrides=["sellers.spam.posts_per_day=-3"])
    assert f"{cfg}: sellers.spam.posts_per_day = -3 is not allowed: must be >= 0" in message
    assert "(input should be greater than or equal to 0)" in message
    assert "(from the command line)" in message


def test_out_of_range_in_file_is_not_blamed_on_command_line(write):
    path = write("trust: {prior_weak: 1.5}\n")
    message = _error(path)
    assert message.startswith(f"{path}: trust.prior_weak = 1.5 is not allowed: must be <= 1")
    assert "command line" not in message


def test_bad_network_kind(cfg):
    message = _error(cfg, overrides=["network.kind=grid"])
    assert f"{cfg}: network.kind = 'grid' is not allowed: must be one of 'friend_circles', 'watts_strogatz'" in message


def test_misspelt_network_kind_suggests(write):
    message = _error(write("network: {kind: watts_strogaz}\n"))
    assert "did you mean 'watts_strogatz'?" in message


def test_missing_network_kind(write):
    path = write("network: {n: 300}\n")
    message = _error(path)
    assert message.startswith(f"{path}: network.kind is missing: must be one of 'friend_circles'")


def test_literal_value(cfg):
    message = _error(cfg, overrides=["sellers.me.posting_slot=night"])
    assert "sellers.me.posting_slot = 'night' is not allowed: must be one of 'busy', 'idle', 'mixed'" in message


def test_model_validator_message(cfg):
    message = _error(cfg, overrides=["sellers.me.content={ad: 0.9}"])
    assert "sellers.me.content = {ad: 0.9} is not allowed: content shares must sum to 1" in message


def test_an_empty_mapping_key_is_shown_in_the_path(write):
    """A dot cannot show an empty key: the path says mix[''], not mix."""
    path = write("populations: {crowd: {count: 3, mix: {'': 0, spam: 1}}}\n")
    assert "populations.crowd.mix[''] = 0 is not allowed: must be > 0" in _error(path)


def test_unknown_preset(write):
    path = write("sellers: {a: {strategy: spamm}}\n")
    message = _error(path)
    assert message.startswith(f"{path}: sellers.a.strategy = 'spamm' is not allowed: must be one of ")
    for name in preset_names():
        assert repr(name) in message
    assert "did you mean 'spam'?" in message


def test_several_errors_counted(write):
    path = write("days: 0\nseed: -1\nfeed: {idle_share: 2}\n")
    message = _error(path)
    assert message.endswith("(and 2 more)")
    assert message.count(" is not allowed: ") == 1


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert _error(path) == f"{path}: no such config file"


def test_directory_is_not_a_file(tmp_path):
    assert "is a directory" in _error(tmp_path)


def test_yaml_syntax_error_names_line(write):
    path = write("days: 3\nsellers:\n  a: {strategy: spam\nseed: 1\n")
    message = _error(path)
    assert message.startswith(f"{path}: YAML syntax error at line ")
    assert "line 3" in message


def test_yaml_indentation_error_names_line(write):
    path = write("days: 3\n  name: x\n")
    assert _error(path).startswith(f"{path}: YAML syntax error at line 2, column 7: mapping values are not allowed")


def test_duplicate_key_is_an_error(write):
    path = write("days: 3\nname: x\ndays: 4\n")
    assert _error(path) == f"{path}: invalid YAML at line 3: duplicate key 'days' (first at line 1)"


@pytest.mark.parametrize(("text", "what"), [("- 1\n- 2\n", "list"), ("just text\n", "string"), ("", "empty")])
def test_top_level_must_be_mapping(write, text, what):
    path = write(text)
    message = _error(path)
    assert message.startswith(f"{path}: ") and what in message


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("days", "expected KEY=VALUE"),
        ("=3", "expected KEY=VALUE"),
        ("sellers..x=3", "is not a dotted path"),
        ("days=[1", "is not valid YAML"),
        ("days.x=3", "days is 30, not a mapping"),
    ],
)
def test_malformed_override(cfg, item, fragment):
    message = _error(cfg, overrides=[item])
    assert message.startswith(f"--set {item!r}: ")
    assert fragment in message


def test_bad_seed_argument(cfg):
    assert "seed = -1 is not allowed: must be >= 0" in _error(cfg, seed=-1)


def test_config_error_is_value_error():
    assert issubclass(ConfigError, ValueError)
    assert str(ConfigError("a\n  b")) == "a b"


# --- dump ----------------------------------------------------------------------------------------


def test_dump_roundtrip(cfg):
    config = load_config(cfg, overrides=["sellers.me.content={ad: 0.1, value: 0.6, life: 0.3, prize: 0}"])
    data = yaml.safe_load(dump_config(config))
    resolved = data.pop(RESOLVED_KEY)
    assert RunConfig.model_validate(data) == config
    assert set(resolved) == {"spam", "me"}
    assert resolved["spam"]["posts_per_day"] == Strategy.from_preset("spam").posts_per_day
    assert resolved["me"]["posts_per_day"] == 2
    assert resolved["me"]["content"]["value"] == 0.6
    assert resolved["me"]["service_capacity"] == Strategy.from_preset("community").service_capacity


def test_dumped_file_loads_back(cfg, tmp_path):
    config = load_config(cfg)
    dumped = tmp_path / "dumped.yaml"
    dumped.write_text(dump_config(config), encoding="utf-8")
    assert load_config(dumped) == config


def test_dumped_record_must_match(cfg, tmp_path):
    data = yaml.safe_load(dump_config(load_config(cfg)))
    data[RESOLVED_KEY]["spam"]["posts_per_day"] = 1.0
    dumped = tmp_path / "edited.yaml"
    dumped.write_text(yaml.safe_dump(data), encoding="utf-8")
    message = _error(dumped)
    assert f"{RESOLVED_KEY}.spam.posts_per_day = 1" in message
    assert "delete" in message
