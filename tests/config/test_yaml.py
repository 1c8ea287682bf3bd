"""The shared YAML reader: merge keys, duplicate keys, limits; presets; experiment specs."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from config_helpers import config_error as _error

from viralsim.config import presets
from viralsim.config.load import check_preset, load_config
from viralsim.config.schema import Strategy
from viralsim.config.yamlio import MAX_DEPTH, HugeInt, YamlProblem, load_yaml
from viralsim.experiment.spec import ExperimentError, load_experiment

# --- merge keys and duplicate keys ---------------------------------------------------------------


def test_merge_keys_work_in_configs(write):
    path = write("""\
        sellers:
          spam: &loud {strategy: spam, posts_per_day: 50, placement: hub}
          quieter:
            <<: *loud
            posts_per_day: 5
        """)
    config = load_config(path)
    assert config.sellers["quieter"].posts_per_day == 5
    assert config.sellers["quieter"].placement == "hub"
    assert config.sellers["spam"].posts_per_day == 50


def test_merge_of_a_mapping_that_overrides_its_own_merge(write):
    # PyYAML alone gives x = 1 for 'top' here; the mapping's own key must win all the way down.
    data = load_yaml("a:\n  b:\n    mid: &m {<<: {x: 1, y: 1}, x: 2}\ntop: {<<: *m}\n")
    assert data["a"]["b"]["mid"] == {"x": 2, "y": 1}
    assert data["top"] == {"x": 2, "y": 1}


def test_earlier_merge_source_wins():
    assert load_yaml("<<: [{a: 1}, {a: 2, c: 3}]\nb: 4\n") == {"a": 1, "c": 3, "b": 4}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("days: 3\nname: x\ndays: 4\n", "invalid YAML at line 3: duplicate key 'days' (first at line 1)"),
        ("base: &b {x: 1, x: 2}\n", "invalid YAML at line 1: duplicate key 'x' (first at line 1)"),
        ("b: &b {x: 1}\nc:\n  <<: *b\n  y: 1\n  y: 2\n", "invalid YAML at line 5: duplicate key 'y' (first at line 4)"),
        ("a: {<<: 3}\n", "invalid YAML at line 1: expected a mapping or list of mappings for merging"),
    ],
)
def test_duplicate_keys_and_bad_merges(text, message):
    with pytest.raises(YamlProblem) as info:
        load_yaml(text)
    assert str(info.value).startswith(message)


def test_duplicate_key_in_an_override_value(write):
    message = _error(write("days: 3\n"), overrides=["sellers={a: {strategy: spam}, a: {}}"])
    assert message.startswith("--set 'sellers=") and "duplicate key 'a'" in message


# --- limits --------------------------------------------------------------------------------------


def test_depth_limit_is_a_clean_error_just_beyond_it():
    load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(YamlProblem, match="nested more than 100 levels deep"):
        load_yaml("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_alias_bomb_is_refused(write):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write("\n".join(lines) + "\n")
    assert _error(path).startswith(f"{path}: invalid YAML at line ")
    assert "expands to more than 1,000,000 values" in _error(path)


def test_recursive_alias_is_refused(write):
    path = write("name: &a [1, *a]\n")
    assert _error(path) == (f"{path}: invalid YAML at line 1: an alias refers to a node that contains it "
                            "(a recursive structure)")


def test_huge_integer_is_a_stand_in_beyond_every_bound():
    value = load_yaml("x: " + "1" * 4400)["x"]
    assert isinstance(value, HugeInt) and value > 10**99
    assert repr(value) == "111111111111... (4400 digits)"
    assert load_yaml("x: 12345")["x"] == 12345 and not isinstance(load_yaml("x: 12345")["x"], HugeInt)


def test_long_base_60_integer_is_a_stand_in_without_converting_it(write):
    """YAML 1.1 reads 1:59:59 as a base-60 integer, and PyYAML converts one of N parts in time
    quadratic in N (160,000 parts took 8 s): a long one is a stand-in before any conversion, and
    a config using it is refused naming the field."""
    text = ":".join(["59"] * 200_000)
    value = load_yaml(f"x: 1:{text}")["x"]
    assert isinstance(value, HugeInt) and value > 10**99
    assert repr(value) == "1:59:59:59:5... (400001 digits)"
    assert load_yaml("x: 1:30")["x"] == 90          # short ones convert as ever
    path = write(f"days: 1:{text}\n")
    assert _error(path) == (f"{path}: days = 1:59:59:59:5... (400001 digits) is not allowed: must be <= 100000 "
                            "(input should be less than or equal to 100000)")


def test_python_tags_are_refused(write):
    path = write("name: !!python/object/apply:os.system [echo hi]\n")
    assert "could not determine a constructor" in _error(path)


def test_binary_config_file(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_bytes(b"days: 3\n\xff\xfe\x00")
    assert _error(path) == f"{path}: not UTF-8 text (invalid start byte at byte 8)"


# --- presets -------------------------------------------------------------------------------------


@pytest.fixture
def preset_folder(tmp_path, monkeypatch):
    """A presets folder with a good 'calm' preset; the table is re-read for the test."""
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "calm.yaml").write_text("posts_per_day: 1\ncontent: {ad: 0.1, value: 0.6, life: 0.3}\n",
                                      encoding="utf-8")
    monkeypatch.setattr(presets, "presets_dir", lambda: folder)
    presets._preset_table.cache_clear()
    yield folder
    presets._preset_table.cache_clear()


BROKEN_PRESETS = {
    "duplicate key": ("posts_per_day: 1\nposts_per_day: 2\n", "invalid YAML at line 2: duplicate key 'posts_per_day'"),
    "syntax error": ("posts_per_day: [1\n", "YAML syntax error at line"),
    "not a mapping": ("- 1\n- 2\n", "the top level must be a mapping"),
    "not UTF-8": (b"posts_per_day: 1\n\xff\n", "not UTF-8 text"),
}


@pytest.mark.parametrize("case", list(BROKEN_PRESETS), ids=list(BROKEN_PRESETS))
def test_broken_preset_affects_only_its_users(preset_folder, write, case):
    text, fragment = BROKEN_PRESETS[case]
    broken = preset_folder / "broken.yaml"
    broken.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert presets.preset_names() == ["broken", "calm"]
    # a config that does not use it loads
    config = load_config(write("sellers: {a: {strategy: calm}}\n"))
    assert config.sellers["a"].resolve().posts_per_day == 1
    # one that does is refused, naming the seller, the preset and its file
    path = write("sellers: {a: {strategy: calm}, b: {strategy: broken}}\n")
    message = _error(path)
    assert message.startswith(f"{path}: sellers.b.strategy = 'broken' cannot be used: "
                              f"strategy preset file {broken}: "), message
    assert fragment in message


def test_preset_with_invalid_field_names_its_file(preset_folder, write):
    (preset_folder / "loud.yaml").write_text("posts_per_day: .inf\n", encoding="utf-8")
    message = _error(write("sellers: {a: {strategy: loud}}\n"))
    assert "strategy preset 'loud' is invalid" in message and str(preset_folder / "loud.yaml") in message
    assert "posts_per_day = inf is not allowed: must be a finite number" in message
    with pytest.raises(presets.PresetError, match="loud.yaml: posts_per_day = inf is not allowed"):
        check_preset("loud")


def test_preset_merge_keys(preset_folder, write):
    (preset_folder / "merged.yaml").write_text(
        "groups: &g {enabled: true, posts_per_day: 4}\n"
        "content: {<<: {ad: 0.5, value: 0.5, life: 0.0}, ad: 0.2, life: 0.3}\n",
        encoding="utf-8")
    strategy = Strategy.from_preset("merged")
    assert (strategy.content.ad, strategy.content.value, strategy.content.life) == (0.2, 0.5, 0.3)
    assert strategy.groups.posts_per_day == 4


def test_bundled_presets_all_load():
    for name in presets.preset_names():
        check_preset(name)


# --- experiment specs ------------------------------------------------------------------------------

BASE = "name: tiny\nseed: 1\ndays: 5\nnetwork: {kind: friend_circles, n: 100}\nsellers: {a: {strategy: spam}}\n"


@pytest.fixture
def spec(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")

    def _spec(text: str):
        path = tmp_path / "exp.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _spec


def _spec_error(path) -> str:
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message


def test_spec_merge_keys(spec):
    path = spec("""\
        base: base.yaml
        scenarios:
          slow: &slow {sellers.a.posts_per_day: 2, days: 4}
          slower: {<<: *slow, sellers.a.posts_per_day: 1}
        """)
    experiment = load_experiment(path)
    assert experiment.scenarios["slower"].sellers["a"].posts_per_day == 1
    assert experiment.scenarios["slower"].days == 4


def test_spec_duplicate_keys(spec):
    path = spec("base: base.yaml\nreplicates: 2\nreplicates: 3\n")
    assert _spec_error(path) == f"{path}: invalid YAML at line 3: duplicate key 'replicates' (first at line 2)"


def test_spec_depth_limit(spec):
    path = spec("base: base.yaml\ndescription: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than 100 levels deep" in _spec_error(path)


@pytest.mark.parametrize(
    ("design", "fragment"),
    [
        ("{factors: {network: {levels: [{kind: watts_strogatz, n: 100, k: 7}]}}}",
         "network.k = 7 is not allowed: must be even"),
        ("{factors: {feed.attention_per_day: {levels: [60, .inf]}}}",
         "feed.attention_per_day = inf is not allowed: must be a finite number"),
        ("{factors: {days: {levels: [3, true]}}}", "days = true is not allowed: must be a whole number"),
        ("{kind: lhs, samples: 4, factors: {feed.attention_per_day: {range: [1, 1.0e+9]}}}",
         "range [1, 1e+09] reaches outside what the config allows: feed.attention_per_day = 1000000000 is not "
         "allowed: must be <= 10000000"),
        ("{kind: sobol, samples: 4, factors: {sellers.a.product.price: {range: [0, 10]}}}",
         "reaches outside what the config allows: sellers.a.product.price = 0 is not allowed: must be >= 0.01"),
        ("{kind: lhs, samples: 4, factors: {network.n: {range: [100, 200]}}}",
         "dist 'uniform' samples real numbers, but network.n = 100.0 is not allowed: must be a whole number"),
        ("{factors: {network.weak_ties_per_person: {levels: [6, 150]}}}",
         "network.weak_ties_per_person = 150 is not allowed: must be <= n - 1 = 99"),
    ],
)
def test_spec_factor_level_making_an_invalid_config_is_refused(spec, design, fragment):
    path = spec(f"base: base.yaml\ndesign: {design}\n")
    message = _spec_error(path)
    assert fragment in message, message


def test_spec_integer_range_within_bounds_loads(spec):
    experiment = load_experiment(spec("base: base.yaml\ndesign: {kind: lhs, samples: 4, "
                                      "factors: {network.n: {range: [100, 200], dist: integer}}}\n"))
    assert all(100 <= run.config.network.n <= 200 for run in experiment.runs)


def test_dumped_config_reads_back_with_the_shared_reader(write):
    from viralsim.config.load import dump_config

    config = load_config(write("purchase: {need_rate: 1e-7}\nsellers: {a: {strategy: kol}}\n"))
    assert yaml.safe_load(dump_config(config))["purchase"]["need_rate"] == 1e-7
    assert load_config(write(dump_config(config), "dumped.yaml")) == config


def test_presets_command_lists_a_broken_preset_with_its_problem(preset_folder, capsys):
    """`viralsim presets` still lists every preset; the broken one says why it cannot be used."""
    from viralsim.cli import main

    (preset_folder / "broken.yaml").write_text("posts_per_day: 1\nposts_per_day: 2\n", encoding="utf-8")
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    calm = next(line for line in out.splitlines() if line.startswith("calm "))
    broken = next(line for line in out.splitlines() if line.startswith("broken "))
    assert calm.split()[1] == "1"
    assert "unusable" in broken and "duplicate key 'posts_per_day'" in broken and str(preset_folder) in broken
